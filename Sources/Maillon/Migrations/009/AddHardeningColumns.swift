import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations009 {
    /// Columns the hardening and meetups fixes need. One column per statement: SQLite adds them one at a time.
    struct AddHardeningColumns: AsyncMigration {
        var name: String { "009_AddHardeningColumns" }

        static let columns: [(table: String, column: String, type: DatabaseSchema.DataType)] = [
            // The address a member asked to move to: a confirmation link works only while it is still wanted.
            (User.schema, "pending_email", .string),
            // Every address the account had before (JSON array): erasure looks for them everywhere.
            (User.schema, "former_emails", .string),
            // The first sign-in raises no "new device" notice.
            (User.schema, "last_sign_in_at", .datetime),
            // The person a notification is about, so erasure can scrub it.
            (AppNotification.schema, "subject_user_id", .uuid),
            // The day-before reminder goes once per registration.
            (Registration.schema, "reminded_at", .datetime),
        ]

        func prepare(on database: any Database) async throws {
            for (table, column, type) in Self.columns {
                try await database.schema(table).field(FieldKey(stringLiteral: column), type).update()
            }
            let sql = database as! any SQLDatabase
            try await sql.create(index: "notifications_subject_idx").on(AppNotification.schema).column("subject_user_id").run()
        }

        func revert(on database: any Database) async throws {
            let sql = database as! any SQLDatabase
            try await sql.drop(index: "notifications_subject_idx").run()
            for (table, column, _) in Self.columns.reversed() {
                try await database.schema(table).deleteField(FieldKey(stringLiteral: column)).update()
            }
        }
    }
}
