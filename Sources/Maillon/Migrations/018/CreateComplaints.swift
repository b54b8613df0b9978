import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations018 {
    struct CreateComplaints: AsyncMigration {
        var name: String { "018_CreateComplaints" }

        func prepare(on database: any Database) async throws {
            try await database.schema(Complaint.schema)
                .id()
                .field("reference", .string, .required)
                .field("user_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("name", .string, .required)
                .field("email", .string, .required)
                .field("training_id", .uuid, .references(Training.schema, .id, onDelete: .setNull))
                .field("body", .string, .required)
                .field("status", .string, .required)
                .field("owner_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("answer", .string)
                .field("received_at", .datetime, .required)
                .field("analysed_at", .datetime)
                .field("answered_at", .datetime)
                .field("closed_at", .datetime)
                .unique(on: "reference")
                .create()
            try await database.schema(ImprovementAction.schema)
                .id()
                .field("complaint_id", .uuid, .references(Complaint.schema, .id, onDelete: .setNull))
                .field("title", .string, .required)
                .field("description", .string, .required)
                .field("status", .string, .required)
                .field("created_at", .datetime, .required)
                .field("done_at", .datetime)
                .create()
            try await (database as! any SQLDatabase).create(index: "complaints_status_idx").on(Complaint.schema).column("status").column("received_at").run()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(ImprovementAction.schema).delete()
            try await database.schema(Complaint.schema).delete()
        }
    }
}
