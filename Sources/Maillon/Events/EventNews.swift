import Fluent
import Foundation
import Vapor

/// What people are told about events, through the notifier (their preferences) and the outbox
/// (in the caller's transaction). Confirmations and promotions carry the event's calendar file.
struct EventNews {
    let application: Application
    let database: any Database
    let now: Date

    private var base: String { application.maillon.settings.baseURL.absoluteString }

    /// The event as an iCalendar entry: a stable UID, its revision as SEQUENCE, no attendees.
    func entry(_ event: Event) throws -> ICalendar.Entry {
        let id = try event.requireID()
        let host = application.maillon.settings.baseURL.host ?? "maillon"
        let url = base + SiteURL.event(id)
        let place = event.kind == .online ? url : [event.venueName, event.venueAddress].filter { !$0.isEmpty }.joined(separator: ", ")
        return ICalendar.Entry(uid: "\(id.uuidString.lowercased())@\(host)", sequence: event.revision, stamp: event.updatedAt,
                               start: event.startsAt, end: event.endsAt, summary: event.title,
                               description: event.description + "\n\n" + url, location: place, url: url, status: event.isCancelled ? .cancelled : .confirmed)
    }

    func calendarFile(_ event: Event) throws -> MailAttachment {
        MailAttachment(filename: "event.ics", contentType: "text/calendar; method=PUBLISH",
                       content: ICalendar.document(name: event.title, entries: [try entry(event)]))
    }

    private func when(_ event: Event, _ user: User) -> String {
        DateFormatting.dateTime(event.startsAt, user.locale ?? .default)
    }

    private func place(_ event: Event) -> String {
        event.kind == .online ? event.title : [event.venueName, event.venueAddress].filter { !$0.isEmpty }.joined(separator: ", ")
    }

    private var notifier: Notifier { Notifier(application: application, database: database, now: now) }

    /// Confirmed or waitlisted, just now.
    func registered(_ registration: Registration, event: Event, user: User, position: Int?) async throws {
        let id = try event.requireID()
        if registration.status == .confirmed {
            try await notifier.notify(user, .init(kind: .eventRegistration, textKey: "event.notify.confirmed", arguments: [event.title, when(event, user)],
                                                  link: SiteURL.event(id), attachments: [try calendarFile(event)]))
        } else {
            try await notifier.notify(user, .init(kind: .eventRegistration, textKey: "event.notify.waitlisted",
                                                  arguments: [event.title, when(event, user), String(position ?? 1)], link: SiteURL.event(id)))
        }
    }

    /// Given a seat that came free (the registrations come from `Seats`, their event loaded).
    func promoted(_ registrations: [Registration]) async throws {
        guard let event = registrations.first?.$event.value else { return }
        let id = try event.requireID()
        let file = try calendarFile(event)
        for user in try await User.query(on: database).filter(\.$id ~~ registrations.map { $0.$user.id }).all() {
            try await notifier.notify(user, .init(kind: .eventRegistration, textKey: "event.notify.promoted", arguments: [event.title, when(event, user)],
                                                  link: SiteURL.event(id), attachments: [file]))
        }
    }

    /// Everyone registered or waiting: the event was cancelled, or its time or place changed.
    func changed(_ event: Event) async throws {
        let id = try event.requireID()
        let file = try calendarFile(event)
        for user in try await participants(event, including: [.confirmed, .waitlisted]) {
            let message: Notifier.Message = event.isCancelled
                ? .init(kind: .eventChanged, textKey: "event.notify.cancelled", arguments: [event.title, when(event, user)],
                        link: SiteURL.event(id), attachments: [file])
                : .init(kind: .eventChanged, textKey: "event.notify.changed", arguments: [event.title, when(event, user), place(event)],
                        link: SiteURL.event(id), attachments: [file])
            try await notifier.notify(user, message)
        }
    }

    /// Registrations now close earlier: those registered or waiting are told when.
    func deadlineMoved(_ event: Event) async throws {
        let id = try event.requireID()
        for user in try await participants(event, including: [.confirmed, .waitlisted]) {
            try await notifier.notify(user, .init(kind: .eventChanged, textKey: "event.notify.deadline",
                                                  arguments: [event.title, DateFormatting.dateTime(event.registrationDeadline, user.locale ?? .default)],
                                                  link: SiteURL.event(id)))
        }
    }

    /// The reminder for one seat, worded from the real day: "today", "tomorrow", or the date.
    func remind(_ user: User, of event: Event) async throws {
        let locale = user.locale ?? .default
        let day = RelativeDay.of(event.startsAt, from: now)
        let textKey = "event.notify.reminder.\(day.rawValue)"
        let moment = day == .later ? DateFormatting.dateTime(event.startsAt, locale) : DateFormatting.time(event.startsAt, locale)
        try await notifier.notify(user, .init(kind: .eventReminder, textKey: textKey, arguments: [event.title, moment, place(event)],
                                              link: SiteURL.event(try event.requireID())))
    }

    /// A message from the organisers to those with a seat (and, if asked, those waiting).
    /// Replies reach `replyTo` (the organiser's name and address) only if the organiser chose to share it;
    /// otherwise the mail says that replies are not read.
    func message(_ event: Event, text: String, includeWaitlist: Bool, replyTo: (name: String, email: String)?) async throws -> Int {
        let id = try event.requireID()
        let users = try await participants(event, including: includeWaitlist ? [.confirmed, .waitlisted] : [.confirmed])
        for user in users {
            var message = Notifier.Message(kind: .eventMessage, textKey: "event.notify.message", arguments: [event.title],
                                           link: SiteURL.event(id), mailParagraphs: [text])
            if let replyTo {
                message.replyTo = replyTo.email
                message.mailNote = ("event.message.replies_to", [replyTo.name, replyTo.email])
            } else {
                message.mailNote = ("event.message.replies_unread", [])
            }
            try await notifier.notify(user, message)
        }
        return users.count
    }

    private func participants(_ event: Event, including statuses: [Registration.Status]) async throws -> [User] {
        let ids = try await Registration.query(on: database).filter(\.$event.$id == event.requireID()).filter(\.$status ~~ statuses).all(\.$user.$id)
        guard !ids.isEmpty else { return [] }
        return try await User.query(on: database).filter(\.$id ~~ ids).all()
    }
}

/// What follows a registration once its seat is decided: the member is told the outcome
/// (notification, mail with the calendar file, as they chose), and first-event buddies are introduced.
/// The registration's transaction only queues this job, so 200 people registering at once wait for
/// one another's seat, not for one another's mail; and as the job row is written in that transaction,
/// nothing is told of a seat that was not committed.
struct RegistrationNewsJob: Job {
    static let kind = "registration-news"
    let registrationID: UUID

    func run(_ context: JobContext) async throws {
        // Cancelled or erased since: nothing to tell.
        guard let registration = try await Registration.query(on: context.db).filter(\.$id == registrationID).with(\.$event).with(\.$user).first(),
              registration.status != .cancelled else { return }
        // Their place in the queue as it is now (a place ahead may have left since they registered).
        let position = try await Seats.waitlistPosition(of: registration, on: context.db)
        try await context.db.transaction { db in
            try await EventNews(application: context.application, database: db, now: context.now)
                .registered(registration, event: registration.event, user: registration.user, position: position)
        }
        // A newcomer gets a buddy, a buddy their newcomers. An introduction that fails is not retried:
        // the news above is already told.
        do { try await FirstEventBuddies(application: context.application, db: context.db, now: context.now).registered(registration, user: registration.user) } catch {
            context.logger.warning("first-event buddy not introduced", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
