import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations006 {
    /// The directory's "newest" and "recently active" orders read a page straight off an index
    /// instead of sorting every profile (the member id breaks ties, in the same direction).
    struct CreateDirectoryOrderIndexes: AsyncMigration {
        var name: String { "006_CreateDirectoryOrderIndexes" }

        func prepare(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            try await sql.raw("CREATE INDEX profiles_newest_idx ON profiles (joined_at, user_id)").run()
            // NULLs (never active) come last when reading newest first: SQLite sorts them first
            // ascending already, PostgreSQL is told.
            if sql.dialect.name == "postgresql" {
                try await sql.raw("CREATE INDEX profiles_active_idx ON profiles (last_active_at DESC NULLS LAST, user_id DESC)").run()
            } else {
                try await sql.raw("CREATE INDEX profiles_active_idx ON profiles (last_active_at, user_id)").run()
            }
        }

        func revert(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            try await sql.raw("DROP INDEX profiles_active_idx").run()
            try await sql.raw("DROP INDEX profiles_newest_idx").run()
        }
    }
}
