import Fluent
import SQLKit
import Vapor

/// Finding events, reading one, registering and cancelling, and each event's calendar file.
/// Visitors see public events; members see all and register.
struct EventsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.events), use: list)
        routes.get(SiteURL.route(SiteURL.events) + [":id"], use: show)
        routes.get(SiteURL.route(SiteURL.events) + [":id", "calendar.ics"], use: calendar)
        routes.post(SiteURL.route(SiteURL.events) + [":id", "register"], use: register)
        routes.post(SiteURL.route(SiteURL.events) + [":id", "unregister"], use: unregister)
    }

    static let perPage = 20

    struct ListPage: Encodable, Sendable {
        struct Tab: Encodable, Sendable {
            let label: String
            let url: String
            let selected: Bool
        }

        let heading: String
        let tabs: [Tab]
        let filters: [FormModel]
        let events: [EventCard]
        let empty: String
        let pagination: Pagination
        let newEventURL: String?
    }

    /// One event in a list (this page, the chapter page, the home page).
    struct EventCard: Encodable, Sendable {
        let title: String
        let url: String
        let kind: String
        let when: String
        let place: String
        let chapter: String?
        let places: String
        let cancelled: Bool
        let full: Bool
        /// The reader's own state: "Inscrit·e", "Liste d'attente".
        let mine: String?
        /// Past events: how many came.
        let attendance: String?
    }

    enum Tab: String, CaseIterable { case upcoming, mine, past }

    /// Cards for `events`, with the reader's registrations and (for past events) attendance, in two queries.
    static func cards(_ events: [Event], req: Request, chapters: [UUID: Chapter]? = nil, showAttendance: Bool = false) async throws -> [EventCard] {
        let t = req.t
        let locale = req.locale
        let ids = events.compactMap(\.id)
        var names: [UUID: String] = chapters?.compactMapValues(\.name) ?? [:]
        if chapters == nil {
            let chapterIDs = Array(Set(events.compactMap { $0.$chapter.id }))
            if !chapterIDs.isEmpty {
                for chapter in try await Chapter.query(on: req.db).filter(\.$id ~~ chapterIDs).all() { names[chapter.id ?? UUID()] = chapter.name }
            }
        }
        var mine: [UUID: Registration.Status] = [:]
        if let user = req.currentUser, !ids.isEmpty {
            for registration in try await Registration.query(on: req.db).filter(\.$user.$id == user.requireID()).filter(\.$event.$id ~~ ids)
                .filter(\.$status != .cancelled).all() {
                mine[registration.$event.id] = registration.status
            }
        }
        var attended: [UUID: Int] = [:]
        if showAttendance, !ids.isEmpty {
            let sql = req.db as! any SQLDatabase
            let rows = try await sql.select().column("event_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from(Registration.schema).where("event_id", .in, ids).where("attendance", .equal, Registration.Attendance.attended.rawValue)
                .groupBy("event_id").all()
            for row in rows { attended[try row.decode(column: "event_id", as: UUID.self)] = try row.decode(column: "n", as: Int.self) }
        }
        return events.map { event in
            let id = event.id ?? UUID()
            return EventCard(
                title: event.title, url: SiteURL.event(id), kind: t("event.kind.\(event.kind.rawValue)"),
                when: DateFormatting.dateTime(event.startsAt, locale),
                place: event.kind == .online ? t("event.online") : event.venueName,
                chapter: event.$chapter.id.flatMap { names[$0] } ?? t("event.national"),
                // A cancelled event has no places to offer and nothing for the reader to do.
                places: event.isCancelled ? "" : Self.places(event, t),
                cancelled: event.isCancelled, full: event.placesLeft == 0,
                mine: event.isCancelled ? nil : mine[id].map { t("event.mine.\($0.rawValue)") },
                attendance: showAttendance ? t.count("event.attended_count", attended[id] ?? 0) : nil)
        }
    }

    /// Events a reader may see: members see all, visitors and applicants the public ones.
    static func visible(_ query: QueryBuilder<Event>, to user: User?) -> QueryBuilder<Event> {
        let meetups = query.filter(\.$kind != .training)
        return (user?.isMember ?? false) ? meetups : meetups.filter(\.$visibility == .public)
    }

    @Sendable func list(req: Request) async throws -> Response {
        let t = req.t
        let user = req.currentUser
        let tab = req.query[String.self, at: "tab"].flatMap(Tab.init(rawValue:)) ?? .upcoming
        if tab == .mine, user == nil { throw Abort(.unauthorized) }
        let chapters = try await Chapter.query(on: req.db).filter(\.$status == .active).sort(\.$name).all()
        let chapterFilter = req.query[String.self, at: "chapter"].flatMap(UUID.init(uuidString:))
        let kindFilter = req.query[String.self, at: "kind"].flatMap(Event.Kind.init(rawValue:))
        // Dates as the date inputs send them (2027-03-04); anything else is ignored.
        let from = req.query[String.self, at: "from"].flatMap { FormReader.localDateTime($0 + "T00:00") }
        let to = req.query[String.self, at: "to"].flatMap { FormReader.localDateTime($0 + "T23:59") }
        let fromDay = from == nil ? nil : req.query[String.self, at: "from"]
        let toDay = to == nil ? nil : req.query[String.self, at: "to"]

        var query = Self.visible(Event.query(on: req.db), to: user)
        if let chapterFilter { query = query.filter(\.$chapter.$id == chapterFilter) }
        if let kindFilter { query = query.filter(\.$kind == kindFilter) }
        if let from { query = query.filter(\.$startsAt >= from) }
        if let to { query = query.filter(\.$startsAt <= to) }
        let now = req.now
        switch tab {
        case .upcoming: query = query.filter(\.$endsAt >= now).sort(\.$startsAt).sort(\.$id)
        case .past: query = query.filter(\.$endsAt < now).sort(\.$startsAt, .descending).sort(\.$id)
        case .mine:
            let userID = try user!.requireID()
            query = query.join(Registration.self, on: \Event.$id == \Registration.$event.$id)
                .filter(Registration.self, \.$user.$id == userID).filter(Registration.self, \.$status != .cancelled)
                .filter(\.$endsAt >= now).sort(\.$startsAt).sort(\.$id)
        }
        let page = Pagination.requestedPage(req)
        let total = try await query.copy().count()
        let events = try await query.range((page - 1) * Self.perPage..<page * Self.perPage).all()
        let cards = try await Self.cards(events, req: req, chapters: Dictionary(chapters.map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a }),
                                         showAttendance: tab == .past)

        func link(_ tab: Tab) -> String { tab == .upcoming ? SiteURL.events : "\(SiteURL.events)?tab=\(tab.rawValue)" }
        let tabs = Tab.allCases.filter { $0 != .mine || user != nil }.map { ListPage.Tab(label: t("events.tab.\($0.rawValue)"), url: link($0), selected: $0 == tab) }
        let filters = FormModel(id: "event-filters", action: SiteURL.events, submitLabel: t("events.filter"), method: "get", fields: [
            .init(name: "chapter", label: t("events.filter.chapter"), type: "select", required: false,
                  options: [.init(value: "", label: t("events.filter.any"), selected: chapterFilter == nil)]
                    + chapters.map { .init(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id == chapterFilter) }),
            .init(name: "kind", label: t("events.filter.kind"), type: "select", required: false,
                  options: [.init(value: "", label: t("events.filter.any"), selected: kindFilter == nil)]
                    + Event.Kind.meetups.map { .init(value: $0.rawValue, label: t("event.kind.\($0.rawValue)"), selected: $0 == kindFilter) }),
            .init(name: "from", label: t("events.filter.from"), type: "date", value: fromDay ?? "", required: false),
            .init(name: "to", label: t("events.filter.to"), type: "date", value: toDay ?? "", required: false),
        ], hidden: tab == .upcoming ? [] : [.init(name: "tab", value: tab.rawValue)])
        var path = link(tab)
        let parameters = [("chapter", chapterFilter?.uuidString), ("kind", kindFilter?.rawValue), ("from", fromDay), ("to", toDay)]
            .compactMap { name, value in value.map { "\(name)=\(QueryEncoding.encode($0))" } }
        if !parameters.isEmpty { path += (path.contains("?") ? "&" : "?") + parameters.joined(separator: "&") }
        let canCreate = req.principal.map { AccessPolicy.allows($0, .createEvents) } ?? false
        return try await req.renderPage("events", title: t("events.heading"), ListPage(
            heading: t("events.heading"), tabs: tabs, filters: [filters], events: cards, empty: t("events.empty.\(tab.rawValue)"),
            pagination: try Pagination(page: page, per: Self.perPage, total: total, path: path, t: t),
            newEventURL: canCreate ? SiteURL.newEvent : nil))
    }

    /// The event if this reader may see it: members-only events ask visitors to sign in.
    /// A training session's seats are not a meetup: their pages and actions are the session's.
    static func find(_ req: Request) async throws -> Event {
        guard let id = req.parameters.get("id", as: UUID.self), let event = try await Event.find(id, on: req.db) else { throw PageError.notFound }
        try admit(req, to: event)
        return event
    }

    /// Who sees an event through these pages (and so may register): not a training's (its session's page
    /// has it); one for members only, members only.
    static func admit(_ req: Request, to event: Event) throws {
        guard event.kind != .training else { throw PageError.notFound }
        if event.visibility == .members, !(req.currentUser?.isMember ?? false) {
            if req.currentUser == nil { throw Abort(.unauthorized) }
            throw PageError.notFound
        }
    }

    struct ShowPage: Encodable, Sendable {
        struct Link: Encodable, Sendable {
            let url: String
            let label: String
        }

        let heading: String
        let kind: String
        let when: String
        let chapter: String?
        let chapterURL: String?
        let venue: String
        let address: String
        let mapURL: String?
        let onlineURL: String?
        let onlineHidden: Bool
        let paragraphs: [String]
        let costNote: String
        let places: String
        let cancelled: Bool
        let series: String?
        let error: String?
        /// Why registering is not possible now (closed, started, cancelled, members only).
        let closed: String?
        let status: String?
        let note: String
        let canRegister: Bool
        let canUnregister: Bool
        let registerURL: String
        let unregisterURL: String
        let calendarURL: String
        let signInURL: String?
        let organiserLinks: [Link]
        let cancelURL: String?
    }

    static func showPage(_ req: Request, _ event: Event, error: String? = nil, note: String = "") async throws -> ShowPage {
        let t = req.t
        let id = try event.requireID()
        let user = req.currentUser
        let now = req.now
        let chapter = try await event.$chapter.get(on: req.db)
        var registration: Registration?
        if let user {
            registration = try await Registration.query(on: req.db).filter(\.$event.$id == id).filter(\.$user.$id == user.requireID())
                .filter(\.$status != .cancelled).first()
        }
        let isOrganiser = req.principal.map { AccessPolicy.allows($0, .organiseEvent(chapter: event.$chapter.id)) } ?? false
        var status: String?
        if let registration, !event.isCancelled {
            if registration.status == .confirmed {
                status = t("event.status.confirmed")
            } else if let position = try await Seats.waitlistPosition(of: registration, on: req.db) {
                status = t("event.status.waitlisted", String(position))
            }
        }
        var closed: String?
        if event.isCancelled { closed = t("event.refused.cancelled") }
        else if now >= event.startsAt { closed = t("event.refused.started") }
        else if now >= event.registrationDeadline { closed = t("event.refused.deadline") }
        else if let user, !user.isMember { closed = t("event.refused.members_only") }
        let canRegister = closed == nil && registration == nil && user != nil
        let seesOnline = registration?.status == .confirmed || isOrganiser
        var series: String?
        if let seriesID = event.$series.id, let rule = try await EventSeries.find(seriesID, on: req.db) {
            series = Recurrence(frequency: rule.frequency, weekday: rule.weekday, week: rule.weekOfMonth).map { describe($0, t) }
        }
        let organiserLinks: [ShowPage.Link] = isOrganiser ? [
            .init(url: SiteURL.eventEdit(id), label: t("event.edit")),
            .init(url: SiteURL.eventDuplicate(id), label: t("event.duplicate")),
            .init(url: SiteURL.eventAttendees(id), label: t("event.attendees")),
            .init(url: SiteURL.eventMessage(id), label: t("event.message")),
        ] + (event.$series.id.map { [.init(url: SiteURL.eventSeries($0), label: t("series.manage"))] } ?? []) : []
        return ShowPage(
            heading: event.title, kind: t("event.kind.\(event.kind.rawValue)"),
            when: t("event.when", DateFormatting.dateTime(event.startsAt, req.locale), DateFormatting.dateTime(event.endsAt, req.locale)),
            chapter: chapter?.name ?? t("event.national"), chapterURL: chapter.map { SiteURL.chapter($0.slug) },
            venue: event.venueName, address: event.venueAddress, mapURL: event.mapURL,
            onlineURL: seesOnline ? event.onlineURL : nil, onlineHidden: event.onlineURL != nil && !seesOnline,
            paragraphs: event.description.components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            costNote: event.costNote, places: event.isCancelled ? t("event.cancelled") : Self.places(event, t),
            cancelled: event.isCancelled, series: series, error: error, closed: closed, status: status, note: note,
            canRegister: canRegister, canUnregister: registration != nil && now < event.startsAt && !event.isCancelled,
            registerURL: SiteURL.eventRegister(id), unregisterURL: SiteURL.eventUnregister(id), calendarURL: SiteURL.eventCalendar(id),
            signInURL: user == nil && !event.isCancelled ? "\(SiteURL.signIn)?next=\(QueryEncoding.encode(SiteURL.event(id)))" : nil,
            organiserLinks: organiserLinks, cancelURL: isOrganiser && !event.isCancelled && now < event.endsAt ? SiteURL.eventCancel(id) : nil)
    }

    /// "12 places left out of 40", in words that agree with the number.
    static func places(_ event: Event, _ t: Translator) -> String {
        t.count("event.places_left", event.placesLeft, String(event.capacity))
    }

    static func describe(_ rule: Recurrence, _ t: Translator) -> String {
        let day = t("weekday.\(rule.weekday)")
        switch rule {
        case .weekly: return t("event.series.weekly", day)
        case let .monthly(week, _): return t("event.series.monthly", t("event.series.week.\(week)"), day)
        }
    }

    /// The page every shared link leads to: a visitor's copy is drawn once per instance every few seconds.
    @Sendable func show(req: Request) async throws -> Response {
        try await req.visitorPage {
            let event: Event
            do {
                event = try await Self.find(req)
            } catch PageError.notFound {
                // Links to a training's seats (reminders, calendar feeds) lead to its session; asked only when no meetup answered.
                if let id = req.parameters.get("id", as: UUID.self),
                   let session = try await TrainingSession.query(on: req.db).filter(\.$event.$id == id).first() {
                    return req.redirect(to: SiteURL.trainingSession(try session.requireID()), redirectType: .normal)
                }
                throw PageError.notFound
            }
            return try await req.renderPage("event", title: event.title, Self.showPage(req, event))
        }
    }

    @Sendable func register(req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let eventID = req.parameters.get("id", as: UUID.self) else { throw PageError.notFound }
        let values = try await req.formValues()
        let note = (values["note"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        // The event is read when the seat is taken (the lock reads it); a refusal reads it for its page.
        func refuse(_ key: String, _ status: HTTPStatus) async throws -> Response {
            let event = try await Self.find(req)
            return try await req.renderPage("event", title: event.title, Self.showPage(req, event, error: req.t(key), note: note), status: status)
        }
        guard user.isMember else { return try await refuse(Seats.Refusal.notMember.key, .forbidden) }
        // A suspended member reads but does not register (see moderation).
        if req.suspendedUntil != nil { return try await refuse("moderation.suspended_register", .forbidden) }
        guard note.scalarLength <= 500 else { return try await refuse("event.note_too_long", .unprocessableEntity) }
        do {
            let registration = try await req.db.transaction { db in
                let registration = try await Seats(database: db, now: req.now).register(eventID, userID: user.requireID(), note: note) { event in
                    try Self.admit(req, to: event)
                }
                // Only the job is queued here: the event's row is not held while the mail and its calendar
                // file are composed or a buddy is found, and nothing is told unless this seat is committed.
                _ = try await JobQueue(database: db, now: req.now).enqueue(RegistrationNewsJob(registrationID: registration.requireID()))
                return registration
            }
            try await req.flash(.success, registration.status == .confirmed ? "event.flash.registered" : "event.flash.waitlisted")
        } catch let refusal as Seats.Refusal {
            return try await refuse(refusal.key, .conflict)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // The same person twice at the same instant: the unique index kept one.
            return try await refuse(Seats.Refusal.alreadyRegistered.key, .conflict)
        }
        return req.redirect(to: SiteURL.event(eventID), redirectType: .normal)
    }

    @Sendable func unregister(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let event = try await Self.find(req)
        let eventID = try event.requireID()
        do {
            try await req.db.transaction { db in
                let promoted = try await Seats(database: db, now: req.now).cancel(eventID, userID: user.requireID())
                try await EventNews(application: req.application, database: db, now: req.now).promoted(promoted)
            }
        } catch let refusal as Seats.Refusal {
            let fresh = try await Self.find(req)
            return try await req.renderPage("event", title: fresh.title, Self.showPage(req, fresh, error: req.t(refusal.key)), status: .conflict)
        }
        // A cancellation may be one of several in a row: the radar looks at them now, not in an hour.
        try await RadarWatch(req).look(atMember: user.requireID())
        try await req.flash(.success, "event.flash.unregistered")
        return req.redirect(to: SiteURL.event(eventID), redirectType: .normal)
    }

    @Sendable func calendar(req: Request) async throws -> Response {
        let event = try await Self.find(req)
        let news = EventNews(application: req.application, database: req.db, now: req.now)
        return CalendarController.response(ICalendar.document(name: event.title, entries: [try news.entry(event)]), filename: "event.ics")
    }
}
