import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations016 {
    struct CreateTrainings: AsyncMigration {
        var name: String { "016_CreateTrainings" }

        func prepare(on database: any Database) async throws {
            try await database.schema(Training.schema)
                .id()
                .field("slug", .string, .required)
                .field("status", .string, .required)
                .field("version", .int, .required)
                .field("title", .string, .required)
                .field("objectives", .string, .required)
                .field("prerequisites", .string, .required)
                .field("audience", .string, .required)
                .field("hours", .int)
                .field("half_days", .int)
                .field("modality", .string, .required)
                .field("price_inter", .int)
                .field("price_intra", .int)
                .field("access_delay", .string, .required)
                .field("methods", .string, .required)
                .field("evaluation", .string, .required)
                .field("programme", .string, .required)
                .field("accessibility", .string, .required)
                .field("contacts", .string, .required)
                .field("created_at", .datetime, .required)
                .field("updated_at", .datetime, .required)
                .unique(on: "slug")
                .create()
            try await database.schema(TrainingVersion.schema)
                .id()
                .field("training_id", .uuid, .required, .references(Training.schema, .id, onDelete: .cascade))
                .field("number", .int, .required)
                .field("content", .string, .required)
                .field("author_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("created_at", .datetime, .required)
                .unique(on: "training_id", "number")
                .create()
            try await (database as! any SQLDatabase).create(index: "trainings_status_idx").on(Training.schema).column("status").column("title").run()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(TrainingVersion.schema).delete()
            try await database.schema(Training.schema).delete()
        }
    }
}
