import Fluent

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations030 {
    /// Reports on direct messages, for the admins to review.
    struct CreateMessageReports: AsyncMigration {
        var name: String { "030_CreateMessageReports" }

        func prepare(on database: any Database) async throws {
            try await database.schema(MessageReport.schema)
                .id()
                .field("message_id", .uuid, .required, .references(DirectMessage.schema, .id, onDelete: .cascade))
                .field("reporter_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("reason", .string, .required)
                .field("created_at", .datetime, .required)
                .field("closed_at", .datetime)
                .unique(on: "message_id", "reporter_id")
                .create()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(MessageReport.schema).delete()
        }
    }
}
