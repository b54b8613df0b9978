import Fluent
import Foundation
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations028 {
    /// Each account gets a handle (`@lea-martin-3f2a`) by which members mention each other.
    struct AddUserHandles: AsyncMigration {
        var name: String { "028_AddUserHandles" }

        func prepare(on database: any Database) async throws {
            try await database.schema(User.schema).field("handle", .string).update()
            let sql = database as! any SQLDatabase
            // Edited after shipping (2026-11-28), safely: as first shipped, two people of the same name could
            // draw the same suffix, and the unique index below then failed the migration — so no database
            // recorded it with a clash. Each handle is now drawn again while an earlier one has it.
            var taken: Set<String> = []
            for row in try await sql.select().column("id").column("name").from(User.schema).all() {
                let name = try row.decode(column: "name", as: String.self)
                let handle = await User.freeHandle(User.makeHandle(name), name: name) { taken.contains($0) }
                taken.insert(handle)
                try await sql.update(User.schema).set("handle", to: handle).where("id", .equal, try row.decode(column: "id", as: UUID.self)).run()
            }
            try await sql.create(index: "users_handle_idx").on(User.schema).column("handle").unique().run()
        }

        func revert(on database: any Database) async throws {
            try await (database as! any SQLDatabase).drop(index: "users_handle_idx").run()
            try await database.schema(User.schema).deleteField("handle").update()
        }
    }
}
