import Fluent

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations034 {
    /// A form's answer ("you are registered") now travels in a signed cookie with the redirect: the
    /// session's `flash` column is no longer written or read.
    struct DropSessionFlash: AsyncMigration {
        var name: String { "034_DropSessionFlash" }

        func prepare(on database: any Database) async throws {
            try await database.schema(UserSession.schema).deleteField("flash").update()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(UserSession.schema).field("flash", .string).update()
        }
    }
}
