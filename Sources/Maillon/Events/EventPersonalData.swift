import Fluent
import Foundation
import Vapor

/// "Download my data": the events I registered to, with my note and attendance.
struct EventRegistrationsSection: PersonalDataSection {
    let name = "event_registrations"

    func export(userID: UUID, on db: any Database) async throws -> Any {
        try await Registration.query(on: db).filter(\.$user.$id == userID).with(\.$event).sort(\.$createdAt).all().map {
            ["event": $0.event.title, "starts_at": PersonalData.stamp($0.event.startsAt), "status": $0.status.rawValue,
             "note": $0.note, "attendance": $0.attendance?.rawValue ?? NSNull(), "registered_at": PersonalData.stamp($0.createdAt)] as [String: Any]
        }
    }

    /// Before an account is erased: its seats at events not yet started go to the next in line (who are told).
    func beforeErase(userID: UUID, application: Application, on db: any Database, now: Date) async throws {
        let upcoming = try await Registration.query(on: db).filter(\.$user.$id == userID).filter(\.$status != .cancelled)
            .join(Event.self, on: \Registration.$event.$id == \Event.$id).filter(Event.self, \.$startsAt > now).all()
        for registration in upcoming {
            let promoted = try await Seats(database: db, now: now).cancel(registration.$event.id, userID: userID)
            try await EventNews(application: application, database: db, now: now).promoted(promoted)
        }
    }
}
