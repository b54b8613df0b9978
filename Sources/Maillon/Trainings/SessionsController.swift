import Fluent
import Vapor

/// Training sessions: admins schedule them; members enrol (needs analysis, status and funding,
/// acknowledgements) and withdraw; trainers and admins see the trainees. Also the internal rules.
struct SessionsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.adminTrainings) + [":id", "sessions", "new"], use: newForm)
        routes.post(SiteURL.route(SiteURL.adminTrainings) + [":id", "sessions", "new"], use: create)
        routes.get(SiteURL.route(SiteURL.trainings) + ["sessions", ":session"], use: show)
        routes.get(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "enrol"], use: enrolForm)
        routes.post(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "enrol"], use: enrol)
        routes.post(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "withdraw"], use: withdraw)
        routes.get(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "trainees"], use: trainees)
        routes.post(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "invitations"], use: invite)
        routes.get(SiteURL.route(SiteURL.trainingRules), use: rules)
        routes.get(SiteURL.route(SiteURL.myTrainings), use: mine)
        routes.get(SiteURL.route(SiteURL.trainingAdaptations), use: adaptations)
        routes.get(SiteURL.route(SiteURL.adminTrainingRules), use: rulesForm)
        routes.post(SiteURL.route(SiteURL.adminTrainingRules), use: publishRules)
    }

    // MARK: Scheduling (admins)

    private func training(_ req: Request) async throws -> Training {
        try req.authorize(.manageTrainings)
        guard let id = req.parameters.get("id", as: UUID.self), let training = try await Training.find(id, on: req.db) else { throw PageError.notFound }
        return training
    }

    private func scheduleForm(_ req: Request, _ training: Training, values: [String: String], errors: FormErrors) -> FormPage {
        let t = req.t
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        func field(_ name: String, _ label: String, type: String = "text", hint: String? = nil, required: Bool = false, inputmode: String? = nil) -> FormModel.Field {
            .init(name: name, label: label, type: type, value: values[name] ?? "", error: error(name), hint: hint, required: required, inputmode: inputmode)
        }
        var fields: [FormModel.Field] = []
        for slot in 1...SessionInput.daySlots {
            fields.append(field("day\(slot)", t("session.field.day", String(slot)), type: "date", hint: slot == 1 ? t("session.field.day_hint") : nil, required: slot == 1))
            let part = values["day\(slot)_part"] ?? SessionInput.Part.both.rawValue
            fields.append(.init(name: "day\(slot)_part", label: t("session.field.day_part", String(slot)), type: "select", value: part, error: error("day\(slot)_part"),
                                required: false, options: SessionInput.Part.allCases.map { .init(value: $0.rawValue, label: t("session.part.\($0.rawValue)"), selected: $0.rawValue == part) }))
        }
        fields += [
            field("morning_start", t("session.field.morning_start"), type: "time", required: true), field("morning_end", t("session.field.morning_end"), type: "time", required: true),
            field("afternoon_start", t("session.field.afternoon_start"), type: "time", required: true),
            field("afternoon_end", t("session.field.afternoon_end"), type: "time", required: true),
            field("venue_name", t("session.field.venue_name")), field("venue_address", t("session.field.venue_address")),
            field("map_url", t("session.field.map_url"), type: "url", hint: t("profile.link_hint")),
            field("online_url", t("session.field.online_url"), type: "url", hint: t("session.field.online_url_hint")),
            field("capacity", t("session.field.capacity"), required: true, inputmode: "numeric"),
            field("price", t("session.field.price"), hint: t("training.field.price_inter_hint"), required: true, inputmode: "numeric"),
            field("trainers", t("session.field.trainers"), hint: t("session.field.trainers_hint"), required: true),
            field("registration_deadline", t("session.field.registration_deadline"), type: "date", hint: t("session.field.registration_deadline_hint")),
        ]
        let form = FormModel(id: "session", action: SiteURL.newTrainingSession(training.id ?? UUID()), submitLabel: t("session.schedule"),
                             fields: fields, errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        return FormPage(heading: t("session.new_heading", training.title), intro: t("session.new_intro"), forms: [form],
                        links: [.init(url: SiteURL.training(training.slug), label: t("training.read_programme", training.title))])
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        let training = try await training(req)
        let values = ["morning_start": "09:00", "morning_end": "12:30", "afternoon_start": "13:30", "afternoon_end": "17:00", "capacity": "12",
                      "price": training.priceInter.map(String.init) ?? "0"]
        return try await req.renderPage("form-page", title: req.t("session.new_heading", training.title), scheduleForm(req, training, values: values, errors: .init()))
    }

    @Sendable func create(req: Request) async throws -> Response {
        let training = try await training(req)
        let admin = try req.requireUser()
        let values = try await req.formValues()
        var input = SessionInput(values: values, modality: training.content.modality, now: req.now)
        if training.status != .published { input.errors.add("day1", "session.training_not_published") }
        let trainers = input.trainerEmails.isEmpty ? [] : try await User.query(on: req.db).filter(\.$email ~~ input.trainerEmails).all()
        // Trainers are members, or outside trainers who already have a guest account (invite new ones from the trainees page).
        if trainers.count != Set(input.trainerEmails).count || trainers.contains(where: { !$0.isMember && $0.role != .guest }) {
            input.errors.add("trainers", "session.trainer_unknown")
        }
        guard input.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("session.new_heading", training.title), scheduleForm(req, training, values: values, errors: input.errors),
                                            status: .unprocessableEntity)
        }
        let checked = input
        let session = try await req.db.transaction { db in
            try await SessionScheduling(database: db, now: req.now).schedule(training, checked, trainers: trainers, by: admin)
        }
        try await req.flash(.success, "session.flash.scheduled")
        return req.redirect(to: SiteURL.trainingSession(try session.requireID()), redirectType: .normal)
    }

    // MARK: A session

    /// The session with its training and seats; anyone may read a session of a published training.
    private func session(_ req: Request) async throws -> (TrainingSession, Training, Event) {
        guard let id = req.parameters.get("session", as: UUID.self), let session = try await TrainingSession.find(id, on: req.db),
              let training = try await Training.find(session.$training.id, on: req.db), let event = try await Event.find(session.$event.id, on: req.db),
              training.status == .published || AccessPolicy.allows(req.principal, .manageTrainings) else { throw PageError.notFound }
        return (session, training, event)
    }

    @Sendable func show(req: Request) async throws -> Response {
        let (session, training, event) = try await session(req)
        let page = try await SessionPage.build(req, session, training: training, event: event)
        return try await req.renderPage("training-session", title: page.heading, page)
    }

    private func enrolPage(_ req: Request, _ session: TrainingSession, _ training: Training, values: [String: String], errors: FormErrors,
                           summary: String? = nil) async throws -> FormPage {
        let t = req.t
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        func select<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) -> FormModel.Field where T.RawValue == String {
            let chosen = values[name] ?? ""
            return .init(name: name, label: t("enrolment.field.\(name)"), type: "select", value: chosen, error: error(name),
                         options: T.allCases.map { .init(value: $0.rawValue, label: t("enrolment.\(name).\($0.rawValue)"), selected: $0.rawValue == chosen) })
        }
        let fields: [FormModel.Field] = [
            .init(name: "expectations", label: t("enrolment.field.expectations"), type: "textarea", value: values["expectations"] ?? "", error: error("expectations"),
                  hint: t("enrolment.field.expectations_hint")),
            select("level", Enrolment.Level.self),
            .init(name: "adaptation", label: t("enrolment.field.adaptation"), type: "textarea", value: values["adaptation"] ?? "", error: error("adaptation"),
                  hint: t("enrolment.field.adaptation_hint"), required: false),
            select("trainee_status", Enrolment.TraineeStatus.self),
            select("funding", Enrolment.Funding.self),
            .init(name: "ack_programme", label: t("enrolment.field.ack_programme", training.title), type: "checkbox", value: values["ack_programme"] ?? "",
                  error: error("ack_programme")),
            .init(name: "ack_rules", label: t("enrolment.field.ack_rules"), type: "checkbox", value: values["ack_rules"] ?? "", error: error("ack_rules")),
        ]
        let form = FormModel(id: "enrolment", action: SiteURL.trainingSessionEnrol(try session.requireID()), submitLabel: t("enrolment.submit"), fields: fields,
                             errorSummary: summary ?? (errors.isEmpty ? nil : t("form.has_errors")))
        return FormPage(heading: t("enrolment.heading", training.title), intro: t("enrolment.intro"), forms: [form],
                        links: [.init(url: SiteURL.training(training.slug), label: t("training.read_programme", training.title)),
                                .init(url: SiteURL.trainingRules, label: t("rules.heading"))])
    }

    /// Members enrol, and people from outside invited to this very session; someone else signed in is
    /// refused, a visitor asked to sign in.
    private func enrollable(_ req: Request) async throws -> (TrainingSession, Training, Event, User) {
        let user = try req.requireUser()
        guard user.isMember || user.role == .guest else { throw PageError.forbidden }
        // A suspended member reads but does not register (see moderation).
        if req.suspendedUntil != nil { throw PageError.forbidden }
        let (session, training, event) = try await session(req)
        if !user.isMember, !(try await TrainingInvitation.exists(session: session.requireID(), user: user.requireID(), .trainee, on: req.db)) {
            throw PageError.forbidden
        }
        return (session, training, event, user)
    }

    @Sendable func enrolForm(req: Request) async throws -> Response {
        let (session, training, _, _) = try await enrollable(req)
        return try await req.renderPage("form-page", title: req.t("enrolment.heading", training.title),
                                        enrolPage(req, session, training, values: ["level": Enrolment.Level.discovering.rawValue], errors: .init()))
    }

    @Sendable func enrol(req: Request) async throws -> Response {
        let (session, training, _, user) = try await enrollable(req)
        let values = try await req.formValues()
        let input = EnrolmentInput(values: values)
        guard input.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("enrolment.heading", training.title),
                                            enrolPage(req, session, training, values: values, errors: input.errors), status: .unprocessableEntity)
        }
        do {
            let registration = try await req.db.transaction { db in
                try await Enrolling(application: req.application, database: db, now: req.now).enrol(session, user, input)
            }
            try await req.flash(.success, registration.status == .confirmed ? "enrolment.flash.confirmed" : "enrolment.flash.waitlisted")
        } catch let refusal as Seats.Refusal {
            return try await req.renderPage("form-page", title: req.t("enrolment.heading", training.title),
                                            enrolPage(req, session, training, values: values, errors: .init(), summary: req.t(refusal.key)), status: .conflict)
        }
        return req.redirect(to: SiteURL.trainingSession(try session.requireID()), redirectType: .normal)
    }

    @Sendable func withdraw(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let (session, _, _) = try await session(req)
        do {
            try await req.db.transaction { db in try await Enrolling(application: req.application, database: db, now: req.now).withdraw(session, user) }
            try await req.flash(.success, "enrolment.flash.withdrawn")
        } catch let refusal as Seats.Refusal {
            try await req.flash(.error, refusal.key)
        }
        return req.redirect(to: SiteURL.trainingSession(try session.requireID()), redirectType: .normal)
    }

    @Sendable func trainees(req: Request) async throws -> Response {
        try await traineesResponse(req, invitation: ["kind": TrainingInvitation.Kind.trainee.rawValue], errors: .init(), status: .ok)
    }

    /// The trainees of a session one runs; for admins, also the people invited from outside and the form to invite one.
    func traineesResponse(_ req: Request, invitation values: [String: String], errors: FormErrors, status: HTTPStatus) async throws -> Response {
        let (session, training, _) = try await req.runnableSession()
        let id = try session.requireID()
        let seesAdaptations = AccessPolicy.allows(req.principal, .readAdaptations)
        let t = req.t
        let enrolments = try await Enrolment.query(on: req.db).filter(\.$session.$id == id).sort(\.$createdAt).all()
        let registrations = Dictionary(try await Registration.query(on: req.db).filter(\.$id ~~ enrolments.compactMap(\.$registration.id)).all()
            .map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        let names = Dictionary(try await User.query(on: req.db).filter(\.$id ~~ enrolments.compactMap(\.$user.id)).all().map { ($0.id ?? UUID(), $0.name) },
                               uniquingKeysWith: { a, _ in a })
        let rows = enrolments.map { enrolment in
            let registration = enrolment.$registration.id.flatMap { registrations[$0] }
            return TraineesPage.Row(
                name: enrolment.$user.id.flatMap { names[$0] } ?? enrolment.retainedName ?? t("person.former_member"),
                status: t("enrolment.state.\(registration?.status.rawValue ?? "cancelled")"),
                facts: [t("enrolment.level.\(enrolment.level.rawValue)"), t("enrolment.trainee_status.\(enrolment.traineeStatus.rawValue)"),
                        t("enrolment.funding.\(enrolment.funding.rawValue)")],
                expectations: enrolment.expectations,
                adaptation: seesAdaptations && !enrolment.adaptation.isEmpty ? enrolment.adaptation : nil,
                convocation: enrolment.convocationSentAt.map { t("enrolment.convocation_sent", DateFormatting.dateTime($0, req.locale)) })
        }
        var page = TraineesPage(heading: t("trainees.heading", training.title), sessionURL: SiteURL.trainingSession(id), rows: rows)
        if AccessPolicy.allows(req.principal, .manageTrainings) {
            let invitations = try await TrainingInvitation.query(on: req.db).filter(\.$session.$id == id).with(\.$user).sort(\.$createdAt).limit(200).all()
            page.invited = invitations.map { t("invitation.line", $0.user.name, $0.user.email, t("invitation.kind.\($0.kind.rawValue)")) }
            page.invitationForm = [Self.invitationForm(req, session: id, values: values, errors: errors)]
        }
        return try await req.renderPage("training-trainees", title: page.heading, page, status: status)
    }

    @Sendable func adaptations(req: Request) async throws -> Response {
        try req.authorize(.readAdaptations)
        let page = try await AdaptationsPage.build(req)
        return try await req.renderPage("training-adaptations", title: page.heading, page)
    }

    // MARK: My trainings

    struct MinePage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let title: String
            let url: String
            let when: String
            let status: String
            let hours: String?
            let certificateURL: String?
            let surveyURL: String?
        }

        let heading: String
        let rows: [Row]
        let catalogueURL: String
        /// For the disability referent: the adaptations to prepare.
        let adaptationsURL: String?
    }

    /// A trainee's own records: each session, where they stand, the hours signed, the certificate, a survey to answer.
    @Sendable func mine(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let t = req.t
        let enrolments = try await Enrolment.query(on: req.db).filter(\.$user.$id == user.requireID()).sort(\.$createdAt, .descending).limit(100).all()
        let sessions = Dictionary(try await TrainingSession.query(on: req.db).filter(\.$id ~~ enrolments.map { $0.$session.id }).with(\.$training).with(\.$event).all()
            .map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        let registrations = Dictionary(try await Registration.query(on: req.db).filter(\.$id ~~ enrolments.compactMap(\.$registration.id)).all()
            .map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        let halfDays = try await TrainingHalfDay.query(on: req.db).filter(\.$session.$id ~~ Array(sessions.keys)).all()
        let attended = Attended(try await Attendance.query(on: req.db).filter(\.$enrolment.$id ~~ enrolments.compactMap(\.id)).all(), halfDays: halfDays)
        let surveys = try await SurveyRequest.query(on: req.db).filter(\.$user.$id == user.requireID()).filter(\.$answeredAt == nil).all()
        let rows = enrolments.compactMap { enrolment -> MinePage.Row? in
            guard let session = sessions[enrolment.$session.id], let sessionID = session.id else { return nil }
            let status = enrolment.$registration.id.flatMap { registrations[$0]?.status } ?? .cancelled
            let ended = session.event.endsAt <= req.now
            let hours = attended.hours[enrolment.id ?? UUID()] ?? 0
            let survey = surveys.first { $0.$session.id == sessionID }
            return MinePage.Row(title: session.training.title, url: SiteURL.trainingSession(sessionID),
                                when: DateFormatting.date(session.event.startsAt, req.locale), status: t("enrolment.state.\(status.rawValue)"),
                                hours: hours > 0 ? t("mine.hours", DocumentsNumber.decimal(hours, req.locale)) : nil,
                                certificateURL: ended && hours > 0 ? SiteURL.trainingCertificate(sessionID, enrolment.id ?? UUID()) : nil,
                                surveyURL: survey.map { SiteURL.trainingSurvey(sessionID, $0.kind) })
        }
        return try await req.renderPage("my-trainings", title: t("mine.heading"), MinePage(heading: t("mine.heading"), rows: rows, catalogueURL: SiteURL.trainings,
                                                                                          adaptationsURL: AccessPolicy.allows(req.principal, .readAdaptations) ? SiteURL.trainingAdaptations : nil))
    }

    // MARK: Internal rules

    @Sendable func rules(req: Request) async throws -> Response {
        let t = req.t
        let current = try await TrainingRulesText.current(on: req.db)
        let paragraphs = current.map { TrainingContent.lines($0.body) } ?? [t("rules.none")]
        let intro = current.map { t("rules.version", String($0.version), DateFormatting.date($0.publishedAt, req.locale)) }
        return try await req.renderPage("message", title: t("rules.heading"), MessagePage(heading: t("rules.heading"), paragraphs: (intro.map { [$0] } ?? []) + paragraphs))
    }

    private func rulesPage(_ req: Request, values: [String: String], errors: FormErrors) -> FormPage {
        let t = req.t
        let form = FormModel(id: "rules", action: SiteURL.adminTrainingRules, submitLabel: t("rules.publish"), fields: [
            .init(name: "body", label: t("rules.body"), type: "textarea", value: values["body"] ?? "", error: errors["body"].map { t($0) }, hint: t("rules.body_hint")),
        ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        return FormPage(heading: t("rules.heading"), intro: t("rules.admin_intro"), forms: [form], links: [.init(url: SiteURL.trainingRules, label: t("rules.read"))])
    }

    @Sendable func rulesForm(req: Request) async throws -> Response {
        try req.authorize(.manageTrainings)
        let current = try await TrainingRulesText.current(on: req.db)
        return try await req.renderPage("form-page", title: req.t("rules.heading"), rulesPage(req, values: ["body": current?.body ?? ""], errors: .init()))
    }

    @Sendable func publishRules(req: Request) async throws -> Response {
        try req.authorize(.manageTrainings)
        let user = try req.requireUser()
        let values = try await req.formValues()
        var form = FormReader(values)
        let body = form.text("body", max: 20_000, required: true)
        guard form.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("rules.heading"), rulesPage(req, values: values, errors: form.errors), status: .unprocessableEntity)
        }
        try await req.db.transaction { db in
            try await TrainingRules.publishRules(body, by: user, on: db, now: req.now)
        }
        try await req.flash(.success, "rules.flash.published")
        return req.redirect(to: SiteURL.trainingRules, redirectType: .normal)
    }
}

extension TrainingRules {
    /// A new version of the internal rules, unless the text is the same. The highest version is
    /// locked by its unique number: two admins publishing at once make two versions, or one waits.
    static func publishRules(_ body: String, by author: User?, on db: any Database, now: Date) async throws {
        let current = try await TrainingRulesText.current(on: db)
        guard current?.body != body else { return }
        let rules = TrainingRulesText()
        rules.version = (current?.version ?? 0) + 1
        rules.body = body
        rules.$author.id = author?.id
        rules.publishedAt = now
        try await rules.create(on: db)
    }
}
