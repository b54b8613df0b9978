import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations003 {
    struct CreateMembership: AsyncMigration {
        var name: String { "003_CreateMembership" }

        func prepare(on database: any Database) async throws {
            try await database.schema(Chapter.schema)
                .id()
                .field("slug", .string, .required)
                .field("name", .string, .required)
                .field("region", .string, .required)
                .field("description", .string, .required)
                .field("contact_email", .string)
                .field("status", .string, .required)
                .field("created_at", .datetime)
                .unique(on: "slug")
                .create()

            try await database.schema(Ambassadorship.schema)
                .id()
                .field("chapter_id", .uuid, .required, .references(Chapter.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("created_at", .datetime)
                .unique(on: "chapter_id", "user_id")
                .create()

            try await database.schema(ChapterFollow.schema)
                .id()
                .field("chapter_id", .uuid, .required, .references(Chapter.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("created_at", .datetime)
                .unique(on: "chapter_id", "user_id")
                .create()

            try await database.schema(Welcome.schema)
                .id()
                .field("chapter_id", .uuid, .required, .references(Chapter.schema, .id, onDelete: .cascade))
                .field("newcomer_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("welcomed_by_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("note", .string)
                .field("welcomed_at", .datetime, .required)
                .unique(on: "chapter_id", "newcomer_id")
                .create()

            try await database.schema(Charter.schema)
                .id()
                .field("version", .int, .required)
                .field("body", .string, .required)
                .field("published_at", .datetime, .required)
                .field("published_by_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .unique(on: "version")
                .create()

            try await database.schema(CharterAcceptance.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("charter_id", .uuid, .required, .references(Charter.schema, .id, onDelete: .restrict))
                .field("accepted_at", .datetime, .required)
                .unique(on: "user_id", "charter_id")
                .create()

            try await database.schema(MembershipApplication.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("chapter_id", .uuid, .required, .references(Chapter.schema, .id, onDelete: .restrict))
                .field("headline", .string, .required)
                .field("city", .string, .required)
                .field("profession", .string, .required)
                .field("motivation", .string, .required)
                .field("charter_id", .uuid, .required, .references(Charter.schema, .id, onDelete: .restrict))
                .field("status", .string, .required)
                .field("decision_message", .string)
                .field("decided_at", .datetime)
                .field("created_at", .datetime, .required)
                .field("updated_at", .datetime, .required)
                .unique(on: "user_id")
                .create()

            try await database.schema(ApplicationEvent.schema)
                .id()
                .field("application_id", .uuid, .required, .references(MembershipApplication.schema, .id, onDelete: .cascade))
                .field("actor_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("from_status", .string)
                .field("to_status", .string, .required)
                .field("message", .string)
                .field("created_at", .datetime, .required)
                .create()

            try await database.schema(Profile.schema)
                .id()
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("home_chapter_id", .uuid, .references(Chapter.schema, .id, onDelete: .setNull))
                .field("headline", .string, .required)
                .field("bio", .string, .required)
                .field("city", .string, .required)
                .field("profession", .string, .required)
                .field("visibility", .string, .required)
                .field("availability", .string, .required)
                .field("available_from", .datetime)
                .field("days_per_week", .int)
                .field("work_mode", .string, .required)
                .field("languages", .string, .required)
                .field("years_experience", .int)
                .field("day_rate_min", .int)
                .field("day_rate_max", .int)
                .field("website", .string)
                .field("linkedin", .string)
                .field("photo_path", .string)
                .field("joined_at", .datetime, .required)
                .field("updated_at", .datetime, .required)
                .unique(on: "user_id")
                .create()

            let sql = database as! any SQLDatabase
            try await sql.create(index: "chapter_ambassadors_user_idx").on(Ambassadorship.schema).column("user_id").run()
            try await sql.create(index: "applications_queue_idx").on(MembershipApplication.schema).column("status").column("chapter_id").column("created_at").run()
            try await sql.create(index: "application_events_application_idx").on(ApplicationEvent.schema).column("application_id").run()
            try await sql.create(index: "profiles_chapter_idx").on(Profile.schema).column("home_chapter_id").column("joined_at").run()
            try await sql.create(index: "charter_acceptances_user_idx").on(CharterAcceptance.schema).column("user_id").run()
        }

        func revert(on database: any Database) async throws {
            for schema in [Profile.schema, ApplicationEvent.schema, MembershipApplication.schema, CharterAcceptance.schema, Charter.schema,
                           Welcome.schema, ChapterFollow.schema, Ambassadorship.schema, Chapter.schema] {
                try await database.schema(schema).delete()
            }
        }
    }
}
