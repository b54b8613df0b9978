import Fluent
import Foundation
import SQLKit
import Vapor

/// Search across the posts a member may read, accent-insensitive: the directory's machinery (text
/// folded in Swift, then FTS5 on SQLite, a tsvector on PostgreSQL). A thread's first post carries its
/// title, so a title matches too. Deleted posts leave the index; hidden ones are filtered out.
/// Results come newest first, from the newest `window` matches in the reader's spaces: a common word
/// over a million posts is answered by reading the index backwards until enough match, rather than
/// ranking every match.
enum PostSearch {
    static func index(_ post: Post, on db: any Database) async throws {
        let postID = try post.requireID()
        try await remove(postID, on: db)
        guard post.deletedAt == nil, let thread = try await DiscussionThread.find(post.$thread.id, on: db) else { return }
        var text = post.body
        if try await Post.query(on: db).filter(\.$thread.$id == post.$thread.id).sort(\.$createdAt).sort(\.$id).first()?.id == postID {
            text = thread.title + " " + text
        }
        try await insertNew([(postID, thread.$space.id, post.createdAt, text)], on: db)
    }

    /// Many new posts at once (the generated community): `text` already holds the title for first posts.
    static func insertNew(_ documents: [(postID: UUID, spaceID: UUID, createdAt: Date, text: String)], on db: any Database) async throws {
        guard !documents.isEmpty else { return }
        let sql = db as! any SQLDatabase
        if sql.dialect.name == "sqlite" {
            let rows = DirectoryIndexes.values(documents) { "(\(bind: $0.postID), \(bind: $0.spaceID), \(bind: Taxonomy.fold($0.text)))" }
            try await sql.raw("INSERT INTO post_fts (post_id, space_id, body) VALUES \(rows)").run()
        } else {
            let rows = DirectoryIndexes.values(documents) {
                "(\(bind: $0.postID), \(bind: $0.spaceID), \(bind: $0.createdAt), to_tsvector('simple', \(bind: Taxonomy.fold($0.text))))"
            }
            try await sql.raw("INSERT INTO post_documents (post_id, space_id, created_at, document) VALUES \(rows)").run()
        }
    }

    static func remove(_ postID: UUID, on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        try await sql.raw(sql.dialect.name == "sqlite" ? "DELETE FROM post_fts WHERE post_id = \(bind: postID)" : "DELETE FROM post_documents WHERE post_id = \(bind: postID)").run()
    }

    enum Status: String, CaseIterable, Sendable { case any, open, resolved }

    struct Hit: Sendable {
        let postID: UUID
        let threadID: UUID
        let title: String
        let spaceID: UUID
        let body: String
        let createdAt: Date
    }

    /// How many of the newest matches a search considers.
    static let window = 1000

    /// Posts matching every term in `spaces`, newest first; `limit` from `offset`, and how many there
    /// are among the newest `window` matches (`window` itself meaning "at least that many").
    static func search(_ terms: [String], spaces: [UUID], status: Status, offset: Int, limit: Int, on db: any Database) async throws -> (hits: [Hit], total: Int) {
        guard !terms.isEmpty, !spaces.isEmpty else { return ([], 0) }
        let sql = db as! any SQLDatabase
        let candidates: SQLQueryString
        if sql.dialect.name == "sqlite" {
            let query = terms.map { "\"\($0)\"*" }.joined(separator: " ")
            candidates = """
                SELECT post_id AS match_id, rowid AS position FROM post_fts WHERE post_fts MATCH \(bind: query) AND space_id IN (\(binds: spaces))
                ORDER BY rowid DESC LIMIT \(unsafeRaw: String(window))
                """
        } else {
            let query = terms.map { "\($0):*" }.joined(separator: " & ")
            candidates = """
                SELECT post_id AS match_id, created_at AS position FROM post_documents
                WHERE document @@ to_tsquery('simple', \(bind: query)) AND space_id IN (\(binds: spaces))
                ORDER BY created_at DESC LIMIT \(unsafeRaw: String(window))
                """
        }
        var filter: SQLQueryString = "p.deleted_at IS NULL AND p.hidden_at IS NULL"
        switch status {
        case .any: break
        case .open: filter = filter + " AND t.is_help = \(bind: true) AND t.answer_post_id IS NULL"
        case .resolved: filter = filter + " AND t.is_help = \(bind: true) AND t.answer_post_id IS NOT NULL"
        }
        let from: SQLQueryString = "FROM (\(candidates)) m JOIN \(ident: Post.schema) p ON p.id = m.match_id JOIN \(ident: DiscussionThread.schema) t ON t.id = p.thread_id WHERE \(filter)"
        let total = try await sql.raw("SELECT COUNT(*) AS total \(from)").first()?.decode(column: "total", as: Int.self) ?? 0
        let rows = try await sql.raw("""
            SELECT p.id AS post_id, p.thread_id AS thread_id, t.title AS title, t.space_id AS space_id, p.body AS body, p.created_at AS created_at
            \(from) ORDER BY m.position DESC LIMIT \(unsafeRaw: String(limit)) OFFSET \(unsafeRaw: String(offset))
            """).all()
        let hits = try rows.map { row in
            Hit(postID: try row.decode(column: "post_id", as: UUID.self), threadID: try row.decode(column: "thread_id", as: UUID.self),
                title: try row.decode(column: "title", as: String.self), spaceID: try row.decode(column: "space_id", as: UUID.self),
                body: try row.decode(column: "body", as: String.self), createdAt: try row.decode(column: "created_at", as: Date.self))
        }
        return (hits, total)
    }
}
