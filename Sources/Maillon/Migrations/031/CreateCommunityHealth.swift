import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations031 {
    /// Community health: when a member joined their chapter, their radar, binôme and buddy choices,
    /// monthly check-ins, the ambassadors' actions, binômes, first-event buddies, and mandates.
    struct CreateCommunityHealth: AsyncMigration {
        var name: String { "031_CreateCommunityHealth" }

        func prepare(on database: any Database) async throws {
            // One column per statement (SQLite adds one at a time).
            try await database.schema(Profile.schema).field("chapter_since", .datetime).update()
            try await database.schema(Profile.schema).field("radar_opt_out", .bool, .required, .sql(.default(false))).update()
            try await database.schema(Profile.schema).field("pairing_opt_in", .bool, .required, .sql(.default(false))).update()
            try await database.schema(Profile.schema).field("buddy_volunteer", .bool, .required, .sql(.default(false))).update()
            let sql = database as! any SQLDatabase
            try await sql.raw("UPDATE \(ident: Profile.schema) SET chapter_since = joined_at").run()
            try await database.schema(Ambassadorship.schema).field("started_at", .datetime).update()
            try await sql.raw("UPDATE \(ident: Ambassadorship.schema) SET started_at = created_at").run()

            try await database.schema(CheckIn.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("month", .string, .required)
                .field("score", .int, .required)
                .field("note", .string)
                .field("created_at", .datetime, .required)
                .unique(on: "user_id", "month")
                .create()
            try await database.schema(RadarAction.schema)
                .id()
                .field("member_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("chapter_id", .uuid, .required, .references(Chapter.schema, .id, onDelete: .cascade))
                .field("by_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("kind", .string, .required)
                .field("note", .string)
                .field("created_at", .datetime, .required)
                .create()
            try await sql.create(index: "radar_actions_member_idx").on(RadarAction.schema).column("member_id").column("created_at").run()
            try await database.schema(Pairing.schema)
                .id()
                .field("month", .string, .required)
                .field("chapter_id", .uuid, .references(Chapter.schema, .id, onDelete: .setNull))
                .field("strangers", .bool, .required)
                .field("created_at", .datetime, .required)
                .create()
            try await sql.create(index: "pairings_month_idx").on(Pairing.schema).column("month").run()
            try await database.schema(PairingMember.schema)
                .id()
                .field("pairing_id", .uuid, .required, .references(Pairing.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("month", .string, .required)
                .field("outcome", .string, .required)
                .field("answered_at", .datetime)
                // Once a month: a second run of the job cannot pair anyone twice.
                .unique(on: "user_id", "month")
                .create()
            try await database.schema(Handover.schema)
                .id()
                .field("chapter_id", .uuid, .required, .references(Chapter.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("started_at", .datetime, .required)
                .field("ended_at", .datetime, .required)
                .field("note", .string, .required)
                .create()
            try await database.schema(BuddyIntroduction.schema)
                .id()
                .field("event_id", .uuid, .required, .references(Event.schema, .id, onDelete: .cascade))
                .field("newcomer_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("buddy_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("created_at", .datetime, .required)
                .unique(on: "event_id", "newcomer_id")
                .create()
        }

        func revert(on database: any Database) async throws {
            for schema in [BuddyIntroduction.schema, Handover.schema, PairingMember.schema, Pairing.schema, RadarAction.schema, CheckIn.schema] {
                try await database.schema(schema).delete()
            }
            try await database.schema(Ambassadorship.schema).deleteField("started_at").update()
            for field in ["buddy_volunteer", "pairing_opt_in", "radar_opt_out", "chapter_since"] { try await database.schema(Profile.schema).deleteField(.string(field)).update() }
        }
    }
}
