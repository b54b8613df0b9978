import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations012 {
    struct CreateMissionSuggestions: AsyncMigration {
        var name: String { "012_CreateMissionSuggestions" }

        func prepare(on database: any Database) async throws {
            try await database.schema(MissionSuggestion.schema)
                .id()
                .field("mission_id", .uuid, .required, .references(Mission.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("rank", .int, .required)
                .field("created_at", .datetime, .required)
                .unique(on: "mission_id", "user_id")
                .create()
            try await (database as! any SQLDatabase).create(index: "mission_suggestions_recent_idx").on(MissionSuggestion.schema)
                .column("created_at").column("user_id").run()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(MissionSuggestion.schema).delete()
        }
    }
}
