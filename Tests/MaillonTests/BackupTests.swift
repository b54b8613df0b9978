import Fluent
import Foundation
@testable import Maillon
import SQLKit
import Testing
import Vapor

/// Rows in every table (the full-text indexes' own storage left out: it follows its table).
func tableCounts(_ db: any Database) async throws -> [String: Int] {
    let sql = db as! any SQLDatabase
    let tables: [String]
    if sql.dialect.name == "sqlite" {
        tables = try await sql.raw("""
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'directory_fts_%' AND name NOT LIKE 'post_fts_%'
            """).all().map { try $0.decode(column: "name", as: String.self) }
    } else {
        tables = try await sql.raw("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").all()
            .map { try $0.decode(column: "table_name", as: String.self) }
    }
    var counts: [String: Int] = [:]
    for table in tables { counts[table] = try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int.self) ?? 0 }
    return counts
}

@Suite("Backups")
struct BackupTests {
    @Test("A backup taken while members are being written restores into a fresh place with every table's rows, consistent; a database with accounts is refused unless told")
    func backupDuringWrites() async throws {
        try await withMaillon { ctx in
            let hash = try await ctx.app.password.async(on: ctx.app.threadPool, hopTo: ctx.app.eventLoopGroup.next()).hash("demo demo demo")
            _ = try await DemoCommunity(database: ctx.db, now: ctx.time.now(), passwordHash: hash).seed(members: 60)
            let kind = ctx.app.maillon.settings.database
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("maillon-backup-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let before = try await tableCounts(ctx.db)

            // A member and their profile, in one transaction each, while the copy is taken.
            let db = ctx.db, now = ctx.time.now()
            let writer = Task {
                for index in 0..<40 {
                    try await db.transaction { db in
                        let user = User(email: "ecriture\(index)@example.org", passwordHash: "x", name: "Écriture \(index)", role: .member)
                        try await user.create(on: db)
                        try await Profile.newMember(userID: user.requireID(), chapterID: nil, headline: "x", city: "Lyon", profession: "tech", now: now).create(on: db)
                    }
                    await Task.yield()
                }
            }
            try await Backups.backup(kind, db: ctx.db, to: path)
            try await writer.value
            let after = try await tableCounts(ctx.db)
            #expect(after[User.schema] == (before[User.schema] ?? 0) + 40)
            await #expect(throws: Backups.Failure.exists(path)) { try await Backups.backup(kind, db: ctx.db, to: path) }
            await #expect(throws: Backups.Failure.notEmpty(after[User.schema] ?? 0)) { try await Backups.restore(kind, db: ctx.db, from: path, force: false) }

            func check(_ restored: [String: Int]) {
                #expect(Set(restored.keys) == Set(before.keys), "every table")
                for (table, count) in before where ![User.schema, Profile.schema].contains(table) {
                    #expect(restored[table] == count, "\(table): \(restored[table] ?? -1) rows restored, \(count) backed up")
                }
                let users = restored[User.schema] ?? 0, profiles = restored[Profile.schema] ?? 0
                #expect((before[User.schema] ?? 0)...(after[User.schema] ?? 0) ~= users)
                #expect(users - (before[User.schema] ?? 0) == profiles - (before[Profile.schema] ?? 0), "a member is copied with their profile, or not at all")
            }
            switch kind {
            case .sqlite:
                // A fresh place: a new database, migrated and empty.
                let fresh = TestDatabase.fresh()
                let other = try await makeApp(fresh.kind, TestOptions(), mailer: RecordingMailer(), time: ctx.time)
                do {
                    try await Backups.restore(fresh.kind, db: other.db, from: path, force: false)
                    check(try await tableCounts(other.db))
                    // The restored copy works: its search finds a demo member.
                    var query = DirectoryQuery()
                    query.text = "developp"
                    #expect(try await !query.run(on: other.db).hits.isEmpty)
                } catch { Issue.record(error) }
                try? await other.asyncShutdown()
                await fresh.cleanup()
            case let .postgres(_, schema):
                // A fresh place: the schema dropped (the disaster), then restored from the copy.
                try await (ctx.db as! any SQLDatabase).raw("DROP SCHEMA \(ident: schema ?? "public") CASCADE").run()
                try await (ctx.db as! any SQLDatabase).raw("CREATE SCHEMA \(ident: schema ?? "public")").run()
                try await Backups.restore(kind, db: ctx.db, from: path, force: false)
                check(try await tableCounts(ctx.db))
            }
        }
    }
}
