import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations002 {
    struct CreateJobsAndNotifications: AsyncMigration {
        var name: String { "002_CreateJobsAndNotifications" }

        func prepare(on database: any Database) async throws {
            try await database.schema(JobRecord.schema)
                .id()
                .field("kind", .string, .required)
                .field("payload", .string, .required)
                .field("status", .string, .required)
                .field("attempts", .int, .required)
                .field("max_attempts", .int, .required)
                .field("run_at", .datetime, .required)
                .field("locked_at", .datetime)
                .field("locked_by", .string)
                .field("last_error", .string)
                .field("unique_key", .string)
                .field("created_at", .datetime, .required)
                .field("finished_at", .datetime)
                .unique(on: "unique_key")
                .create()

            try await database.schema(AppNotification.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("kind", .string, .required)
                .field("text_key", .string, .required)
                .field("arguments", .string, .required)
                .field("link", .string)
                .field("in_app", .bool, .required)
                .field("in_digest", .bool, .required)
                .field("read_at", .datetime)
                .field("digested_at", .datetime)
                .field("created_at", .datetime, .required)
                .create()

            try await database.schema(NotificationPreference.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("kind", .string, .required)
                .field("channel", .string, .required)
                .unique(on: "user_id", "kind")
                .create()

            try await database.schema("app_keys")
                .field("name", .string, .identifier(auto: false))
                .field("value", .string, .required)
                .create()

            let sql = database as! any SQLDatabase
            try await sql.create(index: "jobs_claim_idx").on(JobRecord.schema).column("status").column("run_at").run()
            try await sql.create(index: "notifications_user_idx").on(AppNotification.schema).column("user_id").column("read_at").run()
            try await sql.create(index: "notifications_digest_idx").on(AppNotification.schema).column("user_id").column("digested_at").run()
        }

        func revert(on database: any Database) async throws {
            try await database.schema("app_keys").delete()
            try await database.schema(NotificationPreference.schema).delete()
            try await database.schema(AppNotification.schema).delete()
            try await database.schema(JobRecord.schema).delete()
        }
    }
}
