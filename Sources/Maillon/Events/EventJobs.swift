import Fluent
import Foundation
import SQLKit
import Vapor

/// Creates a series' occurrences ahead of time (90 days): each a plain event, editable on its own.
struct SeriesPlanner {
    let database: any Database
    let now: Date

    static let horizon: TimeInterval = 90 * 86400

    func extend(_ series: EventSeries, template: Event) async throws {
        guard series.active, let rule = Recurrence(frequency: series.frequency, weekday: series.weekday, week: series.weekOfMonth) else { return }
        let until = now.addingTimeInterval(Self.horizon)
        let starts = rule.occurrences(after: series.generatedUntil, until: until).filter { $0 > template.startsAt }
        guard !starts.isEmpty else { return }
        let seriesID = try series.requireID()
        for start in starts {
            try await template.occurrence(at: start, series: seriesID, now: now).create(on: database)
        }
        series.generatedUntil = starts.last ?? series.generatedUntil
        try await series.save(on: database)
    }
}

/// Daily: every active series gets its occurrences up to 90 days ahead. Each series is moved on in
/// its own transaction that first claims it (a conditional update), so two instances never both add.
struct ExtendSeriesJob: Job {
    static let kind = "extend-event-series"

    func run(_ context: JobContext) async throws {
        let now = context.now
        for series in try await EventSeries.query(on: context.db).filter(\.$active == true)
            .filter(\.$generatedUntil < now.addingTimeInterval(SeriesPlanner.horizon - 86400)).all() {
            try await context.db.transaction { db in
                let sql = db as! any SQLDatabase
                let claimed = try await sql.raw("""
                    UPDATE \(ident: EventSeries.schema) SET generated_until = generated_until
                    WHERE id = \(bind: series.requireID()) RETURNING id
                    """).first()
                guard claimed != nil, let fresh = try await EventSeries.find(series.requireID(), on: db),
                      let template = try await Event.find(fresh.$template.id, on: db) else { return }
                try await SeriesPlanner(database: db, now: now).extend(fresh, template: template)
            }
        }
    }
}

/// Hourly: the day-before reminder for events starting within 24 hours, once per event (claimed by
/// a conditional update, so several instances send it once), following each person's preferences.
struct EventRemindersJob: Job {
    static let kind = "event-reminders"

    func run(_ context: JobContext) async throws {
        let now = context.now
        let due = try await Event.query(on: context.db).filter(\.$status == .scheduled).filter(\.$remindedAt == nil)
            .filter(\.$startsAt > now).filter(\.$startsAt <= now.addingTimeInterval(24 * 3600)).all()
        for event in due {
            try await context.db.transaction { db in
                let sql = db as! any SQLDatabase
                let claimed = try await sql.raw("""
                    UPDATE \(ident: Event.schema) SET reminded_at = \(bind: now)
                    WHERE id = \(bind: event.requireID()) AND reminded_at IS NULL RETURNING id
                    """).first()
                guard claimed != nil else { return }
                try await EventNews(application: context.application, database: db, now: now).remind(event)
            }
        }
    }
}

/// The weekly digest's "upcoming events in my chapter": the next two weeks.
struct UpcomingEventsSection: DigestSection {
    let titleKey = "digest.upcoming_events"

    func lines(for user: User, since: Date, context: JobContext, t: Translator) async throws -> [String] {
        guard user.isMember,
              let chapterID = try await Profile.query(on: context.db).filter(\.$user.$id == user.requireID()).first()?.$homeChapter.id else { return [] }
        let now = context.now
        let base = context.maillon.settings.baseURL.absoluteString
        return try await Event.query(on: context.db).filter(\.$chapter.$id == chapterID).filter(\.$status == .scheduled)
            .filter(\.$startsAt > now).filter(\.$startsAt <= now.addingTimeInterval(14 * 86400))
            .sort(\.$startsAt).limit(10).all()
            .map { event in
                "\(DateFormatting.dateTime(event.startsAt, t.locale)) — \(event.title) (\(t("event.places_left", String(event.placesLeft), String(event.capacity)))) \(base)\(SiteURL.event(event.id ?? UUID()))"
            }
    }
}
