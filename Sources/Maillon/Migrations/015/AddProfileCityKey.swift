import Fluent
import Foundation
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations015 {
    /// A profile's city folded (case, accents) as the matching compares it, so the database can filter
    /// and score places itself (see `MatchingQuery.best`). Kept by `Profile.CityKey` on every save.
    struct AddProfileCityKey: AsyncMigration {
        var name: String { "015_AddProfileCityKey" }

        func prepare(on database: any Database) async throws {
            try await database.schema(Profile.schema).field("city_key", .string, .required, .sql(.default(""))).update()
            let sql = database as! any SQLDatabase
            // One update per spelling, not per profile.
            for row in try await sql.select().distinct().column("city").from(Profile.schema).all() {
                let city = try row.decode(column: "city", as: String.self)
                try await sql.update(Profile.schema).set("city_key", to: Taxonomy.fold(city)).where("city", .equal, city).run()
            }
            try await sql.create(index: "profiles_city_key_idx").on(Profile.schema).column("city_key").run()
            // Who holds a skill, read from the index alone (the slug-only index it replaces had to visit each row).
            try await sql.create(index: "profile_skills_slug_user_idx").on(ProfileSkill.schema).column("slug").column("user_id").run()
            try await sql.drop(index: "profile_skills_slug_idx").run()
        }

        func revert(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            try await sql.create(index: "profile_skills_slug_idx").on(ProfileSkill.schema).column("slug").run()
            try await sql.drop(index: "profile_skills_slug_user_idx").run()
            try await sql.drop(index: "profiles_city_key_idx").run()
            try await database.schema(Profile.schema).deleteField("city_key").update()
        }
    }
}
