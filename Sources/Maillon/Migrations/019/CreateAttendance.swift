import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations019 {
    struct CreateAttendance: AsyncMigration {
        var name: String { "019_CreateAttendance" }

        func prepare(on database: any Database) async throws {
            // One column per statement: SQLite adds them one at a time.
            try await database.schema(TrainingHalfDay.schema).field("code", .string, .required, .sql(.default(""))).update()
            try await database.schema(TrainingHalfDay.schema).field("closed_at", .datetime).update()
            try await database.schema(TrainingHalfDay.schema).field("trainer_id", .uuid, .references(User.schema, .id, onDelete: .setNull)).update()
            try await database.schema(TrainingHalfDay.schema).field("trainer_signature_kind", .string).update()
            try await database.schema(TrainingHalfDay.schema).field("trainer_signature", .string, .required, .sql(.default(""))).update()
            try await database.schema(Attendance.schema)
                .id()
                .field("half_day_id", .uuid, .required, .references(TrainingHalfDay.schema, .id, onDelete: .cascade))
                .field("enrolment_id", .uuid, .required, .references(Enrolment.schema, .id, onDelete: .cascade))
                .field("status", .string, .required)
                .field("signature_kind", .string)
                .field("signature", .string, .required)
                .field("signed_at", .datetime)
                .field("ip", .string, .required)
                .field("device", .string, .required)
                .field("connected_from", .datetime)
                .field("connected_until", .datetime)
                .field("marked_by_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("updated_at", .datetime, .required)
                .unique(on: "half_day_id", "enrolment_id")
                .create()
            let sql = database as! any SQLDatabase
            try await sql.create(index: "training_half_days_code_idx").on(TrainingHalfDay.schema).column("code").run()
            try await sql.create(index: "training_attendances_enrolment_idx").on(Attendance.schema).column("enrolment_id").run()
        }

        func revert(on database: any Database) async throws {
            try await database.schema(Attendance.schema).delete()
            try await (database as! any SQLDatabase).drop(index: "training_half_days_code_idx").run()
            for field in ["trainer_signature", "trainer_signature_kind", "trainer_id", "closed_at", "code"] {
                try await database.schema(TrainingHalfDay.schema).deleteField(.string(field)).update()
            }
        }
    }
}
