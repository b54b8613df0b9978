import Fluent
import SQLKit
import Vapor

/// Answering a session's survey (`/trainings/sessions/<id>/survey/<kind>`): only someone asked,
/// once. The answer is stored apart from who gave it.
struct SurveysController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "survey", ":kind"], use: form)
        routes.post(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "survey", ":kind"], use: answer)
    }

    /// The reader's unanswered request for this session and kind.
    private func request(_ req: Request) async throws -> (SurveyRequest, Training) {
        let user = try req.requireUser()
        guard let sessionID = req.parameters.get("session", as: UUID.self), let kind = req.parameters.get("kind").flatMap(SurveyRequest.Kind.init(rawValue:)),
              let request = try await SurveyRequest.query(on: req.db).filter(\.$session.$id == sessionID).filter(\.$kind == kind)
                .filter(\.$user.$id == user.requireID()).first(),
              let session = try await TrainingSession.find(sessionID, on: req.db), let training = try await Training.find(session.$training.id, on: req.db)
        else { throw PageError.notFound }
        return (request, training)
    }

    private func page(_ req: Request, _ request: SurveyRequest, _ training: Training, values: [String: String], errors: FormErrors) -> FormPage {
        let t = req.t
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        func scale(_ name: String) -> FormModel.Field {
            let chosen = values[name] ?? ""
            return .init(name: name, label: t("survey.field.\(name).\(request.kind.rawValue)"), type: "select", value: chosen, error: error(name),
                         options: [.init(value: "", label: t("survey.choose"), selected: chosen.isEmpty)]
                            + (1...5).reversed().map { .init(value: String($0), label: t("survey.scale.\($0)"), selected: String($0) == chosen) })
        }
        var fields = [scale("satisfaction")]
        if request.kind != .trainer { fields.append(scale("objectives_met")) }
        if request.kind == .hot {
            let chosen = values["recommends"] ?? ""
            fields.append(.init(name: "recommends", label: t("survey.field.recommends"), type: "select", value: chosen, error: error("recommends"),
                                options: [("", t("survey.choose")), ("yes", t("survey.yes")), ("no", t("survey.no"))]
                                    .map { .init(value: $0.0, label: $0.1, selected: $0.0 == chosen) }))
        }
        if request.kind == .cold { fields.append(scale("applied")) }
        fields.append(.init(name: "comment", label: t("survey.field.comment"), type: "textarea", value: values["comment"] ?? "", error: error("comment"),
                            hint: t("survey.field.comment_hint"), required: false))
        let form = FormModel(id: "survey", action: SiteURL.trainingSurvey(request.$session.id, request.kind), submitLabel: t("survey.submit"), fields: fields,
                             errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        return FormPage(heading: t("survey.heading.\(request.kind.rawValue)", training.title), intro: t("survey.intro"), forms: [form])
    }

    private func answered(_ req: Request) async throws -> Response {
        let page = MessagePage(heading: req.t("survey.thanks_heading"), paragraphs: [req.t("survey.thanks")])
        return try await req.renderPage("message", title: page.heading, page)
    }

    @Sendable func form(req: Request) async throws -> Response {
        let (request, training) = try await request(req)
        guard request.answeredAt == nil else { return try await answered(req) }
        return try await req.renderPage("form-page", title: req.t("survey.heading.\(request.kind.rawValue)", training.title),
                                        page(req, request, training, values: [:], errors: .init()))
    }

    @Sendable func answer(req: Request) async throws -> Response {
        let (request, training) = try await request(req)
        guard request.answeredAt == nil else { return try await answered(req) }
        let values = try await req.formValues()
        let input = SurveyInput(values: values, kind: request.kind)
        guard input.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("survey.heading.\(request.kind.rawValue)", training.title),
                                            page(req, request, training, values: values, errors: input.errors), status: .unprocessableEntity)
        }
        let now = req.now
        try await req.db.transaction { db in
            // Answered once, even when sent twice at once: the request is claimed first.
            let claimed = try await (db as! any SQLDatabase).update(SurveyRequest.schema).set("answered_at", to: now)
                .where("id", .equal, request.requireID()).where("answered_at", .is, SQLLiteral.null).returning("id").first()
            guard claimed != nil else { return }
            let response = SurveyResponse()
            response.$session.id = request.$session.id
            response.kind = request.kind
            response.satisfaction = input.satisfaction
            response.objectivesMet = input.objectivesMet
            response.recommends = input.recommends
            response.applied = input.applied
            response.comment = input.comment
            response.createdAt = now
            try await response.create(on: db)
        }
        return try await answered(req)
    }
}
