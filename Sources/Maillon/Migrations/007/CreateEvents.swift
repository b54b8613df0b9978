import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations007 {
    struct CreateEvents: AsyncMigration {
        var name: String { "007_CreateEvents" }

        func prepare(on database: any Database) async throws {
            try await database.schema(Event.schema)
                .id()
                .field("chapter_id", .uuid, .references(Chapter.schema, .id, onDelete: .restrict))
                .field("series_id", .uuid)
                .field("kind", .string, .required)
                .field("title", .string, .required)
                .field("description", .string, .required)
                .field("starts_at", .datetime, .required)
                .field("ends_at", .datetime, .required)
                .field("venue_name", .string, .required)
                .field("venue_address", .string, .required)
                .field("map_url", .string)
                .field("online_url", .string)
                .field("capacity", .int, .required)
                .field("confirmed_count", .int, .required)
                .field("waitlist_sequence", .int, .required)
                .field("registration_deadline", .datetime, .required)
                .field("cost_note", .string, .required)
                .field("visibility", .string, .required)
                .field("status", .string, .required)
                .field("revision", .int, .required)
                .field("created_by_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("created_at", .datetime, .required)
                .field("updated_at", .datetime, .required)
                .field("reminded_at", .datetime)
                .create()
            try await database.schema(Registration.schema)
                .id()
                .field("event_id", .uuid, .required, .references(Event.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("status", .string, .required)
                .field("waitlist_number", .int)
                .field("note", .string, .required)
                .field("attendance", .string)
                .field("created_at", .datetime, .required)
                .field("updated_at", .datetime, .required)
                .unique(on: "event_id", "user_id")
                .create()
            try await database.schema(EventSeries.schema)
                .id()
                .field("chapter_id", .uuid, .references(Chapter.schema, .id, onDelete: .restrict))
                .field("frequency", .string, .required)
                .field("weekday", .int, .required)
                .field("week_of_month", .int)
                .field("template_event_id", .uuid, .required, .references(Event.schema, .id, onDelete: .cascade))
                .field("generated_until", .datetime, .required)
                .field("active", .bool, .required)
                .field("created_at", .datetime, .required)
                .create()
            try await database.schema(CalendarFeed.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("version", .int, .required)
                .unique(on: "user_id")
                .create()
            let sql = database as! any SQLDatabase
            try await sql.create(index: "events_upcoming_idx").on(Event.schema).column("starts_at").run()
            try await sql.create(index: "events_chapter_idx").on(Event.schema).column("chapter_id").column("starts_at").run()
            try await sql.create(index: "events_series_idx").on(Event.schema).column("series_id").column("starts_at").run()
            try await sql.create(index: "registrations_user_idx").on(Registration.schema).column("user_id").column("status").run()
            try await sql.create(index: "registrations_queue_idx").on(Registration.schema).column("event_id").column("status").column("waitlist_number").run()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(CalendarFeed.schema).delete()
            try await database.schema(EventSeries.schema).delete()
            try await database.schema(Registration.schema).delete()
            try await database.schema(Event.schema).delete()
        }
    }
}
