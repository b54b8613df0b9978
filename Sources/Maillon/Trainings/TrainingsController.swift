import Fluent
import Vapor

/// The training catalogue: public pages anyone can read (`/trainings`), and the admins' side
/// (`/admin/trainings`): write a programme, publish it once complete, read any past version.
struct TrainingsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.trainings), use: catalogue)
        routes.get(SiteURL.route(SiteURL.trainings) + [":slug"], use: show)
        routes.get(SiteURL.route(SiteURL.adminTrainings), use: admin)
        routes.get(SiteURL.route(SiteURL.newTraining), use: newForm)
        routes.post(SiteURL.route(SiteURL.newTraining), use: create)
        routes.get(SiteURL.route(SiteURL.adminTrainings) + [":id", "edit"], use: editForm)
        routes.post(SiteURL.route(SiteURL.adminTrainings) + [":id", "edit"], use: update)
        routes.get(SiteURL.route(SiteURL.adminTrainings) + [":id", "versions", ":number"], use: version)
    }

    // MARK: Public pages

    struct CataloguePage: Encodable, Sendable {
        struct Card: Encodable, Sendable {
            let title: String
            let url: String
            let facts: [String]
            let objectives: [String]
        }

        let heading: String
        let cards: [Card]
    }

    @Sendable func catalogue(req: Request) async throws -> Response {
        let t = req.t
        let trainings = try await Training.query(on: req.db).filter(\.$status == .published).sort(\.$title).all()
        let cards = trainings.map { training in
            let content = training.content
            return CataloguePage.Card(title: content.title, url: SiteURL.training(training.slug),
                                      facts: [ProgrammePage.duration(content, t), content.modality.map { t("training.modality.\($0.rawValue)") } ?? "",
                                              ProgrammePage.price(content.priceInter, t)].filter { !$0.isEmpty },
                                      objectives: Array(content.objectiveList.prefix(2)))
        }
        return try await req.renderPage("trainings", title: t("training.catalogue"), CataloguePage(heading: t("training.catalogue"), cards: cards))
    }

    @Sendable func show(req: Request) async throws -> Response {
        let slug = try req.slugParameter()
        guard let training = try await Training.query(on: req.db).filter(\.$slug == slug).first() else { throw PageError.notFound }
        let manages = AccessPolicy.allows(req.principal, .manageTrainings)
        // A draft does not exist for anyone but the admins.
        guard training.status == .published || manages else { throw PageError.notFound }
        var page = ProgrammePage(training.content, training: training, version: training.version, updatedAt: training.updatedAt,
                                 results: try await TrainingResults.compute(for: training, now: req.now, on: req.db), manages: manages, req: req)
        page.sessions = try await SessionLine.coming(training, req)
        if manages, training.status == .published { page.scheduleURL = SiteURL.newTrainingSession(try training.requireID()) }
        if manages { page.endedSessions = try await SessionLine.ended(training, req) }
        return try await req.renderPage("training", title: page.heading, page)
    }

    // MARK: The admins' side

    struct AdminPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let title: String
            let url: String
            let editURL: String
            let status: String
            let published: Bool
            let version: String
            let missing: String?
        }

        let heading: String
        let newURL: String
        let rows: [Row]
    }

    @Sendable func admin(req: Request) async throws -> Response {
        try req.authorize(.manageTrainings)
        let t = req.t
        let rows = try await Training.query(on: req.db).sort(\.$title).all().map { training in
            let missing = TrainingRules.missing(training.content)
            return AdminPage.Row(title: training.title, url: SiteURL.training(training.slug), editURL: SiteURL.trainingEdit(try training.requireID()),
                                 status: t("training.status.\(training.status.rawValue)"), published: training.status == .published,
                                 version: t("training.version_number", String(training.version)),
                                 missing: missing.isEmpty ? nil : t.count("training.missing_count", missing.count))
        }
        return try await req.renderPage("admin-trainings", title: t("training.admin_heading"),
                                        AdminPage(heading: t("training.admin_heading"), newURL: SiteURL.newTraining, rows: rows))
    }

    private func form(_ req: Request, heading: String, action: String, values: [String: String], errors: FormErrors,
                      versions: [TrainingVersion] = [], trainingID: UUID? = nil) -> FormPage {
        let t = req.t
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        func field(_ name: String, type: String = "text", hint: Bool = false, required: Bool = false, inputmode: String? = nil) -> FormModel.Field {
            .init(name: name, label: t("training.field.\(name)"), type: type, value: values[name] ?? "", error: error(name),
                  hint: hint ? t("training.field.\(name)_hint") : nil, required: required, inputmode: inputmode)
        }
        let modality = values["modality"] ?? ""
        let fields: [FormModel.Field] = [
            field("title", required: true), field("objectives", type: "textarea", hint: true), field("prerequisites", type: "textarea"),
            field("audience", type: "textarea"), field("hours", hint: true, inputmode: "numeric"), field("days", hint: true, inputmode: "decimal"),
            .init(name: "modality", label: t("training.field.modality"), type: "select", value: modality, error: error("modality"), required: false,
                  options: [.init(value: "", label: t("training.modality.unset"), selected: modality.isEmpty)]
                    + TrainingContent.Modality.allCases.map { .init(value: $0.rawValue, label: t("training.modality.\($0.rawValue)"), selected: $0.rawValue == modality) }),
            field("price_inter", hint: true, inputmode: "numeric"), field("price_intra", hint: true, inputmode: "numeric"), field("access_delay", hint: true),
            field("methods", type: "textarea"), field("evaluation", type: "textarea"), field("programme", type: "textarea", hint: true),
            field("accessibility", type: "textarea", hint: true), field("contacts", type: "textarea"),
            .init(name: "publish", label: t("training.field.publish"), type: "checkbox", value: values["publish"] ?? "", error: error("publish"),
                  hint: t("training.field.publish_hint"), required: false),
        ]
        let missing = TrainingRules.missing(TrainingInput(values: values).content).filter { errors[$0] == "training.required_to_publish" }
        let summary: String? = errors.isEmpty ? nil : missing.isEmpty ? t("form.has_errors")
            : t("training.cannot_publish", missing.map { t("training.field.\($0)") }.joined(separator: ", "))
        let formModel = FormModel(id: "training", action: action, submitLabel: t("training.save"), fields: fields, errorSummary: summary)
        var links = versions.sorted { $0.number > $1.number }.compactMap { version in
            trainingID.map { FormPage.Link(url: SiteURL.trainingVersion($0, version.number),
                                           label: t("training.version_line", String(version.number), DateFormatting.dateTime(version.createdAt, req.locale))) }
        }
        links.append(.init(url: SiteURL.adminTrainings, label: t("training.admin_heading")))
        return FormPage(heading: heading, intro: t("training.form_intro"), forms: [formModel], links: links)
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        try req.authorize(.manageTrainings)
        return try await req.renderPage("form-page", title: req.t("training.new"),
                                        form(req, heading: req.t("training.new"), action: SiteURL.newTraining, values: [:], errors: .init()))
    }

    @Sendable func create(req: Request) async throws -> Response {
        try req.authorize(.manageTrainings)
        let user = try req.requireUser()
        let values = try await req.formValues()
        let input = TrainingInput(values: values)
        guard input.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("training.new"),
                                            form(req, heading: req.t("training.new"), action: SiteURL.newTraining, values: values, errors: input.errors),
                                            status: .unprocessableEntity)
        }
        // Two trainings of the same title at the same moment: the second takes the next free slug.
        var attempt = 0
        while true {
            do {
                let training = try await req.db.transaction { db in try await TrainingCatalogue(database: db, now: req.now).create(input, by: user) }
                try await req.flash(.success, input.publish ? "training.flash.published" : "training.flash.draft")
                return req.redirect(to: SiteURL.trainingEdit(try training.requireID()), redirectType: .normal)
            } catch let error as any DatabaseError where error.isConstraintFailure && attempt < 3 {
                attempt += 1
            }
        }
    }

    private func training(_ req: Request) async throws -> Training {
        try req.authorize(.manageTrainings)
        guard let id = req.parameters.get("id", as: UUID.self), let training = try await Training.find(id, on: req.db) else { throw PageError.notFound }
        return training
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        let training = try await training(req)
        let id = try training.requireID()
        let versions = try await TrainingVersion.query(on: req.db).filter(\.$training.$id == id).all()
        return try await req.renderPage("form-page", title: training.title,
                                        form(req, heading: training.title, action: SiteURL.trainingEdit(id),
                                             values: TrainingInput.values(of: training.content, published: training.status == .published),
                                             errors: .init(), versions: versions, trainingID: id))
    }

    @Sendable func update(req: Request) async throws -> Response {
        let training = try await training(req)
        let id = try training.requireID()
        let user = try req.requireUser()
        let values = try await req.formValues()
        let input = TrainingInput(values: values)
        guard input.errors.isEmpty else {
            let versions = try await TrainingVersion.query(on: req.db).filter(\.$training.$id == id).all()
            return try await req.renderPage("form-page", title: training.title,
                                            form(req, heading: training.title, action: SiteURL.trainingEdit(id), values: values, errors: input.errors,
                                                 versions: versions, trainingID: id),
                                            status: .unprocessableEntity)
        }
        try await req.db.transaction { db in try await TrainingCatalogue(database: db, now: req.now).update(id, with: input, by: user) }
        try await req.flash(.success, input.publish ? "training.flash.published" : "training.flash.draft")
        return req.redirect(to: SiteURL.trainingEdit(id), redirectType: .normal)
    }

    /// A past version of the programme, as it read then (what a session ran with).
    @Sendable func version(req: Request) async throws -> Response {
        let training = try await training(req)
        guard let number = req.parameters.get("number", as: Int.self),
              let version = try await TrainingVersion.query(on: req.db).filter(\.$training.$id == training.requireID()).filter(\.$number == number).first()
        else { throw PageError.notFound }
        var page = ProgrammePage(try version.decoded(), training: training, version: number, updatedAt: version.createdAt, results: nil, manages: true, req: req)
        page.versionNotice = req.t("training.old_version", String(number), String(training.version))
        return try await req.renderPage("training", title: page.heading, page)
    }
}
