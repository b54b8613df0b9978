import Fluent
import Vapor

/// Running events: ambassadors for their chapters, admins for any (and national or online ones).
/// Create (once, or as a series), edit, duplicate, cancel, the attendee list with check-in, and
/// messages to participants.
struct OrganiserController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let events = SiteURL.route(SiteURL.events)
        routes.get(events + ["new"], use: newForm)
        routes.post(events + ["new"], use: create)
        routes.get(events + [":id", "edit"], use: editForm)
        routes.post(events + [":id", "edit"], use: update)
        routes.get(events + [":id", "cancel"], use: cancelForm)
        routes.post(events + [":id", "cancel"], use: cancel)
        routes.get(events + [":id", "attendees"], use: attendees)
        routes.post(events + [":id", "attendees", ":registrationID"], use: attendance)
        routes.get(events + [":id", "message"], use: messageForm)
        routes.post(events + [":id", "message"], use: message)
    }

    /// The chapters this person may organise for; `national` when they may leave it empty.
    private func scope(_ req: Request) async throws -> (chapters: [Chapter], national: Bool) {
        try req.authorize(.createEvents)
        guard let principal = req.principal else { throw Abort(.unauthorized) }
        let active = try await Chapter.query(on: req.db).filter(\.$status == .active).sort(\.$name).all()
        if principal.role == .admin { return (active, true) }
        return (active.filter { principal.ambassadorOf.contains($0.id ?? UUID()) }, false)
    }

    /// The chapters an event may be moved to: the organiser's, plus its own (even if archived since).
    private func scope(_ req: Request, editing event: Event) async throws -> (chapters: [Chapter], national: Bool) {
        var (chapters, national) = try await scope(req)
        if let own = event.$chapter.id, !chapters.contains(where: { $0.id == own }), let chapter = try await Chapter.find(own, on: req.db) {
            chapters.insert(chapter, at: 0)
        }
        return (chapters, national)
    }

    /// The event, once the reader is allowed to run it.
    private func organised(_ req: Request) async throws -> Event {
        // A training session's seats are run from the session, never as a meetup.
        guard let id = req.parameters.get("id", as: UUID.self), let event = try await Event.find(id, on: req.db), event.kind != .training else { throw PageError.notFound }
        try req.authorize(.organiseEvent(chapter: event.$chapter.id))
        return event
    }

    private func form(_ req: Request, action: String, values: [String: String], errors: FormErrors, chapters: [Chapter], national: Bool, isNew: Bool) -> FormPage {
        let t = req.t
        func field(_ name: String, type: String = "text", required: Bool = true, hint: String? = nil) -> FormModel.Field {
            var field = FormModel.Field(name: name, label: t("event.field.\(name)"), type: type, value: values[name] ?? "", error: errors[name].map { t($0) }, required: required)
            field.hint = hint.map { t($0) }
            return field
        }
        func select(_ name: String, _ options: [(String, String)]) -> FormModel.Field {
            let chosen = values[name] ?? options.first?.0 ?? ""
            return .init(name: name, label: t("event.field.\(name)"), type: "select", value: chosen, error: errors[name].map { t($0) },
                         options: options.map { .init(value: $0.0, label: $0.1, selected: $0.0 == chosen) })
        }
        var chapterOptions = chapters.map { ($0.id?.uuidString ?? "", $0.name) }
        if national { chapterOptions.insert(("", t("event.national")), at: 0) }
        var fields = [
            field("title"),
            select("kind", Event.Kind.meetups.map { ($0.rawValue, t("event.kind.\($0.rawValue)")) }),
            select("chapter", chapterOptions),
            field("description", type: "textarea"),
            field("starts_at", type: "datetime-local", hint: "event.field.time_hint"),
            field("ends_at", type: "datetime-local"),
            field("registration_deadline", type: "datetime-local", required: false, hint: "event.field.deadline_hint"),
            field("venue_name", hint: "event.field.venue_hint"),
            field("venue_address", hint: "event.field.venue_hint"),
            field("map_url", type: "url", required: false),
            field("online_url", type: "url", required: false, hint: "event.field.online_hint"),
            field("capacity", type: "number"),
            field("cost_note", required: false, hint: "event.field.cost_hint"),
            select("visibility", Event.Visibility.allCases.map { ($0.rawValue, t("event.visibility.\($0.rawValue)")) }),
        ]
        if isNew {
            fields.append(select("repeat", [("none", t("event.repeat.none")), ("weekly", t("event.repeat.weekly")), ("monthly", t("event.repeat.monthly")),
                                            ("monthly_last", t("event.repeat.monthly_last"))]))
            fields[fields.count - 1].hint = t("event.repeat.hint")
        }
        return FormPage(heading: t(isNew ? "event.new" : "event.edit"), forms: [
            FormModel(id: "event", action: action, submitLabel: t(isNew ? "event.publish" : "form.save"), fields: fields,
                      errorSummary: errors.isEmpty ? nil : t("form.has_errors")),
        ], links: [.init(url: SiteURL.events, label: t("events.heading"))])
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        let (chapters, national) = try await scope(req)
        var values = ["capacity": String(EventInput.defaultCapacity), "visibility": Event.Visibility.members.rawValue]
        // Duplicating: the same event, a week later.
        if let from = req.query[String.self, at: "from"].flatMap(UUID.init(uuidString:)), let original = try await Event.find(from, on: req.db), original.kind != .training {
            try req.authorize(.organiseEvent(chapter: original.$chapter.id))
            values = EventInput.values(of: original)
            let week: TimeInterval = 7 * 86400
            let dates = [("starts_at", original.startsAt), ("ends_at", original.endsAt)]
                + (original.hasDefaultDeadline ? [] : [("registration_deadline", original.registrationDeadline)])
            for (key, date) in dates {
                var next = date.addingTimeInterval(week)
                while next <= req.now { next = next.addingTimeInterval(week) }
                values[key] = FormReader.localDateTimeValue(next)
            }
        } else if let chapter = chapters.first, !national {
            values["chapter"] = chapter.id?.uuidString
        }
        return try await req.renderPage("form-page", title: req.t("event.new"),
                                        form(req, action: SiteURL.newEvent, values: values, errors: .init(), chapters: chapters, national: national, isNew: true))
    }

    @Sendable func create(req: Request) async throws -> Response {
        let (chapters, national) = try await scope(req)
        let values = try await req.formValues()
        let now = req.now
        let input = EventInput(values: values, allowedChapters: Set(chapters.compactMap(\.id)), allowsNational: national, now: now, isNew: true)
        guard input.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("event.new"),
                                            form(req, action: SiteURL.newEvent, values: values, errors: input.errors, chapters: chapters, national: national, isNew: true),
                                            status: .unprocessableEntity)
        }
        let user = try req.requireUser()
        let event = try await req.db.transaction { db in
            let event = Event(createdBy: try user.requireID(), capacity: input.capacity, now: now)
            input.apply(to: event)
            try await event.create(on: db)
            if let recurrence = input.recurrence {
                let series = EventSeries()
                series.$chapter.id = event.$chapter.id
                series.frequency = recurrence.frequency
                series.weekday = recurrence.weekday
                series.weekOfMonth = recurrence.week
                series.$template.id = try event.requireID()
                series.generatedUntil = event.startsAt
                series.active = true
                series.createdAt = now
                try await series.create(on: db)
                event.$series.id = try series.requireID()
                try await event.save(on: db)
                try await SeriesPlanner(database: db, now: now).extend(series, template: event)
            }
            return event
        }
        try await req.flash(.success, "event.flash.published")
        return req.redirect(to: SiteURL.event(try event.requireID()), redirectType: .normal)
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        let event = try await organised(req)
        let (chapters, national) = try await scope(req, editing: event)
        return try await req.renderPage("form-page", title: req.t("event.edit"),
                                        form(req, action: SiteURL.eventEdit(try event.requireID()), values: EventInput.values(of: event), errors: .init(),
                                             chapters: chapters, national: national, isNew: false))
    }

    @Sendable func update(req: Request) async throws -> Response {
        let event = try await organised(req)
        let id = try event.requireID()
        let (chapters, national) = try await scope(req, editing: event)
        let values = try await req.formValues()
        let allowed = Set(chapters.compactMap(\.id))
        var checked = EventInput(values: values, allowedChapters: allowed, allowsNational: national || event.$chapter.id == nil, now: req.now, isNew: false)
        if let chapter = checked.chapter, chapter != event.$chapter.id, !AccessPolicy.allows(req.principal, .organiseEvent(chapter: chapter)) {
            checked.errors.add("chapter", "field.invalid_choice")
        }
        let input = checked
        func refuse(_ errors: FormErrors) async throws -> Response {
            try await req.renderPage("form-page", title: req.t("event.edit"),
                                     form(req, action: SiteURL.eventEdit(id), values: values, errors: errors, chapters: chapters, national: national, isNew: false),
                                     status: .unprocessableEntity)
        }
        guard input.errors.isEmpty else { return try await refuse(input.errors) }
        let now = req.now
        do {
            try await req.db.transaction { db in
                let seats = Seats(database: db, now: now)
                let current = try await seats.lock(id)
                let moved = current.startsAt != input.startsAt || current.endsAt != input.endsAt || current.venueName != input.venueName
                    || current.venueAddress != input.venueAddress || current.onlineURL != input.onlineURL
                let closesEarlier = input.registrationDeadline < current.registrationDeadline && input.registrationDeadline > now
                input.apply(to: current)
                current.updatedAt = now
                if moved { current.revision += 1 }
                let promoted = try await seats.changeCapacity(current, to: input.capacity)
                try await current.save(on: db)
                let news = EventNews(application: req.application, database: db, now: now)
                try await news.promoted(promoted)
                if moved, !current.isCancelled { try await news.changed(current) }
                else if closesEarlier, !current.isCancelled { try await news.deadlineMoved(current) }
            }
        } catch let refusal as Seats.Refusal {
            var errors = FormErrors()
            errors.add("capacity", refusal.key)
            return try await refuse(errors)
        }
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.event(id), redirectType: .normal)
    }

    /// Cancelling tells everyone registered: the organiser confirms on a page of its own.
    @Sendable func cancelForm(req: Request) async throws -> Response {
        let event = try await organised(req)
        let id = try event.requireID()
        let t = req.t
        let people = try await Registration.query(on: req.db).filter(\.$event.$id == id).filter(\.$status != .cancelled).count()
        return try await req.renderPage("form-page", title: t("event.cancel"), FormPage(
            heading: t("event.cancel"), intro: t.count("event.cancel_confirm", people, event.title),
            forms: [FormModel(id: "cancel-event", action: SiteURL.eventCancel(id), submitLabel: t("event.cancel"), fields: [])],
            links: [.init(url: SiteURL.event(id), label: t("event.back"))]))
    }

    @Sendable func cancel(req: Request) async throws -> Response {
        let event = try await organised(req)
        let id = try event.requireID()
        let now = req.now
        try await req.db.transaction { db in
            let current = try await Seats(database: db, now: now).lock(id)
            guard !current.isCancelled else { return }
            current.status = .cancelled
            current.revision += 1
            current.updatedAt = now
            try await current.save(on: db)
            try await EventNews(application: req.application, database: db, now: now).changed(current)
        }
        try await req.flash(.success, "event.flash.cancelled")
        return req.redirect(to: SiteURL.event(id), redirectType: .normal)
    }

    struct AttendeesPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let name: String
            let note: String
            let attendance: String?
            let attendedURL: String
            let attended: Bool
            let noShow: Bool
            /// A first-event buddy: "greeted by …" or "greets …".
            var buddy: String? = nil
        }

        let heading: String
        let when: String
        let eventURL: String
        let summary: String
        let confirmed: [Row]
        let waitlist: [Row]
        let canCheckIn: Bool
    }

    /// Check-in opens on the event's day (Europe/Paris) and stays open afterwards.
    static func checkInOpen(_ event: Event, now: Date) -> Bool {
        now >= Recurrence.calendar.startOfDay(for: event.startsAt)
    }

    @Sendable func attendees(req: Request) async throws -> Response {
        let event = try await organised(req)
        let id = try event.requireID()
        let t = req.t
        // Two queries whatever the number of people: the registrations, then their accounts.
        let registrations = try await Registration.query(on: req.db).filter(\.$event.$id == id).filter(\.$status != .cancelled)
            .with(\.$user).sort(\.$waitlistNumber).sort(\.$createdAt).all()
        // Who greets whom (first-event buddies): one more query.
        let names = Dictionary(registrations.map { ($0.$user.id, $0.user.name) }, uniquingKeysWith: { a, _ in a })
        var buddies: [UUID: [String]] = [:]
        for introduction in try await BuddyIntroduction.query(on: req.db).filter(\.$event.$id == id).sort(\.$createdAt).sort(\.$id).all() {
            let newcomer = names[introduction.$newcomer.id] ?? t("person.former_member"), buddy = names[introduction.$buddy.id] ?? t("person.former_member")
            buddies[introduction.$newcomer.id, default: []].append(t("buddy.greeted_by", buddy))
            buddies[introduction.$buddy.id, default: []].append(t("buddy.greets", newcomer))
        }
        func row(_ registration: Registration) -> AttendeesPage.Row {
            AttendeesPage.Row(name: registration.user.name, note: registration.note,
                              attendance: registration.attendance.map { t("event.attendance.\($0.rawValue)") },
                              attendedURL: SiteURL.eventAttendance(id, registration.id ?? UUID()),
                              attended: registration.attendance == .attended, noShow: registration.attendance == .noShow,
                              buddy: buddies[registration.$user.id]?.sorted().joined(separator: " · "))
        }
        let confirmed = registrations.filter { $0.status == .confirmed }.sorted { $0.user.name.localizedCompare($1.user.name) == .orderedAscending }
        let waitlist = registrations.filter { $0.status == .waitlisted }
        let present = confirmed.filter { $0.attendance == .attended }.count
        return try await req.renderPage("event-attendees", title: t("event.attendees"), AttendeesPage(
            heading: event.title, when: DateFormatting.dateTime(event.startsAt, req.locale), eventURL: SiteURL.event(id),
            summary: [t.count("event.attendees.registered", confirmed.count, String(event.capacity)), t.count("event.attendees.waitlisted", waitlist.count),
                      t.count("event.attendees.present", present)].joined(separator: " · "),
            confirmed: confirmed.map(row), waitlist: waitlist.map(row), canCheckIn: Self.checkInOpen(event, now: req.now)))
    }

    @Sendable func attendance(req: Request) async throws -> Response {
        let event = try await organised(req)
        let id = try event.requireID()
        guard let registrationID = req.parameters.get("registrationID", as: UUID.self),
              let registration = try await Registration.find(registrationID, on: req.db), registration.$event.id == id,
              registration.status == .confirmed else { throw PageError.notFound }
        let values = try await req.formValues()
        guard Self.checkInOpen(event, now: req.now) else {
            try await req.flash(.error, "event.check_in_not_open")
            return req.redirect(to: SiteURL.eventAttendees(id), redirectType: .normal)
        }
        switch values["attendance"] {
        case "attended": registration.attendance = .attended
        case "no_show": registration.attendance = .noShow
        case "none": registration.attendance = nil
        default: throw Abort(.badRequest)
        }
        registration.updatedAt = req.now
        try await registration.save(on: req.db)
        return req.redirect(to: SiteURL.eventAttendees(id) + "#r-\(registrationID.uuidString)", redirectType: .normal)
    }

    private func messagePage(_ req: Request, _ event: Event, values: [String: String], errors: FormErrors) throws -> FormPage {
        let t = req.t
        let id = try event.requireID()
        return FormPage(heading: t("event.message"), intro: t("event.message_intro", event.title), forms: [
            FormModel(id: "event-message", action: SiteURL.eventMessage(id), submitLabel: t("event.message_send"), fields: [
                .init(name: "text", label: t("event.message_text"), type: "textarea", value: values["text"] ?? "", error: errors["text"].map { t($0) }),
                .init(name: "waitlist", label: t("event.message_waitlist"), type: "checkbox", value: values["waitlist"] ?? "", required: false),
                .init(name: "share_address", label: t("event.message_share_address", req.currentUser?.email ?? ""), type: "checkbox",
                      value: values["share_address"] ?? "", hint: t("event.message_share_hint"), required: false),
            ], errorSummary: errors.isEmpty ? nil : t("form.has_errors")),
        ], links: [.init(url: SiteURL.event(id), label: event.title)])
    }

    @Sendable func messageForm(req: Request) async throws -> Response {
        let event = try await organised(req)
        return try await req.renderPage("form-page", title: req.t("event.message"), messagePage(req, event, values: [:], errors: .init()))
    }

    @Sendable func message(req: Request) async throws -> Response {
        let event = try await organised(req)
        let values = try await req.formValues()
        var form = FormReader(values)
        let text = form.text("text", max: 5000, required: true)
        guard form.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("event.message"), messagePage(req, event, values: values, errors: form.errors),
                                            status: .unprocessableEntity)
        }
        let user = try req.requireUser()
        let replyTo = values["share_address"] == "yes" ? (name: user.name, email: user.email) : nil
        let written = try await req.db.transaction { db in
            try await EventNews(application: req.application, database: db, now: req.now)
                .message(event, text: text, includeWaitlist: values["waitlist"] == "yes", replyTo: replyTo)
        }
        try await req.flash(.success, "event.flash.message_sent", count: written)
        return req.redirect(to: SiteURL.event(try event.requireID()), redirectType: .normal)
    }
}
