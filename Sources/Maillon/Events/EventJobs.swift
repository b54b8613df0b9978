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

/// Hourly: the reminder for each seat at an event starting within 24 hours, once per registration
/// (claimed by a conditional update, so several instances send it once, and someone given a seat after
/// the others were reminded still gets theirs), following each person's preferences.
struct EventRemindersJob: Job {
    static let kind = "event-reminders"

    func run(_ context: JobContext) async throws {
        let now = context.now
        let due = try await Registration.query(on: context.db)
            .join(Event.self, on: \Registration.$event.$id == \Event.$id)
            .filter(\.$status == .confirmed).filter(\.$remindedAt == nil)
            .filter(Event.self, \.$status == .scheduled).filter(Event.self, \.$startsAt > now)
            .filter(Event.self, \.$startsAt <= now.addingTimeInterval(24 * 3600))
            .all()
        for registration in due {
            try await context.db.transaction { db in
                let sql = db as! any SQLDatabase
                let claimed = try await sql.raw("""
                    UPDATE \(ident: Registration.schema) SET reminded_at = \(bind: now)
                    WHERE id = \(bind: registration.requireID()) AND reminded_at IS NULL AND status = 'confirmed' RETURNING id
                    """).first()
                guard claimed != nil, let event = try await Event.find(registration.$event.id, on: db),
                      let user = try await User.find(registration.$user.id, on: db) else { return }
                try await EventNews(application: context.application, database: db, now: now).remind(user, of: event)
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
                "\(DateFormatting.dateTime(event.startsAt, t.locale)) — \(event.title) (\(EventsController.places(event, t))) \(base)\(SiteURL.event(event.id ?? UUID()))"
            }
    }
}
