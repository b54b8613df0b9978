import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations027 {
    /// The discussions' full-text index (FTS5 on SQLite, a tsvector with GIN on PostgreSQL), filled
    /// with the posts already written.
    struct CreatePostSearch: AsyncMigration {
        var name: String { "027_CreatePostSearch" }

        func prepare(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            if sql.dialect.name == "sqlite" {
                // The rowid follows insertion, so the newest matches come first when read backwards.
                try await sql.raw("CREATE VIRTUAL TABLE post_fts USING fts5(post_id UNINDEXED, space_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')").run()
            } else {
                try await sql.raw("""
                    CREATE TABLE post_documents (post_id UUID PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE, space_id UUID NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL, document TSVECTOR NOT NULL)
                    """).run()
                try await sql.raw("CREATE INDEX post_documents_gin ON post_documents USING GIN (document)").run()
                // A common word is answered by reading the newest documents backwards until enough match.
                try await sql.raw("CREATE INDEX post_documents_space_created ON post_documents (space_id, created_at)").run()
                try await sql.raw("CREATE INDEX post_documents_created ON post_documents (created_at)").run()
            }
            for post in try await Post.query(on: database).filter(\.$deletedAt == nil).all() {
                try await PostSearch.index(post, on: database)
            }
        }

        func revert(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            try await sql.raw(sql.dialect.name == "sqlite" ? "DROP TABLE post_fts" : "DROP TABLE post_documents").run()
        }
    }
}
