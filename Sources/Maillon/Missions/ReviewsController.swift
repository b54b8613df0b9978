import Fluent
import Vapor

/// Reviews after a completed mission: each side writes its own within 14 days, sees the other's once
/// both have written (or the window closes), and may reply once to a review about it.
struct ReviewsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.missions) + [":id", "reviews"], use: show)
        routes.post(SiteURL.route(SiteURL.missions) + [":id", "reviews"], use: write)
        routes.post(SiteURL.route(SiteURL.missions) + [":id", "reviews", ":review", "reply"], use: reply)
    }

    struct Page: Encodable, Sendable {
        struct Shown: Encodable, Sendable {
            let about: String
            let author: String
            let rating: String
            let paragraphs: [String]
            let reply: String?
            let replyURL: String?
        }

        let heading: String
        let missionURL: String
        let intro: String
        let forms: [FormModel]
        let reviews: [Shown]
        let waiting: String?
    }

    /// The completed mission and how the reader took part: its organisation's contact, or one of its freelancers.
    private func context(_ req: Request) async throws -> (Mission, completedAt: Date, isOrganisation: Bool, freelancers: [User]) {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self), let mission = try await Mission.find(id, on: req.db) else { throw PageError.notFound }
        let reviewing = Reviewing(database: req.db, now: req.now)
        let freelancers = try await reviewing.freelancers(of: mission)
        let isOrganisation = AccessPolicy.allows(req.principal, .manageOrganisation(mission.$organisation.id))
        guard isOrganisation || freelancers.contains(where: { $0.id == user.id }) else { throw PageError.notFound }
        guard let completedAt = try await reviewing.completedAt(mission) else { throw PageError.notFound }
        return (mission, completedAt, isOrganisation, freelancers)
    }

    private func render(_ req: Request, values: [String: String] = [:], errors: FormErrors = .init(), status: HTTPStatus = .ok) async throws -> Response {
        let (mission, completedAt, isOrganisation, freelancers) = try await context(req)
        let t = req.t
        let id = try mission.requireID()
        let me = try req.requireUser().requireID()
        let reviewing = Reviewing(database: req.db, now: req.now)
        let all = try await MissionReview.query(on: req.db).filter(\.$mission.$id == id).with(\.$author).with(\.$freelancer).all()
        let open = ReviewRules.isOpen(completedAt: completedAt, now: req.now)
        let organisation = try await mission.$organisation.get(on: req.db)
        func stars(_ rating: Int) -> String { t("review.rating_value", String(rating)) }
        // What the reader still owes, while the window is open.
        var forms: [FormModel] = []
        if open {
            let owed: [(String, String)] = isOrganisation
                ? freelancers.filter { person in !all.contains { $0.direction == .ofFreelancer && $0.$freelancer.id == person.id } }
                    .map { ($0.id?.uuidString ?? "", t("review.of", $0.name)) }
                : (all.contains { $0.direction == .ofOrganisation && $0.$freelancer.id == me } ? [] : [("", t("review.of", organisation.name))])
            for (subject, heading) in owed {
                let prefix = subject.isEmpty ? "" : "\(subject)-"
                forms.append(FormModel(id: "review-\(subject.isEmpty ? "organisation" : subject)", action: "\(SiteURL.mission(id))/reviews", submitLabel: heading, fields: [
                    .init(name: "rating", label: t("review.rating"), type: "select", value: values[prefix + "rating"] ?? "5", error: errors["rating"].map { t($0) },
                          options: (1...5).reversed().map { .init(value: String($0), label: stars($0), selected: String($0) == (values["rating"] ?? "5")) }),
                    .init(name: "text", label: t("review.text"), type: "textarea", value: values["text"] ?? "", error: errors["text"].map { t($0) }),
                ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"), hidden: subject.isEmpty ? [] : [.init(name: "freelancer", value: subject)]))
            }
        }
        let shown = all.filter { reviewing.isPublished($0, among: all, completedAt: completedAt) }.map { review -> Page.Shown in
            let aboutMe = review.direction == .ofFreelancer ? review.$freelancer.id == me : isOrganisation
            return Page.Shown(
                about: review.direction == .ofFreelancer ? (review.freelancer?.name ?? t("person.former_member")) : organisation.name,
                author: review.author?.name ?? t("person.former_member"), rating: stars(review.rating),
                paragraphs: review.text.components(separatedBy: "\n").filter { !$0.isEmpty }, reply: review.reply,
                replyURL: aboutMe && review.reply == nil ? "\(SiteURL.mission(id))/reviews/\(review.id?.uuidString ?? "")/reply" : nil)
        }
        let hidden = all.count - shown.count
        return try await req.renderPage("mission-reviews", title: t("review.heading", mission.title), Page(
            heading: t("review.heading", mission.title), missionURL: SiteURL.mission(id),
            intro: t(open ? "review.intro_open" : "review.intro_closed", DateFormatting.date(completedAt.addingTimeInterval(ReviewRules.window), req.locale)),
            forms: forms, reviews: shown, waiting: hidden > 0 ? t.count("review.waiting", hidden) : nil), status: status)
    }

    @Sendable func show(req: Request) async throws -> Response { try await render(req) }

    @Sendable func write(req: Request) async throws -> Response {
        let (mission, completedAt, isOrganisation, freelancers) = try await context(req)
        let user = try req.requireUser()
        let values = try await req.formValues()
        var form = FormReader(values)
        let rating = form.number("rating", 1...5, required: true, invalid: "field.invalid_choice")
        let text = form.text("text", max: 2000, required: true)
        guard ReviewRules.isOpen(completedAt: completedAt, now: req.now) else { throw PageError.forbidden }
        let freelancer: UUID?
        if isOrganisation {
            guard let id = UUID(uuidString: values["freelancer"] ?? ""), freelancers.contains(where: { $0.id == id }) else { throw Abort(.badRequest) }
            freelancer = id
        } else {
            freelancer = user.id
        }
        guard form.errors.isEmpty, let rating else { return try await render(req, values: values, errors: form.errors, status: .unprocessableEntity) }
        let review = MissionReview()
        review.$mission.id = try mission.requireID()
        review.direction = isOrganisation ? .ofFreelancer : .ofOrganisation
        review.$freelancer.id = freelancer
        review.$organisation.id = mission.$organisation.id
        review.$author.id = user.id
        review.rating = rating
        review.text = text
        review.createdAt = req.now
        do {
            try await review.create(on: req.db)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Written already (twice at once, or a second tab): the first stands.
        }
        try await req.flash(.success, "review.flash.written")
        return req.redirect(to: "\(SiteURL.mission(try mission.requireID()))/reviews", redirectType: .normal)
    }

    @Sendable func reply(req: Request) async throws -> Response {
        let (mission, completedAt, isOrganisation, _) = try await context(req)
        let me = try req.requireUser().requireID()
        guard let reviewID = req.parameters.get("review", as: UUID.self), let review = try await MissionReview.find(reviewID, on: req.db),
              review.$mission.id == mission.id else { throw PageError.notFound }
        let aboutMe = review.direction == .ofFreelancer ? review.$freelancer.id == me : isOrganisation
        let all = try await MissionReview.query(on: req.db).filter(\.$mission.$id == mission.requireID()).all()
        guard aboutMe, review.reply == nil, Reviewing(database: req.db, now: req.now).isPublished(review, among: all, completedAt: completedAt) else {
            throw PageError.forbidden
        }
        var form = FormReader(try await req.formValues())
        let text = form.text("reply", max: 1000, required: true)
        guard form.errors.isEmpty else { return try await render(req, errors: form.errors, status: .unprocessableEntity) }
        // One reply, once: a conditional update, so two at once keep the first.
        try await MissionReview.query(on: req.db).filter(\.$id == reviewID).filter(\.$reply == nil).set(\.$reply, to: text).update()
        try await req.flash(.success, "review.flash.replied")
        return req.redirect(to: "\(SiteURL.mission(try mission.requireID()))/reviews", redirectType: .normal)
    }
}
