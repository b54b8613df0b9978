import Fluent
import Vapor

/// The review queue: admins see every chapter's applications, ambassadors their chapters' only.
struct ReviewController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.review), use: queue)
        routes.get(SiteURL.route(SiteURL.review) + [":id"], use: show)
        routes.post(SiteURL.route(SiteURL.review) + [":id"], use: decide)
    }

    struct QueuePage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let name: String
            let headline: String
            let chapter: String
            let status: String
            let submitted: String
            let url: String
        }
        let heading: String
        let filters: [FormModel]
        let rows: [Row]
        let pagination: Pagination
    }

    /// The chapters this reviewer may act on (nil: all of them, for admins).
    static func scope(_ req: Request) throws -> Set<UUID>? {
        try req.authorize(.reviewApplications)
        return req.principal?.role == .admin ? nil : req.principal?.ambassadorOf ?? []
    }

    @Sendable func queue(req: Request) async throws -> Response {
        let scope = try Self.scope(req)
        let t = req.t
        let status = MembershipApplication.Status(rawValue: req.query[String.self, at: "status"] ?? "")
        let chapterFilter = (req.query[String.self, at: "chapter"]).flatMap(UUID.init(uuidString:))
        var chapters = try await Chapter.query(on: req.db).sort(\.$name).all()
        if let scope { chapters = chapters.filter { scope.contains($0.id ?? UUID()) } }

        let query = MembershipApplication.query(on: req.db)
        if let scope { query.filter(\.$chapter.$id ~~ scope) }
        if let status { query.filter(\.$status == status) } else { query.filter(\.$status ~~ [.submitted, .inReview]) }
        if let chapterFilter { query.filter(\.$chapter.$id == chapterFilter) }
        let page = Pagination.requestedPage(req)
        let total = try await query.copy().count()
        let items = try await query.sort(\.$createdAt).sort(\.$id)
            .range(((page - 1) * Pagination.perPage)..<(page * Pagination.perPage))
            .with(\.$user).with(\.$chapter).all()
        let rows = items.map { item in
            QueuePage.Row(name: item.user.name, headline: item.headline, chapter: item.chapter.name,
                          status: t("application.status.\(item.status.rawValue)"), submitted: DateFormatting.date(item.createdAt, req.locale),
                          url: SiteURL.reviewApplication(item.id ?? UUID()))
        }
        let chosenStatus = status?.rawValue ?? ""
        let chosenChapter = chapterFilter?.uuidString ?? ""
        var filter = FormModel(id: "filters", action: SiteURL.review, submitLabel: t("review.filter"), fields: [
            .init(name: "status", label: t("review.status"), type: "select", value: chosenStatus, required: false,
                  options: [.init(value: "", label: t("review.open"), selected: chosenStatus.isEmpty)]
                    + MembershipApplication.Status.allCases.map { .init(value: $0.rawValue, label: t("application.status.\($0.rawValue)"), selected: $0.rawValue == chosenStatus) }),
            .init(name: "chapter", label: t("review.chapter"), type: "select", value: chosenChapter, required: false,
                  options: [.init(value: "", label: t("review.all_chapters"), selected: chosenChapter.isEmpty)]
                    + chapters.map { .init(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == chosenChapter) }),
        ])
        filter.method = "get"
        let path = chosenStatus.isEmpty && chosenChapter.isEmpty ? SiteURL.review : SiteURL.review + "?status=\(chosenStatus)&chapter=\(chosenChapter)"
        return try await req.renderPage("review-queue", title: t("review.heading"), QueuePage(
            heading: t("review.heading"), filters: [filter], rows: rows,
            pagination: try Pagination(page: page, per: Pagination.perPage, total: total, path: path, t: t)))
    }

    struct ShowPage: Encodable, Sendable {
        let heading: String
        let email: String
        let headline: String
        let profession: String
        let city: String
        let chapter: String
        let motivation: [String]
        let status: String
        let charterVersion: String
        let history: [ApplicationsController.MinePage.Event]
        let forms: [FormModel]
    }

    /// The application, if this reviewer may see it; otherwise exactly like one that does not exist.
    private func find(_ req: Request) async throws -> MembershipApplication {
        let scope = try Self.scope(req)
        guard let id = req.parameters.get("id", as: UUID.self),
              let candidate = try await MembershipApplication.query(on: req.db).filter(\.$id == id).with(\.$user).with(\.$chapter).with(\.$charter).first(),
              scope?.contains(candidate.$chapter.id) ?? true
        else { throw PageError.notFound }
        return candidate
    }

    private func page(_ req: Request, _ candidate: MembershipApplication, values: [String: String] = [:], errors: FormErrors = .init()) async throws -> ShowPage {
        let t = req.t
        let choices: [MembershipApplication.Status] = [.inReview, .accepted, .declined].filter {
            ApplicationRules.canMove(from: candidate.status, to: $0, by: .reviewer)
        }
        let chosen = values["decision"] ?? ""
        let forms = choices.isEmpty ? [] : [FormModel(
            id: "decision", action: SiteURL.reviewApplication(candidate.id ?? UUID()), submitLabel: t("review.decide"),
            fields: [
                .init(name: "decision", label: t("review.decision"), type: "select", value: chosen, error: errors["decision"].map { t($0) },
                      options: [.init(value: "", label: t("form.choose"), selected: chosen.isEmpty)]
                        + choices.map { .init(value: $0.rawValue, label: t("review.to.\($0.rawValue)"), selected: $0.rawValue == chosen) }),
                .init(name: "message", label: t("review.message"), type: "textarea", value: values["message"] ?? "", error: errors["message"].map { t($0) },
                      hint: t("review.message_hint"), required: false),
            ],
            errorSummary: errors.isEmpty ? nil : t("form.has_errors"))]
        return ShowPage(
            heading: candidate.user.name, email: candidate.user.email, headline: candidate.headline,
            profession: t("profession.\(candidate.profession)"), city: candidate.city, chapter: candidate.chapter.name,
            motivation: candidate.motivation.components(separatedBy: "\n").filter { !$0.isEmpty },
            status: t("application.status.\(candidate.status.rawValue)"), charterVersion: String(candidate.charter.version),
            history: try await ApplicationsController.history(req, candidate), forms: forms)
    }

    @Sendable func show(req: Request) async throws -> Response {
        let candidate = try await find(req)
        return try await req.renderPage("review-application", title: candidate.user.name, page(req, candidate))
    }

    @Sendable func decide(req: Request) async throws -> Response {
        let candidate = try await find(req)
        let values = try await req.formValues()
        let message = (values["message"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var errors = FormErrors()
        let target = MembershipApplication.Status(rawValue: values["decision"] ?? "")
        if target == nil || !ApplicationRules.canMove(from: candidate.status, to: target!, by: .reviewer) { errors.add("decision", "field.invalid_choice") }
        if message.scalarLength > 4000 { errors.add("message", "field.too_long") }
        guard errors.isEmpty, let target else {
            return try await req.renderPage("review-application", title: candidate.user.name, page(req, candidate, values: values, errors: errors), status: .unprocessableEntity)
        }
        do {
            try await req.db.transaction { db in
                try await Admission(application: req.application, database: db, now: req.now)
                    .decide(candidate, to: target, by: req.currentUser, message: message.isEmpty ? nil : message)
            }
        } catch is Admission.AlreadyDecided {
            try await req.flash(.error, "flash.already_decided")
            return req.redirect(to: SiteURL.reviewApplication(try candidate.requireID()), redirectType: .normal)
        }
        try await req.flash(.success, "flash.decision_saved")
        return req.redirect(to: SiteURL.review, redirectType: .normal)
    }
}
