import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations001 {
    struct CreateAccounts: AsyncMigration {
        var name: String { "001_CreateAccounts" }

        func prepare(on database: any Database) async throws {
            try await database.schema(User.schema)
                .id()
                .field("email", .string, .required)
                .field("email_verified_at", .datetime)
                .field("password_hash", .string, .required)
                .field("name", .string, .required)
                .field("role", .string, .required)
                .field("locale", .string)
                .field("totp_secret", .string)
                .field("totp_enabled_at", .datetime)
                .field("totp_last_step", .int64)
                .field("created_at", .datetime)
                .field("updated_at", .datetime)
                .unique(on: "email")
                .create()

            try await database.schema(UserSession.schema)
                .id()
                .field("token_hash", .string, .required)
                .field("csrf_token", .string, .required)
                .field("user_id", .uuid, .references(User.schema, .id, onDelete: .cascade))
                .field("pending_user_id", .uuid, .references(User.schema, .id, onDelete: .cascade))
                .field("locale", .string)
                .field("flash", .string)
                .field("user_agent", .string)
                .field("ip_address", .string)
                .field("created_at", .datetime, .required)
                .field("last_seen_at", .datetime, .required)
                .unique(on: "token_hash")
                .create()

            try await database.schema(UserToken.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("purpose", .string, .required)
                .field("token_hash", .string, .required)
                .field("email", .string)
                .field("expires_at", .datetime, .required)
                .field("used_at", .datetime)
                .field("created_at", .datetime)
                .unique(on: "token_hash")
                .create()

            try await database.schema("throttle_counters")
                .field("key", .string, .identifier(auto: false))
                .field("window_start", .int64, .required)
                .field("hits", .int64, .required)
                .create()

            let sql = database as! any SQLDatabase
            try await sql.create(index: "sessions_user_id_idx").on(UserSession.schema).column("user_id").run()
            try await sql.create(index: "sessions_last_seen_at_idx").on(UserSession.schema).column("last_seen_at").run()
            try await sql.create(index: "user_tokens_user_id_idx").on(UserToken.schema).column("user_id").run()
        }

        func revert(on database: any Database) async throws {
            try await database.schema("throttle_counters").delete()
            try await database.schema(UserToken.schema).delete()
            try await database.schema(UserSession.schema).delete()
            try await database.schema(User.schema).delete()
        }
    }
}
