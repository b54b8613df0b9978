import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations014 {
    struct CreateContributions: AsyncMigration {
        var name: String { "014_CreateContributions" }

        func prepare(on database: any Database) async throws {
            try await database.schema(Contribution.schema)
                .id()
                .field("mission_id", .uuid, .required, .references(Mission.schema, .id, onDelete: .cascade))
                .field("organisation_id", .uuid, .required, .references(Organisation.schema, .id, onDelete: .cascade))
                .field("suggested", .int)
                .field("amount", .int, .required)
                .field("reference", .string, .required)
                .field("status", .string, .required)
                .field("pledged_by_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("pledged_at", .datetime, .required)
                .field("received_at", .datetime)
                .unique(on: "mission_id")
                .create()
            try await (database as! any SQLDatabase).create(index: "contributions_status_idx").on(Contribution.schema).column("status").column("pledged_at").run()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(Contribution.schema).delete()
        }
    }
}
