import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations017 {
    struct CreateTrainingSessions: AsyncMigration {
        var name: String { "017_CreateTrainingSessions" }

        func prepare(on database: any Database) async throws {
            try await database.schema(TrainingRulesText.schema)
                .id()
                .field("version", .int, .required)
                .field("body", .string, .required)
                .field("author_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("published_at", .datetime, .required)
                .unique(on: "version")
                .create()
            try await database.schema(TrainingSession.schema)
                .id()
                .field("training_id", .uuid, .required, .references(Training.schema, .id))
                .field("training_version", .int, .required)
                .field("event_id", .uuid, .required, .references(Event.schema, .id))
                .field("price", .int, .required)
                .field("rules_version", .int)
                .field("created_at", .datetime, .required)
                .unique(on: "event_id")
                .create()
            try await database.schema(TrainingHalfDay.schema)
                .id()
                .field("session_id", .uuid, .required, .references(TrainingSession.schema, .id, onDelete: .cascade))
                .field("starts_at", .datetime, .required)
                .field("ends_at", .datetime, .required)
                .unique(on: "session_id", "starts_at")
                .create()
            try await database.schema(TrainingTrainer.schema)
                .id()
                .field("session_id", .uuid, .required, .references(TrainingSession.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .unique(on: "session_id", "user_id")
                .create()
            try await database.schema(Enrolment.schema)
                .id()
                .field("session_id", .uuid, .required, .references(TrainingSession.schema, .id))
                .field("registration_id", .uuid, .references(Registration.schema, .id, onDelete: .setNull))
                .field("user_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("expectations", .string, .required)
                .field("level", .string, .required)
                .field("adaptation", .string, .required)
                .field("trainee_status", .string, .required)
                .field("funding", .string, .required)
                .field("programme_version", .int, .required)
                .field("rules_version", .int)
                .field("acknowledged_at", .datetime, .required)
                .field("convocation_sent_at", .datetime)
                .field("created_at", .datetime, .required)
                .field("updated_at", .datetime, .required)
                .unique(on: "registration_id")
                .create()
            let sql = database as! any SQLDatabase
            try await sql.create(index: "training_sessions_training_idx").on(TrainingSession.schema).column("training_id").run()
            try await sql.create(index: "training_enrolments_session_idx").on(Enrolment.schema).column("session_id").run()
            try await sql.create(index: "training_enrolments_user_idx").on(Enrolment.schema).column("user_id").run()
            try await sql.create(index: "training_trainers_user_idx").on(TrainingTrainer.schema).column("user_id").run()
        }

        func revert(on database: any Database) async throws {
            for schema in [Enrolment.schema, TrainingTrainer.schema, TrainingHalfDay.schema, TrainingSession.schema, TrainingRulesText.schema] {
                try await database.schema(schema).delete()
            }
        }
    }
}
