import Fluent
import Foundation
import SQLKit

/// Full-text search over profiles, one implementation per database: SQLite's FTS5 and
/// PostgreSQL's text search. Text is folded (case, accents) in Swift before it is stored or
/// searched, so both behave the same without database extensions.
protocol DirectoryIndex: Sendable {
    func store(userID: UUID, body: String, on sql: any SQLDatabase) async throws
    func remove(userID: UUID, on sql: any SQLDatabase) async throws
    /// Indexes profiles that have no entry yet, in one statement (the generated community).
    func insertNew(_ documents: [(userID: UUID, body: String)], on sql: any SQLDatabase) async throws
    /// A join that keeps only profiles (`p`) matching every term, exposing a `rank` and a `tie` (what
    /// orders equal ranks) to sort on; with `best`, only the best `best` matches in that order, read and
    /// ranked inside the index before any profile is joined.
    func matchJoin(_ terms: [String], best: Int?) -> SQLQueryString
    /// `ASC` or `DESC`: the rank's direction, best first.
    var rankDirection: String { get }
}

extension DirectoryIndex {
    /// The `best` clause of a match subquery (nothing without `best`).
    func bestOnly(_ best: Int?, tie: String) -> SQLQueryString {
        guard let best else { return "" }
        return " ORDER BY rank \(unsafeRaw: rankDirection), \(unsafeRaw: tie) DESC LIMIT \(unsafeRaw: String(best))"
    }
}

enum DirectoryIndexes {
    static func forDatabase(_ sql: any SQLDatabase) -> any DirectoryIndex {
        sql.dialect.name == "postgresql" ? PostgresDirectoryIndex() : SQLiteDirectoryIndex()
    }

    /// Search terms from what a person typed: folded, split on anything but letters and digits.
    static func terms(_ query: String) -> [String] {
        Taxonomy.fold(query).split { !$0.isLetter && !$0.isNumber }.map(String.init).filter { !$0.isEmpty }.prefix(8).map { $0 }
    }

    /// `VALUES (…), (…)` rows for a multi-row insert: each row from `row`.
    static func values<T>(_ items: [T], _ row: (T) -> SQLQueryString) -> SQLQueryString {
        var list: SQLQueryString = ""
        for (offset, item) in items.enumerated() { list = list + (offset == 0 ? "" : ", ") + row(item) }
        return list
    }

    /// Indexes a member's profile (name, headline, bio, city, skills), folded.
    static func reindex(userID: UUID, on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        let index = forDatabase(sql)
        guard let user = try await User.find(userID, on: db),
              let profile = try await Profile.query(on: db).filter(\.$user.$id == userID).first()
        else { return try await index.remove(userID: userID, on: sql) }
        let skills = try await ProfileSkill.query(on: db).filter(\.$user.$id == userID).all(\.$label)
        let body = ([user.name, profile.headline, profile.bio, profile.city] + skills).joined(separator: " ")
        try await index.store(userID: userID, body: Taxonomy.fold(body), on: sql)
    }
}

struct SQLiteDirectoryIndex: DirectoryIndex {
    func store(userID: UUID, body: String, on sql: any SQLDatabase) async throws {
        try await remove(userID: userID, on: sql)
        try await sql.raw("INSERT INTO directory_fts (user_id, body) VALUES (\(bind: userID), \(bind: body))").run()
    }

    func remove(userID: UUID, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM directory_fts WHERE user_id = \(bind: userID)").run()
    }

    func insertNew(_ documents: [(userID: UUID, body: String)], on sql: any SQLDatabase) async throws {
        guard !documents.isEmpty else { return }
        let rows = DirectoryIndexes.values(documents) { "(\(bind: $0.userID), \(bind: $0.body))" }
        try await sql.raw("INSERT INTO directory_fts (user_id, body) VALUES \(rows)").run()
    }

    func matchJoin(_ terms: [String], best: Int?) -> SQLQueryString {
        // Each term as a quoted prefix: "developp"* "lyon"* (terms hold letters and digits only).
        let match = terms.map { "\"\($0)\"*" }.joined(separator: " ")
        guard best != nil else {
            return "JOIN (SELECT user_id AS match_user_id, rowid AS tie, bm25(directory_fts) AS rank FROM directory_fts WHERE directory_fts MATCH \(bind: match)) m ON m.match_user_id = p.user_id"
        }
        // Ties go by rowid, which the index holds: the user_id column is read (from FTS5's content
        // table, a seek a row) only for the best, not for the thousands a common word matches.
        return """
            JOIN (SELECT f.user_id AS match_user_id, b.tie AS tie, b.rank AS rank FROM (SELECT rowid AS tie, bm25(directory_fts) AS rank FROM directory_fts \
            WHERE directory_fts MATCH \(bind: match)\(bestOnly(best, tie: "rowid"))) b JOIN directory_fts f ON f.rowid = b.tie) m ON m.match_user_id = p.user_id
            """
    }

    var rankDirection: String { "ASC" }
}

struct PostgresDirectoryIndex: DirectoryIndex {
    func store(userID: UUID, body: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO directory_documents (user_id, body, document) VALUES (\(bind: userID), \(bind: body), to_tsvector('simple', \(bind: body)))
            ON CONFLICT (user_id) DO UPDATE SET body = excluded.body, document = excluded.document
            """).run()
    }

    func remove(userID: UUID, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM directory_documents WHERE user_id = \(bind: userID)").run()
    }

    func insertNew(_ documents: [(userID: UUID, body: String)], on sql: any SQLDatabase) async throws {
        guard !documents.isEmpty else { return }
        let rows = DirectoryIndexes.values(documents) { "(\(bind: $0.userID), \(bind: $0.body), to_tsvector('simple', \(bind: $0.body)))" }
        try await sql.raw("INSERT INTO directory_documents (user_id, body, document) VALUES \(rows)").run()
    }

    func matchJoin(_ terms: [String], best: Int?) -> SQLQueryString {
        let query = terms.map { "\($0):*" }.joined(separator: " & ")
        return "JOIN (SELECT user_id AS match_user_id, user_id AS tie, ts_rank(document, to_tsquery('simple', \(bind: query))) AS rank FROM directory_documents WHERE document @@ to_tsquery('simple', \(bind: query))\(bestOnly(best, tie: "user_id"))) m ON m.match_user_id = p.user_id"
    }

    var rankDirection: String { "DESC" }
}
