import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations025 {
    /// Reports on posts, posts hidden until reviewed, suspensions, and the append-only moderation log.
    struct CreateModeration: AsyncMigration {
        var name: String { "025_CreateModeration" }

        func prepare(on database: any Database) async throws {
            try await database.schema(Post.schema).field("hidden_at", .datetime).update()
            try await database.schema(PostReport.schema)
                .id()
                .field("post_id", .uuid, .required, .references(Post.schema, .id, onDelete: .cascade))
                .field("reporter_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("reason", .string, .required)
                .field("created_at", .datetime, .required)
                .field("closed_at", .datetime)
                .unique(on: "post_id", "reporter_id")
                .create()
            try await database.schema(Suspension.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("until", .datetime, .required)
                .field("reason", .string, .required)
                .field("by_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("created_at", .datetime, .required)
                .create()
            try await database.schema(ModerationEntry.schema)
                .id()
                .field("actor_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("action", .string, .required)
                .field("post_id", .uuid, .references(Post.schema, .id, onDelete: .setNull))
                .field("member_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("space_id", .uuid, .references(Space.schema, .id, onDelete: .setNull))
                .field("reason", .string, .required)
                .field("created_at", .datetime, .required)
                .create()
            let sql = database as! any SQLDatabase
            try await sql.create(index: "post_reports_open_idx").on(PostReport.schema).column("closed_at").column("post_id").run()
            try await sql.create(index: "suspensions_user_idx").on(Suspension.schema).column("user_id").column("until").run()
            try await sql.create(index: "moderation_log_created_idx").on(ModerationEntry.schema).column("created_at").run()
        }

        func revert(on database: any Database) async throws {
            for schema in [ModerationEntry.schema, Suspension.schema, PostReport.schema] { try await database.schema(schema).delete() }
            try await database.schema(Post.schema).deleteField("hidden_at").update()
        }
    }
}
