import Fluent
import Vapor

/// A session as its page shows it (`/trainings/sessions/<id>`), built by its own small type.
struct SessionPage: Encodable, Sendable {
    let heading: String
    let programmeURL: String
    let halfDays: [String]
    let hours: String
    let place: String?
    let onlineURL: String?
    let trainers: String
    let price: String
    let seats: String
    let mine: String?
    let enrolURL: String?
    let withdrawURL: String?
    let traineesURL: String?
    let attendanceURL: String
    let sheetURL: String
    let assessmentURL: String
    /// For admins: the session's evidence pack.
    let evidenceURL: String?
    /// The reader's certificate, once the session has ended.
    let certificateURL: String?
    /// For its trainers and admins, once it has ended: people trained, completion, satisfaction.
    let results: [LabelledValue]
    let closed: String?
    let referent: String
    let rulesURL: String

    /// "lundi 4 mars 2027, 09:00–12:30".
    static func halfDayLine(_ halfDay: TrainingHalfDay, _ t: Translator) -> String {
        t("session.half_day_line", DateFormatting.date(halfDay.startsAt, t.locale), DateFormatting.time(halfDay.startsAt, t.locale),
          DateFormatting.time(halfDay.endsAt, t.locale))
    }

    static func hoursText(_ halfDays: [TrainingHalfDay], _ t: Translator) -> String {
        let hours = SessionInput.hours(halfDays.map { ($0.startsAt, $0.endsAt) })
        let rounded = (hours * 2).rounded() / 2
        return rounded == rounded.rounded() ? t.count("training.hours", Int(rounded)) : t("session.hours_fraction", String(format: "%.1f", rounded))
    }

    private static func certificate(_ req: Request, event: Event, registration: Registration?, sessionID: UUID) async throws -> String? {
        guard event.endsAt <= req.now, let registration, registration.status == .confirmed,
              let enrolment = try await Enrolment.query(on: req.db).filter(\.$registration.$id == registration.requireID()).first() else { return nil }
        return SiteURL.trainingCertificate(sessionID, try enrolment.requireID())
    }

    static func build(_ req: Request, _ session: TrainingSession, training: Training, event: Event) async throws -> SessionPage {
        let t = req.t
        let id = try session.requireID()
        let halfDays = try await TrainingHalfDay.query(on: req.db).filter(\.$session.$id == id).sort(\.$startsAt).all()
        let trainerIDs = Array(try await session.trainerIDs(on: req.db))
        let trainerNames = try await User.query(on: req.db).filter(\.$id ~~ trainerIDs).sort(\.$name).all(\.$name)
        let user = req.currentUser
        var registration: Registration?
        if let userID = user?.id {
            registration = try await Registration.query(on: req.db).filter(\.$event.$id == event.requireID()).filter(\.$user.$id == userID).first()
        }
        let holding = registration.map { $0.status != .cancelled } ?? false
        let runs = AccessPolicy.allows(req.principal, .runTrainingSession(trainers: Set(trainerIDs)))
        var mine: String?
        if let registration, registration.status == .confirmed { mine = t("session.mine.confirmed") }
        if let registration, registration.status == .waitlisted {
            mine = t("session.mine.waitlisted", String(try await Seats.waitlistPosition(of: registration, on: req.db) ?? 1))
        }
        let open = !event.isCancelled && req.now < event.registrationDeadline
        // Visitors see the way in (it asks them to sign in); of the signed-in, members and the people invited to this session.
        var mayEnrol = user?.isMember ?? true
        if let user, user.role == .guest, let userID = user.id {
            mayEnrol = try await TrainingInvitation.exists(session: id, user: userID, .trainee, on: req.db)
        }
        let settings = req.maillon.settings
        return SessionPage(
            heading: training.title, programmeURL: SiteURL.training(training.slug), halfDays: halfDays.map { halfDayLine($0, t) },
            hours: hoursText(halfDays, t),
            place: event.venueName.isEmpty ? nil : [event.venueName, event.venueAddress].filter { !$0.isEmpty }.joined(separator: ", "),
            // The link to join is for those with a seat, and those who run the session.
            onlineURL: (registration?.status == .confirmed || runs) ? event.onlineURL : nil,
            trainers: trainerNames.joined(separator: ", "), price: ProgrammePage.price(session.price, t),
            seats: event.placesLeft > 0 ? t.count("session.seats_left", event.placesLeft) : t("session.full"),
            mine: mine,
            enrolURL: open && !holding && mayEnrol ? SiteURL.trainingSessionEnrol(id) : nil,
            withdrawURL: holding && req.now < event.startsAt ? SiteURL.trainingSessionWithdraw(id) : nil,
            traineesURL: runs ? SiteURL.trainingSessionTrainees(id) : nil, attendanceURL: SiteURL.trainingAttendance(id),
            sheetURL: SiteURL.trainingAttendanceSheet(id), assessmentURL: SiteURL.trainingAssessment(id),
            evidenceURL: AccessPolicy.allows(req.principal, .manageTrainings) ? SiteURL.trainingEvidence(id) : nil,
            certificateURL: try await certificate(req, event: event, registration: registration, sessionID: id),
            results: runs && event.endsAt <= req.now ? ProgrammePage.resultLines(try await TrainingResults.compute(sessions: [id], on: req.db), t) : [],
            closed: event.isCancelled ? t("session.cancelled") : (open ? nil : t("session.closed")),
            referent: settings.disabilityReferentName.map { t("training.referent", $0, settings.disabilityReferentContact ?? "") } ?? t("training.referent_unset"),
            rulesURL: SiteURL.trainingRules)
    }
}

/// The coming sessions of a training, as its programme lists them.
struct SessionLine: Encodable, Sendable {
    let url: String
    let when: String
    let place: String
    let seats: String

    static func coming(_ training: Training, _ req: Request) async throws -> [SessionLine] {
        try await lines(training, req, ended: false)
    }

    /// The last sessions that ended (for admins: their attendance sheets, certificates).
    static func ended(_ training: Training, _ req: Request) async throws -> [SessionLine] {
        try await lines(training, req, ended: true)
    }

    private static func lines(_ training: Training, _ req: Request, ended: Bool) async throws -> [SessionLine] {
        let t = req.t
        let query = TrainingSession.query(on: req.db).filter(\.$training.$id == (try training.requireID()))
            .join(Event.self, on: \TrainingSession.$event.$id == \Event.$id).filter(Event.self, \.$status == .scheduled)
        let sessions = try await (ended ? query.filter(Event.self, \.$endsAt <= req.now).sort(Event.self, \.$startsAt, .descending)
            : query.filter(Event.self, \.$endsAt > req.now).sort(Event.self, \.$startsAt)).limit(20).all()
        return try sessions.map { session in
            let event = try session.joined(Event.self)
            let days = Recurrence.calendar.isDate(event.startsAt, inSameDayAs: event.endsAt)
                ? DateFormatting.date(event.startsAt, req.locale)
                : t("session.from_to", DateFormatting.date(event.startsAt, req.locale), DateFormatting.date(event.endsAt, req.locale))
            return SessionLine(url: SiteURL.trainingSession(try session.requireID()), when: days,
                               place: event.venueName.isEmpty ? t("training.modality.remote") : event.venueName,
                               seats: event.placesLeft > 0 ? t.count("session.seats_left", event.placesLeft) : t("session.full"))
        }
    }
}

/// The trainees of a session, for its trainers and the admins (`/trainings/sessions/<id>/trainees`).
/// A needed adaptation shows to admins only.
struct TraineesPage: Encodable, Sendable {
    struct Row: Encodable, Sendable {
        let name: String
        let status: String
        let facts: [String]
        let expectations: String
        let adaptation: String?
        let convocation: String?
    }

    let heading: String
    let sessionURL: String
    let rows: [Row]
    /// For admins: who was invited from outside, and the form to invite someone.
    var invited: [String] = []
    var invitationForm: [FormModel] = []
}

/// The adaptations asked for in sessions not yet ended, for the disability referent and the admins
/// (`/trainings/adaptations`), so each can be prepared before the first half-day.
struct AdaptationsPage: Encodable, Sendable {
    struct Row: Encodable, Sendable {
        let training: String
        let url: String
        let when: String
        let name: String
        let status: String
        let adaptation: String
    }

    let heading: String
    let rows: [Row]

    static func build(_ req: Request) async throws -> AdaptationsPage {
        let t = req.t
        let enrolments = try await Enrolment.query(on: req.db).filter(\.$adaptation != "")
            .join(TrainingSession.self, on: \Enrolment.$session.$id == \TrainingSession.$id)
            .join(Event.self, on: \TrainingSession.$event.$id == \Event.$id).filter(Event.self, \.$endsAt > req.now)
            .join(Training.self, on: \TrainingSession.$training.$id == \Training.$id)
            .sort(Event.self, \.$startsAt).limit(300).all()
        let names = Dictionary(try await User.query(on: req.db).filter(\.$id ~~ enrolments.compactMap(\.$user.id)).all().map { ($0.id ?? UUID(), $0.name) },
                               uniquingKeysWith: { a, _ in a })
        let statuses = Dictionary(try await Registration.query(on: req.db).filter(\.$id ~~ enrolments.compactMap(\.$registration.id)).all()
            .map { ($0.id ?? UUID(), $0.status) }, uniquingKeysWith: { a, _ in a })
        let rows = try enrolments.map { enrolment in
            let event = try enrolment.joined(Event.self)
            return Row(training: try enrolment.joined(Training.self).title, url: SiteURL.trainingSession(enrolment.$session.id),
                       when: DateFormatting.date(event.startsAt, req.locale),
                       name: enrolment.$user.id.flatMap { names[$0] } ?? enrolment.retainedName ?? t("person.former_member"),
                       status: t("enrolment.state.\(enrolment.$registration.id.flatMap { statuses[$0] }?.rawValue ?? "cancelled")"),
                       adaptation: enrolment.adaptation)
        }
        return AdaptationsPage(heading: t("adaptations.heading"), rows: rows)
    }
}
