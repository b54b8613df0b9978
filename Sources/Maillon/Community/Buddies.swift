import Fluent
import Foundation
import SQLKit
import Vapor

/// First-event buddies: when someone who has never attended an event registers for one, a volunteer
/// registered for the same event is asked to greet them (the one greeting the fewest there, the
/// earliest registered first); when a volunteer registers, the newcomers of that event still without
/// a buddy get them. Both are introduced; the organisers see who greets whom on the attendee list.
/// Run by `RegistrationNewsJob` once the seat is committed: an introduction never holds a seat's lock.
struct FirstEventBuddies {
    let application: Application
    let db: any Database
    let now: Date
    /// A volunteer greets at most this many newcomers at one event.
    static let perBuddy = 3

    func registered(_ registration: Registration, user: User) async throws {
        guard registration.status != .cancelled, user.role == .member else { return }
        let eventID = registration.$event.id, userID = try user.requireID()
        // The event as the seat's transaction loaded it, when it did.
        var event = registration.$event.value
        if event == nil { event = try await Event.find(eventID, on: db) }
        guard let event, event.startsAt > now else { return }
        if try await isNewcomer(userID) {
            if let buddy = try await availableBuddies(at: eventID, excluding: userID).first { try await introduce(userID, to: buddy, at: event) }
        }
        guard registration.status == .confirmed,
              try await Profile.query(on: db).filter(\.$user.$id == userID).first()?.buddyVolunteer == true else { return }
        let room = Self.perBuddy - (try await BuddyIntroduction.query(on: db).filter(\.$event.$id == eventID).filter(\.$buddy.$id == userID).count())
        guard room > 0 else { return }
        // The event's newcomers still without a buddy, in one query.
        let waiting = try await (db as! any SQLDatabase).raw("""
            SELECT r.user_id FROM event_registrations r
            WHERE r.event_id = \(bind: eventID) AND r.status <> \(bind: Registration.Status.cancelled.rawValue) AND r.user_id <> \(bind: userID)
            AND NOT EXISTS (SELECT 1 FROM buddy_introductions b WHERE b.event_id = r.event_id AND b.newcomer_id = r.user_id)
            AND NOT EXISTS (SELECT 1 FROM event_registrations a WHERE a.user_id = r.user_id AND a.attendance = \(bind: Registration.Attendance.attended.rawValue))
            ORDER BY r.created_at LIMIT \(unsafeRaw: String(room))
            """).all().map { try $0.decode(column: "user_id", as: UUID.self) }
        for newcomer in waiting { try await introduce(newcomer, to: userID, at: event) }
    }

    private func isNewcomer(_ userID: UUID) async throws -> Bool {
        try await Registration.query(on: db).filter(\.$user.$id == userID).filter(\.$attendance == .attended).count() == 0
    }

    /// Volunteers with a confirmed seat at the event, who greet fewer than `perBuddy` there.
    private func availableBuddies(at eventID: UUID, excluding userID: UUID) async throws -> [UUID] {
        let sql = db as! any SQLDatabase
        return try await sql.raw("""
            SELECT r.user_id FROM event_registrations r JOIN profiles p ON p.user_id = r.user_id
            WHERE r.event_id = \(bind: eventID) AND r.status = \(bind: Registration.Status.confirmed.rawValue) AND p.buddy_volunteer = \(bind: true)
            AND r.user_id <> \(bind: userID)
            AND (SELECT COUNT(*) FROM buddy_introductions b WHERE b.event_id = r.event_id AND b.buddy_id = r.user_id) < \(bind: Self.perBuddy)
            ORDER BY (SELECT COUNT(*) FROM buddy_introductions b WHERE b.event_id = r.event_id AND b.buddy_id = r.user_id), r.created_at
            """).all().map { try $0.decode(column: "user_id", as: UUID.self) }
    }

    private func introduce(_ newcomerID: UUID, to buddyID: UUID, at event: Event) async throws {
        guard let newcomer = try await User.find(newcomerID, on: db), let buddy = try await User.find(buddyID, on: db) else { return }
        try await db.transaction { db in
            let introduction = BuddyIntroduction()
            introduction.$event.id = try event.requireID()
            introduction.$newcomer.id = newcomerID
            introduction.$buddy.id = buddyID
            introduction.createdAt = now
            do { try await introduction.create(on: db) } catch let error as any DatabaseError where error.isConstraintFailure { return }
            let notifier = Notifier(application: application, database: db, now: now)
            let when = DateFormatting.date(event.startsAt, newcomer.locale ?? .default)
            try await notifier.notify(buddy, .init(kind: .buddy, textKey: "notify.buddy_greet", arguments: [newcomer.name, event.title, when],
                                                   link: SiteURL.member(newcomerID), subject: newcomerID))
            try await notifier.notify(newcomer, .init(kind: .buddy, textKey: "notify.buddy_greeted", arguments: [buddy.name, event.title],
                                                      link: SiteURL.member(buddyID), subject: buddyID))
        }
    }
}
