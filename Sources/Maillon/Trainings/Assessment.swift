import Fluent
import Foundation
import Vapor

/// Where a trainee stands on one objective of their session, as the trainer assessed it: at entry
/// (positioning) and at the end (Qualiopi indicator 11). The objective's text is kept as the session's
/// programme version said it.
public final class ObjectiveAssessment: Model, @unchecked Sendable {
    public static let schema = "training_assessments"

    public enum Result: String, Codable, Sendable, CaseIterable { case acquired, inProgress = "in_progress", notAcquired = "not_acquired" }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "enrolment_id") public var enrolment: Enrolment
    @Field(key: "objective_index") public var objectiveIndex: Int
    @Field(key: "objective") public var objective: String
    @OptionalField(key: "entry") public var entry: Result?
    @OptionalField(key: "result") public var result: Result?
    @OptionalParent(key: "assessed_by_id") public var assessedBy: User?
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}
}

/// The objectives a session runs with (its programme version's), in order.
enum SessionObjectives {
    static func of(_ session: TrainingSession, on db: any Database) async throws -> [String] {
        if let version = try await TrainingVersion.query(on: db).filter(\.$training.$id == session.$training.id)
            .filter(\.$number == session.trainingVersion).first() {
            return try version.decoded().objectiveList
        }
        return try await Training.find(session.$training.id, on: db)?.content.objectiveList ?? []
    }
}

/// The trainer's assessment grid (`/trainings/sessions/<id>/assessment`): one form per trainee, a
/// select per objective for the entry and the end.
struct AssessmentController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "assessment"], use: grid)
        routes.post(SiteURL.route(SiteURL.trainings) + ["sessions", ":session", "assessment", ":enrolment"], use: save)
    }

    struct GridPage: Encodable, Sendable {
        let heading: String
        let intro: String
        let sessionURL: String
        let forms: [FormModel]
    }

    private func run(_ req: Request) async throws -> (TrainingSession, Training) {
        let (session, training, _) = try await req.runnableSession()
        return (session, training)
    }

    @Sendable func grid(req: Request) async throws -> Response {
        let (session, training) = try await run(req)
        let t = req.t
        let id = try session.requireID()
        let objectives = try await SessionObjectives.of(session, on: req.db)
        let enrolments = try await session.confirmedEnrolments(on: req.db)
        let names = Dictionary(try await User.query(on: req.db).filter(\.$id ~~ enrolments.compactMap(\.$user.id)).all().map { ($0.id ?? UUID(), $0.name) },
                               uniquingKeysWith: { a, _ in a })
        let assessments = try await ObjectiveAssessment.query(on: req.db).filter(\.$enrolment.$id ~~ enrolments.compactMap(\.id)).all()
        let forms = enrolments.map { enrolment -> FormModel in
            let name = enrolment.$user.id.flatMap { names[$0] } ?? t("person.former_member")
            var fields: [FormModel.Field] = []
            for (index, objective) in objectives.enumerated() {
                let saved = assessments.first { $0.$enrolment.id == enrolment.id && $0.objectiveIndex == index }
                for (key, value) in [("entry", saved?.entry), ("result", saved?.result)] {
                    let chosen = value?.rawValue ?? ""
                    fields.append(.init(name: "\(key)\(index)", label: t("assessment.\(key)", objective, name), type: "select", value: chosen, required: false,
                                        options: [.init(value: "", label: t("assessment.unset"), selected: chosen.isEmpty)]
                                            + ObjectiveAssessment.Result.allCases.map { .init(value: $0.rawValue, label: t("assessment.result.\($0.rawValue)"), selected: $0.rawValue == chosen) }))
                }
            }
            return FormModel(id: "assessment-\(enrolment.id?.uuidString ?? "")", action: SiteURL.trainingAssessment(id, enrolment.id ?? UUID()),
                             submitLabel: t("assessment.save_for", name), fields: fields)
        }
        return try await req.renderPage("form-page", title: t("assessment.heading", training.title),
                                        FormPage(heading: t("assessment.heading", training.title), intro: t("assessment.intro"), forms: forms,
                                                 links: [.init(url: SiteURL.trainingSession(id), label: t("trainees.back"))]))
    }

    @Sendable func save(req: Request) async throws -> Response {
        let (session, _) = try await run(req)
        let trainer = try req.requireUser()
        let id = try session.requireID()
        guard let enrolmentID = req.parameters.get("enrolment", as: UUID.self), let enrolment = try await Enrolment.find(enrolmentID, on: req.db),
              enrolment.$session.id == id else { throw PageError.notFound }
        let values = try await req.formValues()
        let objectives = try await SessionObjectives.of(session, on: req.db)
        let now = req.now
        try await req.db.transaction { db in
            for (index, objective) in objectives.enumerated() {
                let entry = ObjectiveAssessment.Result(rawValue: values["entry\(index)"] ?? "")
                let result = ObjectiveAssessment.Result(rawValue: values["result\(index)"] ?? "")
                let row = try await ObjectiveAssessment.query(on: db).filter(\.$enrolment.$id == enrolmentID).filter(\.$objectiveIndex == index).first()
                    ?? ObjectiveAssessment()
                guard row.id != nil || entry != nil || result != nil else { continue }
                row.$enrolment.id = enrolmentID
                row.objectiveIndex = index
                row.objective = objective
                row.entry = entry
                row.result = result
                row.$assessedBy.id = trainer.id
                row.updatedAt = now
                try await row.save(on: db)
            }
        }
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.trainingAssessment(id), redirectType: .normal)
    }
}
