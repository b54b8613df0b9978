import Fluent
import Foundation
import SQLKit
import Vapor

/// Changing a series as a whole: ending it from a date on, or giving it a new rule or time of day.
/// Dates an organiser edited on their own, or that people registered to, are kept as they are: the
/// series never undoes a decision taken for one date, nor takes a seat from anyone.
struct SeriesEditor {
    let application: Application
    /// A transaction.
    let database: any Database
    let now: Date

    /// A date of the series from `from` on, with what protects it from being regenerated.
    struct Occurrence {
        let event: Event
        let registrations: Int
        /// Edited on its own page since the series made it.
        var editedAlone: Bool { event.updatedAt > event.createdAt }
        var isKept: Bool { editedAlone || registrations > 0 }
    }

    /// The scheduled dates from `from` on, in order, with their registration counts (two queries).
    func occurrences(of series: EventSeries, from: Date) async throws -> [Occurrence] {
        let events = try await Event.query(on: database).filter(\.$series.$id == series.requireID()).filter(\.$status == .scheduled)
            .filter(\.$startsAt >= from).sort(\.$startsAt).all()
        let ids = events.compactMap(\.id)
        var counts: [UUID: Int] = [:]
        if !ids.isEmpty {
            let rows = try await (database as! any SQLDatabase).select().column("event_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from(Registration.schema).where("event_id", .in, ids).where("status", .notEqual, Registration.Status.cancelled.rawValue)
                .groupBy("event_id").all()
            for row in rows { counts[try row.decode(column: "event_id", as: UUID.self)] = try row.decode(column: "n", as: Int.self) }
        }
        return events.map { Occurrence(event: $0, registrations: counts[$0.id ?? UUID()] ?? 0) }
    }

    /// Ends the series: every date from `from` on is cancelled (those registered are told, as for any
    /// cancellation) and no new date is made. Returns how many dates were cancelled.
    func end(_ series: EventSeries, from: Date) async throws -> Int {
        let seats = Seats(database: database, now: now)
        let news = EventNews(application: application, database: database, now: now)
        var cancelled = 0
        for occurrence in try await occurrences(of: series, from: from) {
            let event = try await seats.lock(occurrence.event.requireID())
            guard !event.isCancelled else { continue }
            event.status = .cancelled
            event.revision += 1
            event.updatedAt = now
            try await event.save(on: database)
            try await news.changed(event)
            cancelled += 1
        }
        series.active = false
        try await series.save(on: database)
        return cancelled
    }

    /// Gives the series a new rule and time of day from `from` on: untouched future dates are made
    /// again; dates edited alone or with registrations are kept, and returned so the organiser sees them.
    func change(_ series: EventSeries, to rule: Recurrence, hour: Int, minute: Int, from: Date) async throws -> [Event] {
        guard let template = try await Event.find(series.$template.id, on: database),
              let anchor = rule.anchor(before: from, hour: hour, minute: minute) else { return [] }
        let seriesID = try series.requireID()
        let existing = try await occurrences(of: series, from: from)
        let kept = existing.filter(\.isKept).map(\.event)
        let calendar = Recurrence.calendar
        let keptDays = Set(kept.map { calendar.startOfDay(for: $0.startsAt) })
        var starts = rule.occurrences(after: anchor, until: now.addingTimeInterval(SeriesPlanner.horizon))
            .filter { $0 >= from && !keptDays.contains(calendar.startOfDay(for: $0)) }
        let generatedUntil = starts.last ?? anchor

        for occurrence in existing where !occurrence.isKept {
            if occurrence.event.id == template.id {
                // The first date carries the series' details: it moves to the first new date instead of going.
                guard let first = starts.first else { continue }
                let shift = first.timeIntervalSince(template.startsAt)
                template.startsAt = first
                template.endsAt = template.endsAt.addingTimeInterval(shift)
                template.registrationDeadline = template.registrationDeadline.addingTimeInterval(shift)
                template.revision += 1
                try await template.save(on: database)
                starts.removeFirst()
            } else {
                try await occurrence.event.delete(on: database)
            }
        }
        for start in starts {
            try await template.occurrence(at: start, series: seriesID, now: now).create(on: database)
        }
        series.frequency = rule.frequency
        series.weekday = rule.weekday
        series.weekOfMonth = rule.week
        series.generatedUntil = generatedUntil
        series.active = true
        try await series.save(on: database)
        return kept
    }
}
