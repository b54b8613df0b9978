import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations021 {
    struct CreateSurveys: AsyncMigration {
        var name: String { "021_CreateSurveys" }

        func prepare(on database: any Database) async throws {
            try await database.schema(SurveyRequest.schema)
                .id()
                .field("session_id", .uuid, .required, .references(TrainingSession.schema, .id, onDelete: .cascade))
                .field("kind", .string, .required)
                .field("user_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("sent_at", .datetime, .required)
                .field("reminded_at", .datetime)
                .field("answered_at", .datetime)
                .unique(on: "session_id", "kind", "user_id")
                .create()
            try await database.schema(SurveyResponse.schema)
                .id()
                .field("session_id", .uuid, .required, .references(TrainingSession.schema, .id, onDelete: .cascade))
                .field("kind", .string, .required)
                .field("satisfaction", .int, .required)
                .field("objectives_met", .int)
                .field("recommends", .bool)
                .field("applied", .int)
                .field("comment", .string, .required)
                .field("created_at", .datetime, .required)
                .create()
            try await (database as! any SQLDatabase).create(index: "training_survey_responses_session_idx").on(SurveyResponse.schema).column("session_id").run()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(SurveyResponse.schema).delete()
            try await database.schema(SurveyRequest.schema).delete()
        }
    }
}
