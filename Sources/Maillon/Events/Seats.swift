import Fluent
import Foundation
import SQLKit

/// Who holds a place at an event: the only code that changes a registration's status or an event's
/// seat count. Each change runs inside the caller's transaction and begins by locking the event row
/// (a no-op UPDATE: a row lock on PostgreSQL, the write lock on SQLite), so the changes to one
/// event happen one at a time and the capacity holds under parallel requests on any number of
/// instances. Past the capacity, people queue in the order they came; a freed seat goes to the first.
struct Seats {
    /// A transaction.
    let database: any Database
    let now: Date

    enum Refusal: Error, Equatable {
        case notFound, cancelled, deadlinePassed, started, alreadyRegistered, notRegistered, capacityBelowConfirmed, notMember

        /// The catalogue key of the message shown on the page the request came from.
        var key: String {
            switch self {
            case .notFound: "event.refused.not_found"
            case .cancelled: "event.refused.cancelled"
            case .deadlinePassed: "event.refused.deadline"
            case .started: "event.refused.started"
            case .alreadyRegistered: "event.refused.already"
            case .notRegistered: "event.refused.not_registered"
            case .capacityBelowConfirmed: "event.capacity_below_confirmed"
            case .notMember: "event.refused.members_only"
            }
        }
    }

    /// Locks the event for the rest of the transaction and reads it as it now is (one statement).
    func lock(_ eventID: UUID) async throws -> Event {
        guard let event = try await database.lockAndRead(Event.self, id: eventID, touching: "confirmed_count") else { throw Refusal.notFound }
        return event
    }

    /// Registers `userID`: a seat if one is left, else the next place on the waitlist. `admit` may refuse
    /// the event as it is read under the lock (who may register through the caller's pages).
    @discardableResult
    func register(_ eventID: UUID, userID: UUID, note: String, admit: (Event) throws -> Void = { _ in }) async throws -> Registration {
        // The event's row is held from the lock to the commit, so that stretch is kept short: this person's
        // registration is read before it, and the writes are plain statements, not Fluent's models (their
        // reflection was a fifth of a registration's time in a burst of 200). What was read before the lock
        // may have changed by then (the same person registering twice at once): the unique index refuses
        // a second row, and a cancelled row is taken back only if it is still cancelled.
        let sql = database as! any SQLDatabase
        let existing = try await sql.raw("""
            SELECT id, status, created_at FROM \(ident: Registration.schema) WHERE event_id = \(bind: eventID) AND user_id = \(bind: userID)
            """).first()
        let event = try await lock(eventID)
        try admit(event)
        guard !event.isCancelled else { throw Refusal.cancelled }
        guard now < event.startsAt else { throw Refusal.started }
        guard now < event.registrationDeadline else { throw Refusal.deadlinePassed }
        if let existing, try existing.decode(column: "status", as: String.self) != Registration.Status.cancelled.rawValue { throw Refusal.alreadyRegistered }
        let registration = Registration()
        registration.id = try existing?.decode(column: "id", as: UUID.self) ?? UUID()
        registration.$event.id = eventID
        registration.$user.id = userID
        registration.note = note
        registration.attendance = nil
        // Registering again (after cancelling) is a new seat: it gets its own reminder.
        registration.remindedAt = nil
        registration.createdAt = try existing?.decode(column: "created_at", as: Date.self) ?? now
        registration.updatedAt = now
        if event.confirmedCount < event.capacity {
            event.confirmedCount += 1
            registration.status = .confirmed
            registration.waitlistNumber = nil
        } else {
            event.waitlistSequence += 1
            registration.status = .waitlisted
            registration.waitlistNumber = event.waitlistSequence
        }
        try await sql.raw("""
            UPDATE \(ident: Event.schema) SET confirmed_count = \(bind: event.confirmedCount), waitlist_sequence = \(bind: event.waitlistSequence) \
            WHERE id = \(bind: eventID)
            """).run()
        let id = try registration.requireID()
        if existing == nil {
            do {
                try await sql.raw("""
                    INSERT INTO \(ident: Registration.schema) (id, event_id, user_id, status, waitlist_number, note, attendance, reminded_at, created_at, updated_at) \
                    VALUES (\(bind: id), \(bind: eventID), \(bind: userID), \(bind: registration.status.rawValue), \(bind: registration.waitlistNumber), \
                    \(bind: note), NULL, NULL, \(bind: now), \(bind: now))
                    """).run()
            } catch let error as any DatabaseError where error.isConstraintFailure {
                throw Refusal.alreadyRegistered
            }
        } else {
            let taken = try await sql.raw("""
                UPDATE \(ident: Registration.schema) SET status = \(bind: registration.status.rawValue), waitlist_number = \(bind: registration.waitlistNumber), \
                note = \(bind: note), attendance = NULL, reminded_at = NULL, updated_at = \(bind: now) \
                WHERE id = \(bind: id) AND status = \(bind: Registration.Status.cancelled.rawValue) RETURNING id
                """).all()
            if taken.isEmpty { throw Refusal.alreadyRegistered }
        }
        registration.$id.exists = true
        registration.$event.value = event
        return registration
    }

    /// Cancels `userID`'s registration; a seat it frees goes to the first on the waitlist.
    /// Returns the registrations promoted (each with its event loaded).
    @discardableResult
    func cancel(_ eventID: UUID, userID: UUID) async throws -> [Registration] {
        let event = try await lock(eventID)
        guard let registration = try await Registration.query(on: database).filter(\.$event.$id == eventID).filter(\.$user.$id == userID).first(),
              registration.status != .cancelled else { throw Refusal.notRegistered }
        guard now < event.startsAt else { throw Refusal.started }
        let heldSeat = registration.status == .confirmed
        registration.status = .cancelled
        registration.waitlistNumber = nil
        registration.updatedAt = now
        try await registration.save(on: database)
        guard heldSeat else { return [] }
        event.confirmedCount -= 1
        let promoted = try await fill(event)
        try await event.save(on: database)
        return promoted
    }

    /// Sets a new capacity (never below the seats already given); new seats go to the waitlist.
    func changeCapacity(_ event: Event, to capacity: Int) async throws -> [Registration] {
        guard capacity >= event.confirmedCount else { throw Refusal.capacityBelowConfirmed }
        event.capacity = capacity
        let promoted = try await fill(event)
        try await event.save(on: database)
        return promoted
    }

    /// Gives free seats to the waitlist, first come first served, until the event starts.
    private func fill(_ event: Event) async throws -> [Registration] {
        let free = event.capacity - event.confirmedCount
        guard free > 0, !event.isCancelled, now < event.startsAt else { return [] }
        let next = try await Registration.query(on: database).filter(\.$event.$id == event.requireID()).filter(\.$status == .waitlisted)
            .sort(\.$waitlistNumber).limit(free).all()
        for registration in next {
            registration.status = .confirmed
            registration.waitlistNumber = nil
            registration.updatedAt = now
            try await registration.save(on: database)
        }
        event.confirmedCount += next.count
        for registration in next { registration.$event.value = event }
        return next
    }

    /// A person's place in the queue: 1 for the next to get a seat.
    static func waitlistPosition(of registration: Registration, on db: any Database) async throws -> Int? {
        guard registration.status == .waitlisted, let number = registration.waitlistNumber else { return nil }
        let ahead = try await Registration.query(on: db).filter(\.$event.$id == registration.$event.id).filter(\.$status == .waitlisted)
            .filter(\.$waitlistNumber < number).count()
        return ahead + 1
    }
}
