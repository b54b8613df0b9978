import Fluent
import Vapor

/// Applying to join: the form (profile essentials, chapter, motivation, the charter), then the
/// applicant's page with the status and history, where they may withdraw.
struct ApplicationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.apply), use: form)
        routes.post(SiteURL.route(SiteURL.apply), use: submit)
        routes.get(SiteURL.route(SiteURL.myApplication), use: mine)
        routes.post(SiteURL.route(SiteURL.myApplication) + ["withdraw"], use: withdraw)
    }

    struct ApplyPage: Encodable, Sendable {
        let heading: String
        let intro: String
        let charterVersion: String?
        let forms: [FormModel]
        let closed: Bool
    }

    private func applyPage(_ req: Request, values: [String: String], errors: FormErrors = .init(), summary: String? = nil) async throws -> ApplyPage {
        let t = req.t
        let chapters = try await Chapter.query(on: req.db).filter(\.$status == .active).sort(\.$name).all()
        let charter = try await CharterController.current(req.db)
        guard let charter, !chapters.isEmpty else {
            return ApplyPage(heading: t("apply.heading"), intro: t("apply.closed"), charterVersion: nil, forms: [], closed: true)
        }
        func error(_ field: String) -> String? { errors[field].map { t($0) } }
        let chosenChapter = values["chapter"] ?? ""
        let chosenProfession = values["profession"] ?? ""
        let form = FormModel(
            id: "apply", action: SiteURL.apply, submitLabel: t("apply.submit"),
            fields: [
                .init(name: "headline", label: t("profile.headline"), value: values["headline"] ?? "", error: error("headline"), hint: t("profile.headline_hint")),
                .init(name: "profession", label: t("profile.profession"), type: "select", value: chosenProfession, error: error("profession"),
                      options: [.init(value: "", label: t("form.choose"), selected: chosenProfession.isEmpty)]
                        + Profession.all.map { .init(value: $0, label: t("profession.\($0)"), selected: $0 == chosenProfession) }),
                .init(name: "city", label: t("profile.city"), value: values["city"] ?? "", error: error("city"), autocomplete: "address-level2"),
                .init(name: "chapter", label: t("apply.chapter"), type: "select", value: chosenChapter, error: error("chapter"),
                      options: [.init(value: "", label: t("form.choose"), selected: chosenChapter.isEmpty)]
                        + chapters.map { .init(value: $0.id?.uuidString ?? "", label: "\($0.name) (\($0.region))", selected: $0.id?.uuidString == chosenChapter) }),
                .init(name: "motivation", label: t("apply.motivation"), type: "textarea", value: values["motivation"] ?? "", error: error("motivation"), hint: t("apply.motivation_hint")),
                .init(name: "charter", label: t("apply.charter", String(charter.version)), type: "checkbox", value: values["charter"] ?? "", error: error("charter")),
            ],
            errorSummary: summary ?? (errors.isEmpty ? nil : t("form.has_errors"))
        )
        return ApplyPage(heading: t("apply.heading"), intro: t("apply.intro"), charterVersion: String(charter.version), forms: [form], closed: false)
    }

    /// Only a signed-in applicant with a verified address and no application yet may apply.
    private func applicant(_ req: Request) async throws -> (User, MembershipApplication?) {
        let user = try req.requireUser()
        let existing = try await MembershipApplication.query(on: req.db).filter(\.$user.$id == user.requireID()).first()
        return (user, existing)
    }

    @Sendable func form(req: Request) async throws -> Response {
        let (user, existing) = try await applicant(req)
        if existing != nil || user.role != .applicant { return req.redirect(to: SiteURL.myApplication) }
        return try await req.renderPage("apply", title: req.t("apply.heading"), applyPage(req, values: [:]))
    }

    @Sendable func submit(req: Request) async throws -> Response {
        let (user, existing) = try await applicant(req)
        guard user.role == .applicant else { return req.redirect(to: SiteURL.myApplication, redirectType: .normal) }
        let values = try await req.formValues()
        guard existing == nil else {
            return try await req.renderPage("apply", title: req.t("apply.heading"),
                                            applyPage(req, values: values, summary: req.t("apply.already")), status: .conflict)
        }
        guard let charter = try await CharterController.current(req.db) else { throw PageError.notFound }
        let chapterID = UUID(uuidString: values["chapter"] ?? "")
        let chapter = try await chapterID.asyncMap { try await Chapter.find($0, on: req.db) } ?? nil
        let headline = (values["headline"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let city = (values["city"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let profession = values["profession"] ?? ""
        let motivation = (values["motivation"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let problems = ApplicationRules.problems(headline: headline, city: city, profession: profession, motivation: motivation,
                                                 chapterKnown: chapter?.status == .active, charterAccepted: values["charter"] == "yes")
        var errors = FormErrors()
        for (field, key) in problems { errors.add(field, key) }
        if !user.isEmailVerified { errors.add("headline", "apply.verify_first") }
        guard errors.isEmpty, let chapter else {
            return try await req.renderPage("apply", title: req.t("apply.heading"), applyPage(req, values: values, errors: errors), status: .unprocessableEntity)
        }
        let now = req.now
        let candidate = MembershipApplication()
        candidate.$user.id = try user.requireID()
        candidate.$chapter.id = try chapter.requireID()
        candidate.headline = headline
        candidate.city = city
        candidate.profession = profession
        candidate.motivation = motivation
        candidate.$charter.id = try charter.requireID()
        candidate.status = .submitted
        candidate.createdAt = now
        candidate.updatedAt = now
        do {
            try await req.db.transaction { db in
                try await candidate.create(on: db)
                try await CharterController.recordAcceptance(user, charter, on: db, now: now)
                let admission = Admission(application: req.application, database: db, now: now)
                try await admission.record(candidate, from: nil, to: .submitted, actor: user, message: nil)
                // The chapter's ambassadors have a new application to review.
                let notifier = Notifier(application: req.application, database: db, now: now)
                for ambassadorship in try await Ambassadorship.query(on: db).filter(\.$chapter.$id == chapter.requireID()).with(\.$user).all() {
                    try await notifier.notify(ambassadorship.user, .init(kind: .applicationSubmitted, textKey: "notify.application_submitted",
                                                                         arguments: [user.name, chapter.name], link: SiteURL.reviewApplication(candidate.requireID()),
                                                                         subject: user.id))
                }
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Submitted twice at once: the first one stands.
            return req.redirect(to: SiteURL.myApplication, redirectType: .normal)
        }
        try await req.flash(.success, "flash.application_sent")
        return req.redirect(to: SiteURL.myApplication, redirectType: .normal)
    }

    struct MinePage: Encodable, Sendable {
        struct Event: Encodable, Sendable {
            let when: String
            let text: String
            let message: String?
        }
        let heading: String
        let hasApplication: Bool
        let status: String?
        let statusKey: String?
        let chapter: String?
        let decisionMessage: String?
        let history: [Event]
        let canWithdraw: Bool
        let isMember: Bool
    }

    static func history(_ req: Request, _ candidate: MembershipApplication) async throws -> [MinePage.Event] {
        let t = req.t
        return try await ApplicationEvent.query(on: req.db).filter(\.$application.$id == candidate.requireID())
            .sort(\.$createdAt).with(\.$actor).all().map { event in
                MinePage.Event(when: DateFormatting.dateTime(event.createdAt, req.locale),
                               text: t("application.event", t("application.status.\(event.toStatus.rawValue)"), event.actor?.name ?? t("application.someone")),
                               message: event.message)
            }
    }

    @Sendable func mine(req: Request) async throws -> Response {
        let (user, existing) = try await applicant(req)
        let t = req.t
        guard let candidate = existing else {
            if user.role == .applicant { return req.redirect(to: SiteURL.apply) }
            return try await req.renderPage("my-application", title: t("application.heading"), MinePage(
                heading: t("application.heading"), hasApplication: false, status: nil, statusKey: nil, chapter: nil, decisionMessage: nil,
                history: [], canWithdraw: false, isMember: user.role == .member))
        }
        let chapter = try await Chapter.find(candidate.$chapter.id, on: req.db)
        return try await req.renderPage("my-application", title: t("application.heading"), MinePage(
            heading: t("application.heading"), hasApplication: true,
            status: t("application.status.\(candidate.status.rawValue)"), statusKey: candidate.status.rawValue,
            chapter: chapter?.name, decisionMessage: candidate.decisionMessage,
            history: try await Self.history(req, candidate),
            canWithdraw: ApplicationRules.canMove(from: candidate.status, to: .withdrawn, by: .applicant),
            isMember: user.role == .member))
    }

    @Sendable func withdraw(req: Request) async throws -> Response {
        let (user, existing) = try await applicant(req)
        guard let candidate = existing, ApplicationRules.canMove(from: candidate.status, to: .withdrawn, by: .applicant) else {
            throw PageError.forbidden
        }
        try await req.db.transaction { db in
            try await Admission(application: req.application, database: db, now: req.now).decide(candidate, to: .withdrawn, by: user, message: nil)
        }
        try await req.flash(.info, "flash.application_withdrawn")
        return req.redirect(to: SiteURL.myApplication, redirectType: .normal)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
