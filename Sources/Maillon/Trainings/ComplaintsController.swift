import Fluent
import Vapor

/// Complaints: a form anyone can reach (footer, every training page); the admins' desk with each
/// complaint's steps, and the improvement actions.
struct ComplaintsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.newComplaint), use: newForm)
        routes.post(SiteURL.route(SiteURL.newComplaint), use: create)
        routes.get(SiteURL.route(SiteURL.adminComplaints), use: desk)
        routes.get(SiteURL.route(SiteURL.adminComplaints) + [":id"], use: show)
        routes.post(SiteURL.route(SiteURL.adminComplaints) + [":id", "move"], use: move)
        routes.post(SiteURL.route(SiteURL.adminImprovements), use: openImprovement)
        routes.post(SiteURL.route(SiteURL.adminImprovements) + [":id", "done"], use: improvementDone)
    }

    // MARK: The form

    private func formPage(_ req: Request, values: [String: String], errors: FormErrors, summary: String? = nil) async throws -> FormPage {
        let t = req.t
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        let trainings = try await Training.query(on: req.db).filter(\.$status == .published).sort(\.$title).all()
        let chosen = values["training"] ?? ""
        let form = FormModel(id: "complaint", action: SiteURL.newComplaint, submitLabel: t("complaint.submit"), fields: [
            .init(name: "name", label: t("complaint.field.name"), value: values["name"] ?? "", error: error("name"), autocomplete: "name"),
            .init(name: "email", label: t("field.email"), type: "email", value: values["email"] ?? "", error: error("email"), autocomplete: "email"),
            .init(name: "training", label: t("complaint.field.training"), type: "select", value: chosen, error: error("training"), required: false,
                  options: [.init(value: "", label: t("complaint.training.none"), selected: chosen.isEmpty)]
                    + trainings.map { .init(value: $0.slug, label: $0.title, selected: $0.slug == chosen) }),
            .init(name: "body", label: t("complaint.field.body"), type: "textarea", value: values["body"] ?? "", error: error("body"), hint: t("complaint.field.body_hint")),
        ], errorSummary: summary ?? (errors.isEmpty ? nil : t("form.has_errors")))
        return FormPage(heading: t("complaint.heading"), intro: t("complaint.intro"), forms: [form])
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        var values: [String: String] = [:]
        if let user = req.currentUser { values = ["name": user.name, "email": user.email] }
        if let slug = req.queryText("training", max: 80), Slug.isWellFormed(slug) { values["training"] = slug }
        return try await req.renderPage("form-page", title: req.t("complaint.heading"), formPage(req, values: values, errors: .init()))
    }

    @Sendable func create(req: Request) async throws -> Response {
        let values = try await req.formValues()
        guard try await Throttle(database: req.db, now: req.now).attempt(Throttle.ipKey("complaint", ip: req.clientIP), req.maillon.throttling.signUpPerIP) else {
            return try await req.renderPage("form-page", title: req.t("complaint.heading"),
                                            formPage(req, values: values, errors: .init(), summary: req.t("throttle.too_many")), status: .tooManyRequests)
        }
        var form = FormReader(values)
        let name = form.text("name", max: 120, required: true)
        let email = EmailAddress.normalise(form.raw("email"))
        if !EmailAddress.isPlausible(email) { form.errors.add("email", "email.invalid") }
        let body = form.text("body", max: 5000, required: true)
        var trainingID: UUID?
        let slug = form.raw("training")
        if !slug.isEmpty {
            if Slug.isWellFormed(slug), let training = try await Training.query(on: req.db).filter(\.$slug == slug).filter(\.$status == .published).first() {
                trainingID = training.id
            } else {
                form.errors.add("training", "field.invalid_choice")
            }
        }
        guard form.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("complaint.heading"), formPage(req, values: values, errors: form.errors),
                                            status: .unprocessableEntity)
        }
        let about = trainingID
        let complaint = try await req.db.transaction { db in
            try await ComplaintDesk(application: req.application, database: db, now: req.now)
                .receive(name: name, email: email, trainingID: about, body: body, user: req.currentUser, locale: req.locale)
        }
        let t = req.t
        let page = MessagePage(heading: t("complaint.received_heading"), paragraphs: [t("complaint.received", complaint.reference)])
        return try await req.renderPage("message", title: page.heading, page)
    }

    // MARK: The desk (admins)

    struct DeskPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let reference: String
            let url: String
            let received: String
            let name: String
            let status: String
        }

        struct Improvement: Encodable, Sendable {
            let title: String
            let description: String
            let origin: String?
            let status: String
            let doneURL: String?
        }

        let heading: String
        let rows: [Row]
        let improvements: [Improvement]
        /// One form (the partial loops over forms).
        let improvementForms: [FormModel]
        let pagination: Pagination
    }

    static func improvementForm(_ t: Translator, complaint: UUID?) -> FormModel {
        FormModel(id: "improvement", action: SiteURL.adminImprovements, submitLabel: t("improvement.open"), fields: [
            .init(name: "title", label: t("improvement.field.title")),
            .init(name: "description", label: t("improvement.field.description"), type: "textarea"),
        ], hidden: complaint.map { [.init(name: "complaint", value: $0.uuidString)] } ?? [])
    }

    @Sendable func desk(req: Request) async throws -> Response {
        try req.authorize(.handleComplaints)
        let t = req.t
        let page = Pagination.requestedPage(req)
        let total = try await Complaint.query(on: req.db).count()
        let pagination = try Pagination(page: page, per: Pagination.perPage, total: total, path: SiteURL.adminComplaints, t: t)
        let complaints = try await Complaint.query(on: req.db).sort(\.$receivedAt, .descending)
            .range((page - 1) * Pagination.perPage..<page * Pagination.perPage).all()
        let improvements = try await ImprovementAction.query(on: req.db).sort(\.$createdAt, .descending).limit(200).all()
        let references = Dictionary(try await Complaint.query(on: req.db).filter(\.$id ~~ improvements.compactMap(\.$complaint.id)).all()
            .map { ($0.id ?? UUID(), $0.reference) }, uniquingKeysWith: { a, _ in a })
        let model = DeskPage(
            heading: t("complaint.desk_heading"),
            rows: complaints.map { .init(reference: $0.reference, url: SiteURL.adminComplaint($0.id ?? UUID()), received: DateFormatting.date($0.receivedAt, req.locale),
                                         name: $0.name, status: t("complaint.status.\($0.status.rawValue)")) },
            improvements: improvements.map { action in
                .init(title: action.title, description: action.description, origin: action.$complaint.id.flatMap { references[$0] },
                      status: t("improvement.status.\(action.status.rawValue)"),
                      doneURL: action.status == .open ? SiteURL.adminImprovementDone(action.id ?? UUID()) : nil)
            },
            improvementForms: [Self.improvementForm(t, complaint: nil)],
            pagination: pagination)
        return try await req.renderPage("admin-complaints", title: model.heading, model)
    }

    struct ComplaintPage: Encodable, Sendable {
        typealias Fact = LabelledValue

        let heading: String
        let facts: [Fact]
        let body: [String]
        let answer: [String]
        /// The next step's form, if any, and the improvement form (lists: the partial loops over forms).
        let stepForms: [FormModel]
        let improvementForms: [FormModel]
        let error: String?
    }

    private func complaint(_ req: Request) async throws -> Complaint {
        try req.authorize(.handleComplaints)
        guard let id = req.parameters.get("id", as: UUID.self), let complaint = try await Complaint.find(id, on: req.db) else { throw PageError.notFound }
        return complaint
    }

    private func page(_ req: Request, _ complaint: Complaint, values: [String: String] = [:], error: String? = nil) async throws -> ComplaintPage {
        let t = req.t
        let id = try complaint.requireID()
        let admins = try await User.query(on: req.db).filter(\.$role == .admin).sort(\.$name).all()
        let owner = admins.first { $0.id == complaint.$owner.id }?.name
        var training: String?
        if let trainingID = complaint.$training.id { training = try await Training.find(trainingID, on: req.db)?.title }
        func date(_ value: Date?) -> String { value.map { DateFormatting.dateTime($0, req.locale) } ?? "—" }
        var facts: [ComplaintPage.Fact] = [
            .init(label: t("complaint.field.name"), value: complaint.name), .init(label: t("field.email"), value: complaint.email),
            .init(label: t("complaint.field.training"), value: training ?? t("complaint.training.none")),
            .init(label: t("complaint.status"), value: t("complaint.status.\(complaint.status.rawValue)")),
            .init(label: t("complaint.owner"), value: owner ?? "—"),
        ]
        for (status, value) in [(Complaint.Status.received, complaint.receivedAt as Date?), (.analysed, complaint.analysedAt), (.answered, complaint.answeredAt),
                                (.closed, complaint.closedAt)] {
            facts.append(.init(label: t("complaint.dated.\(status.rawValue)"), value: date(value)))
        }
        var stepForm: FormModel?
        if let next = ComplaintRules.next(after: complaint.status) {
            let chosenOwner = values["owner"] ?? complaint.$owner.id?.uuidString ?? req.currentUser?.id?.uuidString ?? ""
            var fields: [FormModel.Field] = [
                .init(name: "owner", label: t("complaint.owner"), type: "select", value: chosenOwner,
                      options: admins.map { .init(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == chosenOwner) }),
            ]
            if next == .answered {
                fields.append(.init(name: "answer", label: t("complaint.field.answer"), type: "textarea", value: values["answer"] ?? "",
                                    hint: t("complaint.field.answer_hint")))
            }
            stepForm = FormModel(id: "step", action: SiteURL.adminComplaintMove(id), submitLabel: t("complaint.move.\(next.rawValue)"), fields: fields,
                                 hidden: [.init(name: "from", value: complaint.status.rawValue)])
        }
        return ComplaintPage(heading: t("complaint.page_heading", complaint.reference), facts: facts, body: TrainingContent.lines(complaint.body),
                             answer: TrainingContent.lines(complaint.answer ?? ""), stepForms: stepForm.map { [$0] } ?? [],
                             improvementForms: [Self.improvementForm(t, complaint: id)], error: error)
    }

    @Sendable func show(req: Request) async throws -> Response {
        let complaint = try await complaint(req)
        let model = try await page(req, complaint)
        return try await req.renderPage("admin-complaint", title: model.heading, model)
    }

    @Sendable func move(req: Request) async throws -> Response {
        let complaint = try await complaint(req)
        let values = try await req.formValues()
        guard let from = Complaint.Status(rawValue: values["from"] ?? "") else { throw PageError.notFound }
        let answer = (values["answer"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let owner = UUID(uuidString: values["owner"] ?? "")
        let admins = Set(try await User.query(on: req.db).filter(\.$role == .admin).all(\.$id))
        do {
            guard answer.scalarLength <= 5000 else { throw ComplaintDesk.Refusal.answerNeeded }
            try await req.db.transaction { db in
                try await ComplaintDesk(application: req.application, database: db, now: req.now)
                    .move(complaint.requireID(), from: from, answer: answer, owner: owner.flatMap { admins.contains($0) ? $0 : nil })
            }
        } catch let refusal as ComplaintDesk.Refusal {
            let key = refusal == .answerNeeded ? "complaint.answer_needed" : "complaint.already_moved"
            let fresh = try await Complaint.find(complaint.requireID(), on: req.db) ?? complaint
            let model = try await page(req, fresh, values: values, error: req.t(key))
            return try await req.renderPage("admin-complaint", title: model.heading, model, status: refusal == .answerNeeded ? .unprocessableEntity : .conflict)
        }
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.adminComplaint(try complaint.requireID()), redirectType: .normal)
    }

    @Sendable func openImprovement(req: Request) async throws -> Response {
        try req.authorize(.handleComplaints)
        let values = try await req.formValues()
        var form = FormReader(values)
        let title = form.text("title", max: 200, required: true)
        let description = form.text("description", max: 5000, required: true)
        let complaintID = UUID(uuidString: form.raw("complaint"))
        var complaint: Complaint?
        if let complaintID { complaint = try await Complaint.find(complaintID, on: req.db) }
        let back = complaint.map { SiteURL.adminComplaint($0.id ?? UUID()) } ?? SiteURL.adminComplaints
        guard form.errors.isEmpty else {
            try await req.flash(.error, "improvement.needs_title")
            return req.redirect(to: back, redirectType: .normal)
        }
        let action = ImprovementAction()
        action.$complaint.id = complaint?.id
        action.title = title
        action.description = description
        action.status = .open
        action.createdAt = req.now
        try await action.create(on: req.db)
        try await req.flash(.success, "improvement.flash.opened")
        return req.redirect(to: back, redirectType: .normal)
    }

    @Sendable func improvementDone(req: Request) async throws -> Response {
        try req.authorize(.handleComplaints)
        guard let id = req.parameters.get("id", as: UUID.self) else { throw PageError.notFound }
        try await ImprovementAction.query(on: req.db).filter(\.$id == id).filter(\.$status == .open)
            .set(\.$status, to: .done).set(\.$doneAt, to: req.now).update()
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.adminComplaints, redirectType: .normal)
    }
}
