import Fluent
import Foundation
import Vapor

/// Calendar feeds that work without signing in: a member's own (their registrations; the secret in
/// the address is the key, and rotating it turns the old one off) and each chapter's public events.
/// Neither carries any attendee's name or address.
struct CalendarController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.calendars) + [":user", ":file"], use: personal)
        routes.get(SiteURL.route(SiteURL.chapters) + [":slug", "calendar.ics"], use: chapter)
        routes.post(SiteURL.route(SiteURL.accountCalendarRotate), use: rotate)
    }

    static func response(_ body: String, filename: String) -> Response {
        let response = Response(status: .ok, body: .init(string: body))
        response.headers.replaceOrAdd(name: .contentType, value: "text/calendar; charset=utf-8")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(filename)\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, max-age=300")
        return response
    }

    static let keyName = "calendar-feed-hmac"

    /// The secret part of a member's feed address for its current version.
    static func token(userID: UUID, on db: any Database) async throws -> String {
        let version = try await CalendarFeed.query(on: db).filter(\.$user.$id == userID).first()?.version ?? 0
        return try await AppKeys(database: db).sign("\(userID.uuidString).\(version)", with: keyName)
    }

    static func personalURL(userID: UUID, req: Request) async throws -> String {
        req.maillon.settings.baseURL.absoluteString + SiteURL.personalCalendar(userID, try await token(userID: userID, on: req.db))
    }

    /// Events a member registered to (seat or waitlist) from 30 days ago on, cancelled ones included
    /// so calendars remove them.
    @Sendable func personal(req: Request) async throws -> Response {
        guard let userID = req.parameters.get("user", as: UUID.self), let file = req.parameters.get("file"), file.hasSuffix(".ics"),
              let user = try await User.find(userID, on: req.db), user.isMember,
              Secret.matches(try await Self.token(userID: userID, on: req.db), String(file.dropLast(4))) else { throw PageError.notFound }
        let registrations = try await Registration.query(on: req.db)
            .join(Event.self, on: \Registration.$event.$id == \Event.$id)
            .filter(\.$user.$id == userID).filter(\.$status != .cancelled)
            .filter(Event.self, \.$startsAt >= req.now.addingTimeInterval(-30 * 86400)).sort(Event.self, \.$startsAt).limit(500).all()
        let news = EventNews(application: req.application, database: req.db, now: req.now)
        let t = Translator(catalogue: req.maillon.catalogue, locale: user.locale ?? .default)
        var entries: [ICalendar.Entry] = []
        for registration in registrations {
            var entry = try news.entry(try registration.joined(Event.self))
            // A waitlist place is no seat: the calendar shows it as tentative, with the position.
            if entry.status != .cancelled, let position = try await Seats.waitlistPosition(of: registration, on: req.db) {
                entry.status = .tentative
                entry.summary = t("calendar.waitlisted_summary", entry.summary, String(position))
            }
            entries.append(entry)
        }
        // Named for the community only: no one's name goes into a feed.
        let name = "\(req.maillon.settings.communityName) — \(t("calendar.feed_name"))"
        return Self.response(ICalendar.document(name: name, entries: entries), filename: "maillon.ics")
    }

    @Sendable func chapter(req: Request) async throws -> Response {
        let slug = try req.slugParameter()
        guard let chapter = try await Chapter.query(on: req.db).filter(\.$slug == slug).first() else { throw PageError.notFound }
        let events = try await Event.query(on: req.db).filter(\.$chapter.$id == chapter.requireID()).filter(\.$visibility == .public)
            .filter(\.$startsAt >= req.now.addingTimeInterval(-30 * 86400)).sort(\.$startsAt).limit(500).all()
        let news = EventNews(application: req.application, database: req.db, now: req.now)
        return Self.response(ICalendar.document(name: "\(req.maillon.settings.communityName) — \(chapter.name)", entries: try events.map(news.entry)),
                             filename: "\(chapter.slug).ics")
    }

    /// A new secret: the old address stops working.
    @Sendable func rotate(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        guard user.isMember else { throw PageError.forbidden }
        let userID = try user.requireID()
        do {
            try await req.db.transaction { db in try await Self.bump(userID, on: db) }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Another rotation created the row at the same instant: it is rotated.
        }
        try await req.flash(.success, "calendar.flash.rotated")
        return req.redirect(to: SiteURL.account + "#calendar", redirectType: .normal)
    }

    static func bump(_ userID: UUID, on db: any Database) async throws {
        if let feed = try await CalendarFeed.query(on: db).filter(\.$user.$id == userID).first() {
            feed.version += 1
            try await feed.save(on: db)
        } else {
            let feed = CalendarFeed()
            feed.$user.id = userID
            feed.version = 1
            try await feed.create(on: db)
        }
    }
}
