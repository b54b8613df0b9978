import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations033 {
    /// The radar's list kept between readings: who showed signals at the last look (one row a person,
    /// with the kinds of signal), and each chapter's last look with how many members it watched.
    struct CreateRadarWatch: AsyncMigration {
        var name: String { "033_CreateRadarWatch" }

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
        }

        func revert(on database: any Database) async throws {
            try await database.schema(RadarLook.schema).delete()
            try await database.schema(RadarEntry.schema).delete()
        }
    }
}
