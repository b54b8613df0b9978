import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations032 {
    /// What the radar, the console and the analytics read at 50,000 members: a chapter's members with
    /// their dates straight from an index, the few accounts that are not members by their role, and
    /// a month's binômes.
    struct AddCommunityHealthIndexes: AsyncMigration {
        var name: String { "032_AddCommunityHealthIndexes" }

        func prepare(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            try await sql.create(index: "profiles_radar_idx").on(Profile.schema)
                .column("home_chapter_id").column("radar_opt_out").column("user_id").column("joined_at").column("last_active_at").run()
            try await sql.create(index: "users_role_idx").on(User.schema).column("role").run()
            try await sql.create(index: "pairing_members_month_idx").on(PairingMember.schema).column("month").column("outcome").run()
        }

        func revert(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            for index in ["pairing_members_month_idx", "users_role_idx", "profiles_radar_idx"] { try await sql.drop(index: index).run() }
        }
    }
}
