import Fluent
import Foundation
import SQLKit
import Vapor

/// Search across the posts a member may read, accent-insensitive: the directory's machinery (text
/// folded in Swift, then FTS5 on SQLite, a tsvector on PostgreSQL). A thread's first post carries its
/// title, so a title matches too. Deleted posts leave the index; hidden ones are filtered out.
enum PostSearch {
    static func index(_ post: Post, on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        let postID = try post.requireID()
        try await remove(postID, on: db)
        guard post.deletedAt == nil else { return }
        var text = post.body
        if let thread = try await DiscussionThread.find(post.$thread.id, on: db),
           try await Post.query(on: db).filter(\.$thread.$id == post.$thread.id).sort(\.$createdAt).sort(\.$id).first()?.id == postID {
            text = thread.title + " " + text
        }
        let body = Taxonomy.fold(text)
        if sql.dialect.name == "sqlite" {
            try await sql.raw("INSERT INTO post_fts (post_id, body) VALUES (\(bind: postID), \(bind: body))").run()
        } else {
            try await sql.raw("INSERT INTO post_documents (post_id, document) VALUES (\(bind: postID), to_tsvector('simple', \(bind: body)))").run()
        }
    }

    /// Many new posts at once (the generated community): `text` already holds the title for first posts.
    static func insertNew(_ documents: [(postID: UUID, text: String)], on db: any Database) async throws {
        guard !documents.isEmpty else { return }
        let sql = db as! any SQLDatabase
        if sql.dialect.name == "sqlite" {
            let rows = DirectoryIndexes.values(documents) { "(\(bind: $0.postID), \(bind: Taxonomy.fold($0.text)))" }
            try await sql.raw("INSERT INTO post_fts (post_id, body) VALUES \(rows)").run()
        } else {
            let rows = DirectoryIndexes.values(documents) { "(\(bind: $0.postID), to_tsvector('simple', \(bind: Taxonomy.fold($0.text))))" }
            try await sql.raw("INSERT INTO post_documents (post_id, document) VALUES \(rows)").run()
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

    /// Posts matching every term in `spaces`, best first; `limit` from `offset`, and the total.
    static func search(_ terms: [String], spaces: [UUID], status: Status, offset: Int, limit: Int, on db: any Database) async throws -> (hits: [Hit], total: Int) {
        guard !terms.isEmpty, !spaces.isEmpty else { return ([], 0) }
        let sql = db as! any SQLDatabase
        let match: SQLQueryString
        let order: SQLQueryString
        if sql.dialect.name == "sqlite" {
            let query = terms.map { "\"\($0)\"*" }.joined(separator: " ")
            match = "JOIN (SELECT post_id AS match_id, bm25(post_fts) AS rank FROM post_fts WHERE post_fts MATCH \(bind: query)) m ON m.match_id = p.id"
            order = "m.rank ASC"
        } else {
            let query = terms.map { "\($0):*" }.joined(separator: " & ")
            match = "JOIN (SELECT post_id AS match_id, ts_rank(document, to_tsquery('simple', \(bind: query))) AS rank FROM post_documents WHERE document @@ to_tsquery('simple', \(bind: query))) m ON m.match_id = p.id"
            order = "m.rank DESC"
        }
        var filter: SQLQueryString = "t.space_id IN (\(binds: spaces)) AND p.deleted_at IS NULL AND p.hidden_at IS NULL"
        switch status {
        case .any: break
        case .open: filter = filter + " AND t.is_help = \(bind: true) AND t.answer_post_id IS NULL"
        case .resolved: filter = filter + " AND t.is_help = \(bind: true) AND t.answer_post_id IS NOT NULL"
        }
        let from: SQLQueryString = "FROM \(ident: Post.schema) p \(match) JOIN \(ident: DiscussionThread.schema) t ON t.id = p.thread_id WHERE \(filter)"
        let total = try await sql.raw("SELECT COUNT(*) AS total \(from)").first()?.decode(column: "total", as: Int.self) ?? 0
        let rows = try await sql.raw("""
            SELECT p.id AS post_id, p.thread_id AS thread_id, t.title AS title, t.space_id AS space_id, p.body AS body, p.created_at AS created_at
            \(from) ORDER BY \(order), p.created_at DESC LIMIT \(unsafeRaw: String(limit)) OFFSET \(unsafeRaw: String(offset))
            """).all()
        let hits = try rows.map { row in
            Hit(postID: try row.decode(column: "post_id", as: UUID.self), threadID: try row.decode(column: "thread_id", as: UUID.self),
                title: try row.decode(column: "title", as: String.self), spaceID: try row.decode(column: "space_id", as: UUID.self),
                body: try row.decode(column: "body", as: String.self), createdAt: try row.decode(column: "created_at", as: Date.self))
        }
        return (hits, total)
    }
}
