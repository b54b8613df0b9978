import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations013 {
    struct CreateMissionReviews: AsyncMigration {
        var name: String { "013_CreateMissionReviews" }

        func prepare(on database: any Database) async throws {
            try await database.schema(MissionReview.schema)
                .id()
                .field("mission_id", .uuid, .required, .references(Mission.schema, .id, onDelete: .cascade))
                .field("direction", .string, .required)
                .field("freelancer_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("organisation_id", .uuid, .required, .references(Organisation.schema, .id, onDelete: .cascade))
                .field("author_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("rating", .int, .required)
                .field("text", .string, .required)
                .field("reply", .string)
                .field("created_at", .datetime, .required)
                .unique(on: "mission_id", "freelancer_id", "direction")
                .create()
            let sql = database as! any SQLDatabase
            try await sql.create(index: "mission_reviews_freelancer_idx").on(MissionReview.schema).column("freelancer_id").run()
            try await sql.create(index: "mission_reviews_organisation_idx").on(MissionReview.schema).column("organisation_id").run()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(MissionReview.schema).delete()
        }
    }
}
