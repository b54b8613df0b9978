import Fluent
import Foundation
import SQLKit
import Vapor

/// Scheduling a session: its seats (an event of kind `training`), its half-days, its trainers, the
/// programme version and internal rules it runs with. Call it on a transaction.
struct SessionScheduling {
    let database: any Database
    let now: Date

    func schedule(_ training: Training, _ input: SessionInput, trainers: [User], by admin: User) async throws -> TrainingSession {
        guard let first = input.halfDays.first, let last = input.halfDays.last else { throw PageError.notFound }
        let event = Event(createdBy: admin.id, capacity: input.capacity, now: now)
        event.kind = .training
        event.title = training.title
        event.description = training.content.objectiveList.joined(separator: "\n")
        event.startsAt = first.start
        event.endsAt = last.end
        event.registrationDeadline = input.registrationDeadline ?? first.start
        event.venueName = input.venueName
        event.venueAddress = input.venueAddress
        event.mapURL = input.mapURL
        event.onlineURL = input.onlineURL
        event.costNote = ""
        event.visibility = .public
        try await event.create(on: database)
        let session = TrainingSession()
        session.$training.id = try training.requireID()
        session.trainingVersion = training.version
        session.$event.id = try event.requireID()
        session.price = input.price
        session.rulesVersion = try await TrainingRulesText.current(on: database)?.version
        session.createdAt = now
        try await session.create(on: database)
        let sessionID = try session.requireID()
        for halfDay in input.halfDays {
            let row = TrainingHalfDay()
            row.$session.id = sessionID
            row.startsAt = halfDay.start
            row.endsAt = halfDay.end
            row.code = Signatures.newCode()
            row.trainerSignature = ""
            try await row.create(on: database)
        }
        for trainer in trainers {
            let row = TrainingTrainer()
            row.$session.id = sessionID
            row.$user.id = trainer.id
            try await row.create(on: database)
        }
        return session
    }
}

/// What a trainee answers when enrolling: the needs analysis and positioning, their status and
/// funding, and the acknowledgement of the programme and internal rules. Plain rules, no database.
struct EnrolmentInput {
    var errors = FormErrors()
    var expectations = ""
    var level: Enrolment.Level = .discovering
    var adaptation = ""
    var traineeStatus: Enrolment.TraineeStatus = .other
    var funding: Enrolment.Funding = .person

    init(values: [String: String]) {
        var form = FormReader(values)
        expectations = form.text("expectations", max: 2000, required: true)
        level = form.choice("level", as: Enrolment.Level.self) ?? .discovering
        adaptation = form.text("adaptation", max: 2000)
        traineeStatus = form.choice("trainee_status", as: Enrolment.TraineeStatus.self) ?? .other
        funding = form.choice("funding", as: Enrolment.Funding.self) ?? .person
        for box in ["ack_programme", "ack_rules"] where values[box] != "yes" { form.errors.add(box, "enrolment.must_acknowledge") }
        errors = form.errors
    }
}

/// Enrolling and withdrawing: the seat through `Seats` (the waitlist as for meetups), the answers
/// beside it. Call it on a transaction.
struct Enrolling {
    let application: Application
    let database: any Database
    let now: Date

    func enrol(_ session: TrainingSession, _ user: User, _ input: EnrolmentInput) async throws -> Registration {
        let registration = try await Self.record(session, userID: user.requireID(), input, on: database, now: now)
        let position = try await Seats.waitlistPosition(of: registration, on: database)
        let training = try await Training.find(session.$training.id, on: database)
        let key = registration.status == .confirmed ? "notify.enrolment_confirmed" : "notify.enrolment_waitlisted"
        try await Notifier(application: application, database: database, now: now).notify(user, .init(
            kind: .trainingEnrolment, textKey: key,
            arguments: [training?.title ?? "", DateFormatting.date(registration.event.startsAt, user.locale ?? .default), String(position ?? 1)],
            link: SiteURL.trainingSession(try session.requireID())))
        return registration
    }

    /// The seat and the answers, without telling anyone (the demo community uses it too).
    static func record(_ session: TrainingSession, userID: UUID, _ input: EnrolmentInput, on database: any Database, now: Date) async throws -> Registration {
        let registration = try await Seats(database: database, now: now).register(session.$event.id, userID: userID, note: "")
        // Enrolling again after withdrawing reuses the seat's row, and so the answers' row.
        let enrolment = try await Enrolment.query(on: database).filter(\.$registration.$id == registration.requireID()).first() ?? Enrolment()
        enrolment.$session.id = try session.requireID()
        enrolment.$registration.id = try registration.requireID()
        enrolment.$user.id = userID
        enrolment.expectations = input.expectations
        enrolment.level = input.level
        enrolment.adaptation = input.adaptation
        enrolment.traineeStatus = input.traineeStatus
        enrolment.funding = input.funding
        enrolment.programmeVersion = session.trainingVersion
        enrolment.rulesVersion = try await TrainingRulesText.current(on: database)?.version
        enrolment.acknowledgedAt = now
        enrolment.convocationSentAt = nil
        if enrolment.id == nil { enrolment.createdAt = now }
        enrolment.updatedAt = now
        try await enrolment.save(on: database)
        return registration
    }

    /// Withdraws; a seat freed goes to the first waiting, who is told.
    func withdraw(_ session: TrainingSession, _ user: User) async throws {
        let promoted = try await Seats(database: database, now: now).cancel(session.$event.id, userID: user.requireID())
        try await EventNews(application: application, database: database, now: now).promoted(promoted)
    }
}

/// Hourly: each confirmed trainee of a session starting within `CONVOCATION_DAYS` days gets their
/// convocation once (claimed by a conditional update, so several instances send it once): each
/// half-day with its times, the place or link and how to get there, the contacts, the disability
/// referent, the internal rules and a calendar file. When it went out is kept as evidence.
struct ConvocationsJob: Job {
    static let kind = "training-convocations"

    func run(_ context: JobContext) async throws {
        let now = context.now
        let horizon = now.addingTimeInterval(Double(context.maillon.settings.convocationDays) * 86400)
        let due = try await Enrolment.query(on: context.db)
            .join(Registration.self, on: \Enrolment.$registration.$id == \Registration.$id)
            .join(Event.self, on: \Registration.$event.$id == \Event.$id)
            .filter(\.$convocationSentAt == nil).filter(Registration.self, \.$status == .confirmed)
            .filter(Event.self, \.$status == .scheduled).filter(Event.self, \.$startsAt > now).filter(Event.self, \.$startsAt <= horizon)
            .all()
        for enrolment in due {
            try await context.db.transaction { db in
                let claimed = try await (db as! any SQLDatabase).raw("""
                    UPDATE \(ident: Enrolment.schema) SET convocation_sent_at = \(bind: now)
                    WHERE id = \(bind: enrolment.requireID()) AND convocation_sent_at IS NULL RETURNING id
                    """).first()
                guard claimed != nil, let userID = enrolment.$user.id, let user = try await User.find(userID, on: db),
                      let session = try await TrainingSession.find(enrolment.$session.id, on: db) else { return }
                try await Convocation(application: context.application, database: db, now: now).send(session, to: user)
            }
        }
    }
}

/// The convocation mail and its calendar file (one entry per half-day).
struct Convocation {
    let application: Application
    let database: any Database
    let now: Date

    func send(_ session: TrainingSession, to user: User) async throws {
        let sessionID = try session.requireID()
        guard let training = try await Training.find(session.$training.id, on: database),
              let event = try await Event.find(session.$event.id, on: database) else { return }
        let halfDays = try await TrainingHalfDay.query(on: database).filter(\.$session.$id == sessionID).sort(\.$startsAt).all()
        let settings = application.maillon.settings
        let locale = user.locale ?? .default
        let t = Translator(catalogue: application.maillon.catalogue, locale: locale)
        var paragraphs = [t("convocation.half_days")] + halfDays.map { SessionPage.halfDayLine($0, t) }
        if !event.venueName.isEmpty { paragraphs.append(t("convocation.place", [event.venueName, event.venueAddress].filter { !$0.isEmpty }.joined(separator: ", "))) }
        if let map = event.mapURL { paragraphs.append(t("convocation.map", map)) }
        if let online = event.onlineURL { paragraphs.append(t("convocation.online", online)) }
        paragraphs.append(t("convocation.contacts", training.contacts))
        paragraphs.append(settings.disabilityReferentName.map { t("training.referent", $0, settings.disabilityReferentContact ?? "") } ?? t("training.referent_unset"))
        paragraphs.append(t("convocation.rules", settings.baseURL.absoluteString + SiteURL.trainingRules))
        let host = settings.baseURL.host ?? "maillon"
        let url = settings.baseURL.absoluteString + SiteURL.trainingSession(sessionID)
        let entries = halfDays.map { halfDay in
            ICalendar.Entry(uid: "\((halfDay.id ?? UUID()).uuidString.lowercased())@\(host)", sequence: event.revision, stamp: now,
                            start: halfDay.startsAt, end: halfDay.endsAt, summary: training.title, description: url,
                            location: event.onlineURL ?? [event.venueName, event.venueAddress].filter { !$0.isEmpty }.joined(separator: ", "),
                            url: url, status: .confirmed)
        }
        let file = MailAttachment(filename: "convocation.ics", contentType: "text/calendar; method=PUBLISH",
                                  content: ICalendar.document(name: training.title, entries: entries))
        try await Notifier(application: application, database: database, now: now).notify(user, .init(
            kind: .trainingEnrolment, textKey: "notify.convocation", arguments: [training.title, DateFormatting.dateTime(event.startsAt, locale)],
            link: SiteURL.trainingSession(sessionID), attachments: [file], mailParagraphs: paragraphs))
    }
}

/// "Download my data": the training sessions one enrolled in, with one's answers; on erasure the
/// free-text answers go (the enrolment stays, unsigned, for the training organisation's yearly figures).
struct TrainingEnrolmentsSection: PersonalDataSection {
    let name = "training_enrolments"

    func export(userID: UUID, on db: any Database) async throws -> Any {
        let enrolments = try await Enrolment.query(on: db).filter(\.$user.$id == userID).sort(\.$createdAt).all()
        let sessions = Dictionary(try await TrainingSession.query(on: db).filter(\.$id ~~ enrolments.map { $0.$session.id }).with(\.$training).with(\.$event).all()
            .map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        let registrations = Dictionary(try await Registration.query(on: db).filter(\.$id ~~ enrolments.compactMap { $0.$registration.id }).all()
            .map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        return enrolments.map { enrolment -> [String: Any] in
            let session = sessions[enrolment.$session.id]
            return ["training": session?.training.title ?? "", "starts_at": PersonalData.stamp(session?.event.startsAt),
                    "status": enrolment.$registration.id.flatMap { registrations[$0]?.status.rawValue } ?? "cancelled",
                    "expectations": enrolment.expectations, "level": enrolment.level.rawValue, "adaptation": enrolment.adaptation,
                    "trainee_status": enrolment.traineeStatus.rawValue, "funding": enrolment.funding.rawValue,
                    "acknowledged_at": PersonalData.stamp(enrolment.acknowledgedAt), "convocation_sent_at": PersonalData.stamp(enrolment.convocationSentAt),
                    "enrolled_at": PersonalData.stamp(enrolment.createdAt)]
        }
    }

    /// The free-text answers go. Where the person attended, the attendance and certificate must be
    /// kept (three years after the session, six when public or mutualised money paid: OPCO, CPF, a
    /// public body): the enrolment keeps their name until then (`TrainingRetention` forgets it after).
    func beforeErase(userID: UUID, application: Application, on db: any Database, now: Date) async throws {
        guard let user = try await User.find(userID, on: db) else { return }
        for enrolment in try await Enrolment.query(on: db).filter(\.$user.$id == userID).all() {
            enrolment.expectations = ""
            enrolment.adaptation = ""
            let attended = try await Attendance.query(on: db).filter(\.$enrolment.$id == enrolment.requireID()).filter(\.$status == .present).count() > 0
            if attended, let session = try await TrainingSession.find(enrolment.$session.id, on: db),
               let event = try await Event.find(session.$event.id, on: db) {
                enrolment.retainedName = user.name
                enrolment.retainedUntil = TrainingRetention.until(sessionEnded: event.endsAt, funding: enrolment.funding)
            }
            try await enrolment.save(on: db)
        }
    }
}

/// How long a training organisation keeps attendance and certificates, and the forgetting after.
enum TrainingRetention {
    static func until(sessionEnded: Date, funding: Enrolment.Funding) -> Date {
        let years = [.opco, .cpf, .publicBody].contains(funding) ? 6 : 3
        return Recurrence.calendar.date(byAdding: .year, value: years, to: sessionEnded) ?? sessionEnded
    }

    /// Past their date, retained names go, and the signatures with them (run by the housekeeping job).
    @discardableResult
    static func forget(on db: any Database, now: Date) async throws -> Int {
        let due = try await Enrolment.query(on: db).filter(\.$retainedUntil < now).all().compactMap(\.id)
        guard !due.isEmpty else { return 0 }
        try await Attendance.query(on: db).filter(\.$enrolment.$id ~~ due).set(\.$signature, to: "").set(\.$ip, to: "").set(\.$device, to: "").update()
        try await Enrolment.query(on: db).filter(\.$id ~~ due).set(\.$retainedName, to: nil).set(\.$retainedUntil, to: nil).update()
        return due.count
    }
}
