import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations022 {
    /// When a trainee's account is erased, what the law requires to be kept (attendance, certificates)
    /// keeps their name until `retained_until`, then loses it. And when each certificate was mailed.
    struct AddTrainingRetention: AsyncMigration {
        var name: String { "022_AddTrainingRetention" }

        func prepare(on database: any Database) async throws {
            try await database.schema(Enrolment.schema).field("retained_name", .string).update()
            try await database.schema(Enrolment.schema).field("retained_until", .datetime).update()
            try await database.schema(Enrolment.schema).field("certificate_sent_at", .datetime).update()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(Enrolment.schema).deleteField("certificate_sent_at").update()
            try await database.schema(Enrolment.schema).deleteField("retained_until").update()
            try await database.schema(Enrolment.schema).deleteField("retained_name").update()
        }
    }
}
