import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations004 {
    struct CreateDirectory: AsyncMigration {
        var name: String { "004_CreateDirectory" }

        func prepare(on database: any Database) async throws {
            try await database.schema(ProfileSkill.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("slug", .string, .required)
                .field("label", .string, .required)
                .unique(on: "user_id", "slug")
                .create()
            try await database.schema(ProfileCause.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("cause", .string, .required)
                .unique(on: "user_id", "cause")
                .create()
            try await database.schema(Profile.schema)
                .field("last_active_at", .datetime)
                .update()

            let sql = database as! any SQLDatabase
            try await sql.create(index: "profile_skills_slug_idx").on(ProfileSkill.schema).column("slug").run()
            try await sql.create(index: "profile_causes_cause_idx").on(ProfileCause.schema).column("cause").run()
            try await sql.create(index: "profiles_directory_idx").on(Profile.schema).column("visibility").column("joined_at").run()
            try await sql.create(index: "profiles_profession_idx").on(Profile.schema).column("profession").run()
            // The full-text index: FTS5 on SQLite, a tsvector with GIN on PostgreSQL (see DirectoryIndex).
            if sql.dialect.name == "sqlite" {
                try await sql.raw("CREATE VIRTUAL TABLE directory_fts USING fts5(user_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')").run()
            } else {
                try await sql.raw("CREATE TABLE directory_documents (user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE, body TEXT NOT NULL, document TSVECTOR NOT NULL)").run()
                try await sql.raw("CREATE INDEX directory_documents_gin ON directory_documents USING GIN (document)").run()
            }
        }

        func revert(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            try await sql.raw(sql.dialect.name == "sqlite" ? "DROP TABLE directory_fts" : "DROP TABLE directory_documents").run()
            try await database.schema(Profile.schema).deleteField("last_active_at").update()
            try await database.schema(ProfileCause.schema).delete()
            try await database.schema(ProfileSkill.schema).delete()
        }
    }
}
