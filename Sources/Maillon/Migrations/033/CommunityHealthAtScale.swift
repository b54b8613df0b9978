import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations033 {
    /// Community health at 50,000 members. The radar's list kept between readings: who showed signals
    /// at the last look (one row a person, with the kinds of signal), and each chapter's last look with
    /// how many members it watched. A chapter's members by arrival for the console; members by the day
    /// they joined, and a month's binômes with who was in them, for the analytics.
    struct CommunityHealthAtScale: AsyncMigration {
        var name: String { "033_CommunityHealthAtScale" }

        func prepare(on database: any Database) async throws {
            try await database.schema(RadarEntry.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("chapter_id", .uuid, .required, .references(Chapter.schema, .id, onDelete: .cascade))
                .field("signals", .string, .required)
                .field("computed_at", .datetime, .required)
                .unique(on: "user_id")
                .create()
            let sql = database as! any SQLDatabase
            try await sql.create(index: "radar_entries_chapter_idx").on(RadarEntry.schema).column("chapter_id").column("signals").run()
            try await database.schema(RadarLook.schema)
                .id()
                .field("chapter_id", .uuid, .required, .references(Chapter.schema, .id, onDelete: .cascade))
                .field("watched", .int, .required)
                .field("looked_at", .datetime, .required)
                .unique(on: "chapter_id")
                .create()
            try await sql.create(index: "profiles_arrival_idx").on(Profile.schema).column("home_chapter_id").column("chapter_since").column("user_id").run()
            try await sql.create(index: "profiles_joined_idx").on(Profile.schema).column("joined_at").column("user_id").column("home_chapter_id").run()
            try await sql.create(index: "pairing_members_people_idx").on(PairingMember.schema).column("month").column("outcome").column("user_id").run()
            // Its first columns are the new index's.
            try await sql.drop(index: "pairing_members_month_idx").run()
        }

        func revert(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            try await sql.create(index: "pairing_members_month_idx").on(PairingMember.schema).column("month").column("outcome").run()
            for index in ["pairing_members_people_idx", "profiles_joined_idx", "profiles_arrival_idx"] { try await sql.drop(index: index).run() }
            try await database.schema(RadarLook.schema).delete()
            try await database.schema(RadarEntry.schema).delete()
        }
    }
}
