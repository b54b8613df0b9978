import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations008 {
    /// The directory filtered by profession reads its page of newest members straight off an index
    /// instead of sorting that profession's members.
    struct CreateProfessionOrderIndex: AsyncMigration {
        var name: String { "008_CreateProfessionOrderIndex" }

        func prepare(on database: any Database) async throws {
            try await (database as! any SQLDatabase).raw("CREATE INDEX profiles_profession_newest_idx ON profiles (profession, joined_at, user_id)").run()
        }

        func revert(on database: any Database) async throws {
            try await (database as! any SQLDatabase).raw("DROP INDEX profiles_profession_newest_idx").run()
        }
    }
}
