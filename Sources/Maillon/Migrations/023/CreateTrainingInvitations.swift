import Fluent

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations023 {
    /// People from outside the community invited to one session, as a trainee or as a trainer.
    struct CreateTrainingInvitations: AsyncMigration {
        var name: String { "023_CreateTrainingInvitations" }

        func prepare(on database: any Database) async throws {
            try await database.schema(TrainingInvitation.schema)
                .id()
                .field("session_id", .uuid, .required, .references(TrainingSession.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("kind", .string, .required)
                .field("invited_by", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("created_at", .datetime, .required)
                .unique(on: "session_id", "user_id", "kind")
                .create()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(TrainingInvitation.schema).delete()
        }
    }
}
