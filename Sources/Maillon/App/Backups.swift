import Fluent
import Foundation
import SQLKit
import Vapor

/// Consistent copies of the database while it serves, and their restoration into an empty place.
/// SQLite: `VACUUM INTO` (one read transaction: a snapshot, writers carry on; the WAL is folded in)
/// and, back, the copy's schema and rows replayed into the target file over one connection.
/// PostgreSQL: `pg_dump --format=custom` of the schema in use (a snapshot too) and `pg_restore`; when
/// the client tools are missing, the error says how to do it by hand.
enum Backups {
    enum Failure: Error, CustomStringConvertible, Equatable {
        case exists(String)
        case missing(String)
        case notEmpty(Int)
        case tool(String)
        case failed(String)

        var description: String {
            switch self {
            case let .exists(path): "\(path) already exists: choose a new name (a backup never overwrites one)."
            case let .missing(path): "\(path) does not exist."
            case let .notEmpty(accounts): "The database already holds \(accounts) accounts: restore into an empty one, or say --force to replace everything in it."
            case let .tool(how): how
            case let .failed(output): output
            }
        }
    }

    static func backup(_ kind: Settings.DatabaseKind, db: any Database, to path: String) async throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw Failure.exists(path) }
        switch kind {
        case .sqlite:
            try await (db as! any SQLDatabase).raw("VACUUM INTO \(bind: path)").run()
        case let .postgres(url, schema):
            var arguments = ["--format=custom", "--no-owner", "--file=\(path)"]
            if let schema { arguments.append("--schema=\(schema)") }
            try run("pg_dump", arguments + ["--dbname=\(url)"],
                    missing: "pg_dump is not installed (Debian: apt install postgresql-client). By hand: pg_dump --format=custom --file=\(path) \"$DATABASE_URL\"")
        }
    }

    static func restore(_ kind: Settings.DatabaseKind, db: any Database, from path: String, force: Bool) async throws {
        guard FileManager.default.fileExists(atPath: path) else { throw Failure.missing(path) }
        let accounts = try await accountCount(db)
        if accounts > 0 && !force { throw Failure.notEmpty(accounts) }
        switch kind {
        case .sqlite:
            try await restoreSQLite(db, from: path)
        case let .postgres(url, _):
            try run("pg_restore", ["--clean", "--if-exists", "--no-owner", "--exit-on-error", "--dbname=\(url)", path],
                    missing: "pg_restore is not installed (Debian: apt install postgresql-client). By hand: pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL\" \(path)")
        }
    }

    /// Accounts in the database, 0 when it has no tables yet.
    static func accountCount(_ db: any Database) async throws -> Int {
        let sql = db as! any SQLDatabase
        let exists: Bool
        if sql.dialect.name == "sqlite" {
            exists = try await sql.raw("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = \(bind: User.schema)").first()?.decode(column: "n", as: Int.self) ?? 0 > 0
        } else {
            exists = try await sql.raw("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = \(bind: User.schema)")
                .first()?.decode(column: "n", as: Int.self) ?? 0 > 0
        }
        guard exists else { return 0 }
        return try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: User.schema)").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Replays the copy into the target over one connection: whatever the target held goes, then the
    /// copy's tables (full-text ones with their row ids), their rows, then its indexes and triggers.
    private static func restoreSQLite(_ db: any Database, from path: String) async throws {
        try await db.withConnection { connection in
            let sql = connection as! any SQLDatabase
            try await sql.raw("PRAGMA foreign_keys = OFF").run()
            try await sql.raw("ATTACH DATABASE \(bind: path) AS backup").run()
            do {
                let existing = try await sql.raw("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()
                    .map { try $0.decode(column: "name", as: String.self) }
                let virtual = Set(try await sql.raw("SELECT name FROM main.sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'").all()
                    .map { try $0.decode(column: "name", as: String.self) })
                for table in existing where virtual.contains(table) || !virtual.contains(where: { table.hasPrefix($0 + "_") }) {
                    try await sql.raw("DROP TABLE IF EXISTS main.\(ident: table)").run()
                }
                let objects = try await sql.raw("""
                    SELECT type, name, sql FROM backup.sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END
                    """).all().map { (type: try $0.decode(column: "type", as: String.self), name: try $0.decode(column: "name", as: String.self),
                                      sql: try $0.decode(column: "sql", as: String.self)) }
                let copiedVirtual = Set(objects.filter { $0.type == "table" && $0.sql.hasPrefix("CREATE VIRTUAL TABLE") }.map(\.name))
                // Full-text tables make their own shadow tables: those are neither created nor copied.
                let tables = objects.filter { object in object.type == "table" && !copiedVirtual.contains(where: { object.name.hasPrefix($0 + "_") }) }
                try await sql.raw("BEGIN").run()
                for table in tables { try await sql.raw("\(unsafeRaw: table.sql)").run() }
                for table in tables {
                    if copiedVirtual.contains(table.name) {
                        let columns = try await sql.raw("SELECT name FROM pragma_table_info(\(bind: table.name))").all().map { try $0.decode(column: "name", as: String.self) }
                        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                        try await sql.raw("INSERT INTO main.\(ident: table.name)(rowid, \(unsafeRaw: list)) SELECT rowid, \(unsafeRaw: list) FROM backup.\(ident: table.name)").run()
                    } else {
                        try await sql.raw("INSERT INTO main.\(ident: table.name) SELECT * FROM backup.\(ident: table.name)").run()
                    }
                }
                for object in objects where object.type != "table" { try await sql.raw("\(unsafeRaw: object.sql)").run() }
                try await sql.raw("COMMIT").run()
            } catch {
                try? await sql.raw("ROLLBACK").run()
                try? await sql.raw("DETACH DATABASE backup").run()
                try? await sql.raw("PRAGMA foreign_keys = ON").run()
                throw error
            }
            try await sql.raw("DETACH DATABASE backup").run()
            try await sql.raw("PRAGMA foreign_keys = ON").run()
        }
    }

    /// Runs a PostgreSQL client tool found on the PATH, or says how to do without it.
    private static func run(_ tool: String, _ arguments: [String], missing: String) throws {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        guard let executable = directories.map({ "\($0)/\(tool)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure.tool(missing)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure.failed("\(tool) failed (\(process.terminationStatus)): \(text)") }
    }
}

/// `maillon backup PATH`: a consistent copy of the database, taken while it serves.
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "path", help: "Where to write the copy (a new file)")
        var path: String
    }

    var help: String { "Write a consistent copy of the database (SQLite: VACUUM INTO; PostgreSQL: pg_dump)" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await Backups.backup(app.maillon.settings.database, db: app.db, to: signature.path)
        context.console.print("Backed up to \(signature.path).")
    }
}

/// `maillon restore PATH [--force]`: puts a copy back, into an empty database unless told otherwise.
struct RestoreCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "path", help: "A copy written by `maillon backup`")
        var path: String
        @Flag(name: "force", help: "Replace a database that already has accounts")
        var force: Bool
    }

    var help: String { "Restore a copy written by `maillon backup` (refuses a database with accounts unless --force); stop the servers first" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await Backups.restore(app.maillon.settings.database, db: app.db, from: signature.path, force: signature.force)
        context.console.print("Restored from \(signature.path).")
    }
}
