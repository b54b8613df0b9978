import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations026 {
    /// A thread's skill tags (a help request's, to find who can answer), and when an unanswered help
    /// request was brought to those who can help (once).
    struct AddHelpRequestTags: AsyncMigration {
        var name: String { "026_AddHelpRequestTags" }

        func prepare(on database: any Database) async throws {
            try await database.schema(DiscussionThread.schema).field("escalated_at", .datetime).update()
            try await database.schema(ThreadTag.schema)
                .id()
                .field("thread_id", .uuid, .required, .references(DiscussionThread.schema, .id, onDelete: .cascade))
                .field("slug", .string, .required)
                .field("label", .string, .required)
                .unique(on: "thread_id", "slug")
                .create()
            let sql = database as! any SQLDatabase
            try await sql.create(index: "thread_tags_slug_idx").on(ThreadTag.schema).column("slug").run()
            try await sql.create(index: "threads_help_open_idx").on(DiscussionThread.schema).column("is_help").column("escalated_at").column("created_at").run()
        }

        func revert(on database: any Database) async throws {
            try await (database as! any SQLDatabase).drop(index: "threads_help_open_idx").run()
            try await database.schema(ThreadTag.schema).delete()
            try await database.schema(DiscussionThread.schema).deleteField("escalated_at").update()
        }
    }
}
