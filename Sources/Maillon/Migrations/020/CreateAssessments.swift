import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations020 {
    struct CreateAssessments: AsyncMigration {
        var name: String { "020_CreateAssessments" }

        func prepare(on database: any Database) async throws {
            try await database.schema(ObjectiveAssessment.schema)
                .id()
                .field("enrolment_id", .uuid, .required, .references(Enrolment.schema, .id, onDelete: .cascade))
                .field("objective_index", .int, .required)
                .field("objective", .string, .required)
                .field("entry", .string)
                .field("result", .string)
                .field("assessed_by_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("updated_at", .datetime, .required)
                .unique(on: "enrolment_id", "objective_index")
                .create()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(ObjectiveAssessment.schema).delete()
        }
    }
}
