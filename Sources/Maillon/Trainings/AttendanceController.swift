import Fluent
import Vapor

/// Émargement: the trainer shows each half-day's code; trainees sign on their own phone at
/// `/sign/<code>`; the trainer marks absences or connection times and countersigns, which closes
/// the half-day.
struct AttendanceController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "attendance"], use: overview)
        routes.get(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "attendance.pdf"], use: sheet)
        routes.get(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "evidence.zip"], use: evidence)
        routes.get(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "certificates", ":enrolment"], use: certificate)
        routes.get(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "attendance", ":halfDay"], use: halfDay)
        routes.post(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "attendance", ":halfDay", "mark"], use: mark)
        routes.post(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "attendance", ":halfDay", "countersign"], use: countersign)
        routes.get(SiteURL.route(SiteURL.sign), use: codeForm)
        routes.get(SiteURL.route(SiteURL.sign) + [":code"], use: signForm)
        routes.post(SiteURL.route(SiteURL.sign) + [":code"], use: sign)
    }

    // MARK: The trainer's side

    private func run(_ req: Request) async throws -> (TrainingSession, Training, Event) { try await req.runnableSession() }

    struct OverviewPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let when: String
            let url: String
            let signed: String
            let state: String
        }

        let heading: String
        let sessionURL: String
        let rows: [Row]
    }

    @Sendable func overview(req: Request) async throws -> Response {
        let (session, training, _) = try await run(req)
        let t = req.t
        let id = try session.requireID()
        let halfDays = try await TrainingHalfDay.query(on: req.db).filter(\.$session.$id == id).sort(\.$startsAt).all()
        let attendances = try await Attendance.query(on: req.db).filter(\.$halfDay.$id ~~ halfDays.compactMap(\.id)).all()
        let confirmed = try await session.confirmedEnrolments(on: req.db).count
        let rows = halfDays.map { halfDay in
            let present = attendances.filter { $0.$halfDay.id == halfDay.id && $0.status == .present }.count
            return OverviewPage.Row(when: SessionPage.halfDayLine(halfDay, t), url: SiteURL.trainingHalfDay(id, halfDay.id ?? UUID()),
                                    signed: t("attendance.signed_count", String(present), String(confirmed)),
                                    state: halfDay.closedAt != nil ? t("attendance.state.closed")
                                        : Signatures.codeWorks(halfDay, now: req.now) ? t("attendance.state.open") : t("attendance.state.waiting"))
        }
        return try await req.renderPage("training-attendance", title: t("attendance.heading", training.title),
                                        OverviewPage(heading: t("attendance.heading", training.title), sessionURL: SiteURL.trainingSession(id), rows: rows))
    }


    struct HalfDayPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let enrolment: String
            let name: String
            let state: String
            let absentLabel: String
        }

        let heading: String
        let when: String
        let overviewURL: String
        let code: String?
        let shortLink: String?
        /// The short link as a QR code (SVG made here, nothing from a person in it but an escaped label).
        let qrSVG: String?
        let closed: String?
        let remote: Bool
        let markURL: String
        let rows: [Row]
        let countersignForms: [FormModel]
        let error: String?
    }

    private func halfDayPage(_ req: Request, _ session: TrainingSession, _ training: Training, _ event: Event, _ halfDay: TrainingHalfDay,
                             error: String? = nil) async throws -> HalfDayPage {
        let t = req.t
        let sessionID = try session.requireID()
        let halfDayID = try halfDay.requireID()
        let enrolments = try await session.confirmedEnrolments(on: req.db)
        let attendances = Dictionary(try await Attendance.query(on: req.db).filter(\.$halfDay.$id == halfDayID).all().map { ($0.$enrolment.id, $0) },
                                     uniquingKeysWith: { a, _ in a })
        let names = Dictionary(try await User.query(on: req.db).filter(\.$id ~~ enrolments.compactMap(\.$user.id)).all().map { ($0.id ?? UUID(), $0.name) },
                               uniquingKeysWith: { a, _ in a })
        let rows = enrolments.map { enrolment in
            let attendance = enrolment.id.flatMap { attendances[$0] }
            var state = t("attendance.not_signed")
            if let attendance {
                switch (attendance.status, attendance.signatureKind) {
                case (.absent, _): state = t("attendance.absent")
                case (.present, .connection?):
                    state = t("attendance.connected", DateFormatting.time(attendance.connectedFrom ?? halfDay.startsAt, req.locale),
                              DateFormatting.time(attendance.connectedUntil ?? halfDay.endsAt, req.locale))
                case (.present, _): state = t("attendance.signed_at", DateFormatting.time(attendance.signedAt ?? req.now, req.locale))
                }
            }
            return HalfDayPage.Row(enrolment: enrolment.id?.uuidString ?? "", name: enrolment.$user.id.flatMap { names[$0] } ?? enrolment.retainedName ?? t("person.former_member"),
                                   state: state, absentLabel: t("attendance.mark_absent_for", enrolment.$user.id.flatMap { names[$0] } ?? ""))
        }
        let open = halfDay.closedAt == nil
        let works = open && Signatures.codeWorks(halfDay, now: req.now)
        let shortLink = req.maillon.settings.baseURL.absoluteString + SiteURL.sign(halfDay.code)
        let countersign = FormModel(id: "countersign", action: SiteURL.trainingHalfDayCountersign(sessionID, halfDayID), submitLabel: t("attendance.countersign"),
                                    fields: SignaturePad.fields(t, typedLabel: t("attendance.typed_trainer")))
        return HalfDayPage(
            heading: training.title, when: SessionPage.halfDayLine(halfDay, t), overviewURL: SiteURL.trainingAttendance(sessionID),
            code: works ? halfDay.code : nil, shortLink: works ? shortLink : nil,
            qrSVG: works ? QRCode(shortLink)?.svg(label: t("attendance.qr_label", shortLink)) : nil,
            closed: halfDay.closedAt.map { t("attendance.closed_at", DateFormatting.dateTime($0, req.locale)) },
            remote: event.onlineURL != nil, markURL: SiteURL.trainingHalfDayMark(sessionID, halfDayID), rows: rows,
            countersignForms: open ? [countersign] : [], error: error)
    }

    private func halfDay(_ req: Request, of session: TrainingSession) async throws -> TrainingHalfDay {
        guard let id = req.parameters.get("halfDay", as: UUID.self), let halfDay = try await TrainingHalfDay.find(id, on: req.db),
              halfDay.$session.id == session.id else { throw PageError.notFound }
        return halfDay
    }

    @Sendable func halfDay(req: Request) async throws -> Response {
        let (session, training, event) = try await run(req)
        let halfDay = try await halfDay(req, of: session)
        let page = try await halfDayPage(req, session, training, event, halfDay)
        return try await req.renderPage("training-half-day", title: page.heading, page)
    }

    @Sendable func mark(req: Request) async throws -> Response {
        let (session, training, event) = try await run(req)
        let halfDay = try await halfDay(req, of: session)
        let trainer = try req.requireUser()
        let values = try await req.formValues()
        guard let enrolmentID = UUID(uuidString: values["enrolment"] ?? ""),
              let enrolment = try await session.confirmedEnrolments(on: req.db).first(where: { $0.id == enrolmentID }) else { throw PageError.notFound }
        var connected: (Date, Date)?
        let absent = values["action"] != "connection"
        if !absent {
            let day = Recurrence.calendar.startOfDay(for: halfDay.startsAt)
            guard let times = SessionInput.times(values["from"] ?? "", values["until"] ?? ""),
                  let from = SessionInput.at(day, times.start), let until = SessionInput.at(day, times.end) else {
                let page = try await halfDayPage(req, session, training, event, halfDay, error: req.t("attendance.connection_invalid"))
                return try await req.renderPage("training-half-day", title: page.heading, page, status: .unprocessableEntity)
            }
            connected = (from, until)
        }
        let times = connected
        do {
            try await req.db.transaction { db in
                try await Attending(database: db, now: req.now).mark(halfDay, enrolment: enrolment, absent: absent, connected: times, by: trainer)
            }
        } catch let refusal as Attending.Refusal {
            let page = try await halfDayPage(req, session, training, event, halfDay, error: req.t(refusal.key))
            return try await req.renderPage("training-half-day", title: page.heading, page, status: .conflict)
        }
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.trainingHalfDay(try session.requireID(), try halfDay.requireID()), redirectType: .normal)
    }

    @Sendable func countersign(req: Request) async throws -> Response {
        let (session, training, event) = try await run(req)
        let halfDay = try await halfDay(req, of: session)
        let trainer = try req.requireUser()
        let values = try await req.formValues()
        do {
            try await req.db.transaction { db in
                try await Attending(database: db, now: req.now).countersign(halfDay.requireID(), by: trainer, drawing: values["drawing"] ?? "", typed: values["typed"] ?? "")
            }
        } catch let refusal as Attending.Refusal {
            let page = try await halfDayPage(req, session, training, event, halfDay, error: req.t(refusal.key))
            return try await req.renderPage("training-half-day", title: page.heading, page, status: refusal == .signatureMissing ? .unprocessableEntity : .conflict)
        }
        try await req.flash(.success, "attendance.flash.countersigned")
        return req.redirect(to: SiteURL.trainingAttendance(try session.requireID()), redirectType: .normal)
    }

    /// The attendance sheet, for the session's trainers and the admins.
    @Sendable func sheet(req: Request) async throws -> Response {
        let (session, _, _) = try await run(req)
        let documents = TrainingDocuments(database: req.db, settings: req.maillon.settings, t: req.t)
        return Self.pdf(documents.attendanceSheet(try await documents.facts(session)), name: "emargement.pdf")
    }

    /// A trainee's certificate of completion, once the session has ended: for them, its trainers and the admins.
    @Sendable func certificate(req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let id = req.parameters.get("session", as: UUID.self), let session = try await TrainingSession.find(id, on: req.db),
              let enrolmentID = req.parameters.get("enrolment", as: UUID.self),
              let enrolment = try await Enrolment.find(enrolmentID, on: req.db), enrolment.$session.id == id else { throw PageError.notFound }
        let trainers = try await session.trainerIDs(on: req.db)
        guard enrolment.$user.id == user.id || AccessPolicy.allows(req.principal, .runTrainingSession(trainers: trainers)) else { throw PageError.notFound }
        let documents = TrainingDocuments(database: req.db, settings: req.maillon.settings, t: req.t)
        let facts = try await documents.facts(session)
        guard facts.event.endsAt <= req.now, facts.enrolments.contains(where: { $0.id == enrolmentID }) else { throw PageError.notFound }
        return Self.pdf(documents.certificate(facts, for: enrolment, now: req.now), name: "certificat-de-realisation.pdf")
    }

    /// The evidence pack, for admins.
    @Sendable func evidence(req: Request) async throws -> Response {
        try req.authorize(.manageTrainings)
        guard let id = req.parameters.get("session", as: UUID.self), let session = try await TrainingSession.find(id, on: req.db) else { throw PageError.notFound }
        let pack = try await EvidencePack(documents: TrainingDocuments(database: req.db, settings: req.maillon.settings, t: req.t), now: req.now).zip(session)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "application", subType: "zip")
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"preuves-session.zip\"")
        headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return Response(status: .ok, headers: headers, body: .init(data: pack))
    }

    static func pdf(_ data: Data, name: String) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "application", subType: "pdf")
        headers.replaceOrAdd(name: .contentDisposition, value: "inline; filename=\"\(name)\"")
        headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }

    // MARK: The trainee's side

    @Sendable func codeForm(req: Request) async throws -> Response {
        let t = req.t
        if let code = req.queryText("code", max: 20) { return req.redirect(to: SiteURL.sign(code.uppercased().filter { Signatures.alphabet.contains($0) }), redirectType: .normal) }
        let form = FormModel(id: "code", action: SiteURL.sign, submitLabel: t("attendance.go"), method: "get", fields: [
            .init(name: "code", label: t("attendance.code"), hint: t("attendance.code_hint"), autocomplete: "off"),
        ])
        return try await req.renderPage("form-page", title: t("attendance.sign_heading"), FormPage(heading: t("attendance.sign_heading"), forms: [form]))
    }

    private func signPage(_ req: Request, code: String, halfDay: TrainingHalfDay, error: String? = nil) async throws -> FormPage {
        let t = req.t
        var training: Training?
        if let session = try await TrainingSession.find(halfDay.$session.id, on: req.db) { training = try await Training.find(session.$training.id, on: req.db) }
        let form = FormModel(id: "signature", action: SiteURL.sign(code), submitLabel: t("attendance.sign"),
                             fields: SignaturePad.fields(t, typedLabel: t("attendance.typed_trainee")), errorSummary: error)
        return FormPage(heading: t("attendance.sign_heading"), intro: t("attendance.sign_intro", training?.title ?? "", SessionPage.halfDayLine(halfDay, t)), forms: [form])
    }

    private func refusal(_ req: Request, _ refusal: Attending.Refusal) async throws -> Response {
        let t = req.t
        let page = MessagePage(heading: t("attendance.sign_heading"), paragraphs: [t(refusal.key)])
        let status: HTTPStatus = switch refusal {
        case .notEnrolled: .forbidden
        case .codeUnknown: .notFound
        case .codeExpired: .gone
        case .alreadySigned, .closed: .conflict
        case .signatureMissing: .unprocessableEntity
        }
        return try await req.renderPage("message", title: page.heading, page, status: status)
    }

    @Sendable func signForm(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let code = req.parameters.get("code") ?? ""
        do {
            let (halfDay, _) = try await Attending(database: req.db, now: req.now).open(code: code, userID: user.requireID())
            return try await req.renderPage("form-page", title: req.t("attendance.sign_heading"), signPage(req, code: code, halfDay: halfDay))
        } catch let refusal as Attending.Refusal {
            return try await self.refusal(req, refusal)
        }
    }

    @Sendable func sign(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let code = req.parameters.get("code") ?? ""
        let values = try await req.formValues()
        do {
            let (halfDay, enrolment) = try await Attending(database: req.db, now: req.now).open(code: code, userID: user.requireID())
            let attendance = try await req.db.transaction { db in
                try await Attending(database: db, now: req.now).sign(halfDay, enrolment, drawing: values["drawing"] ?? "",
                                                                     typed: values["typed"] ?? "", ip: req.clientIP, device: req.headers.first(name: .userAgent) ?? "")
            }
            let t = req.t
            let page = MessagePage(heading: t("attendance.signed_heading"),
                                   paragraphs: [t("attendance.signed_message", DateFormatting.dateTime(attendance.signedAt ?? req.now, req.locale))])
            return try await req.renderPage("message", title: page.heading, page)
        } catch let refusal as Attending.Refusal where refusal == .signatureMissing {
            let (halfDay, _) = try await Attending(database: req.db, now: req.now).open(code: code, userID: user.requireID())
            return try await req.renderPage("form-page", title: req.t("attendance.sign_heading"),
                                            signPage(req, code: code, halfDay: halfDay, error: req.t(refusal.key)), status: .unprocessableEntity)
        } catch let refusal as Attending.Refusal {
            return try await self.refusal(req, refusal)
        }
    }
}

/// The two ways to sign: drawing (where JavaScript runs: the pad fills the hidden `drawing` field)
/// or typing one's name (always there, so the form works without JavaScript).
enum SignaturePad {
    static func fields(_ t: Translator, typedLabel: String) -> [FormModel.Field] {
        [
            .init(name: "drawing", label: t("attendance.drawing"), type: "signature", hint: t("attendance.drawing_hint"), required: false),
            .init(name: "typed", label: typedLabel, hint: t("attendance.typed_hint"), autocomplete: "name", required: false),
        ]
    }
}
