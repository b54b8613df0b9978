import Fluent
import Vapor

/// The results a programme shows (Qualiopi indicator 2): people trained, completion rate,
/// satisfaction — computed from the sessions that ended, never typed (`compute`, beside the surveys).
struct TrainingResults: Sendable, Equatable {
    var trained = 0
    /// Share of trainees who completed, 0…1; nil before any session ended.
    var completion: Double?
    /// Mean hot-survey satisfaction out of 5; nil before any answer.
    var satisfaction: Double?
}

/// A programme as visitors read it, from a content (the current one, or a past version's).
struct ProgrammePage: Encodable, Sendable {
    typealias Fact = LabelledValue

    let heading: String
    let draft: Bool
    let updated: String
    var versionNotice: String?
    let facts: [Fact]
    let objectives: [String]
    let sequences: [String]
    let methods: [String]
    let evaluation: [String]
    let accessibility: [String]
    let referent: String
    let contacts: [String]
    let results: [Fact]
    let resultsEmpty: Bool
    let showsResults: Bool
    let editURL: String?
    let complaintURL: String
    var sessions: [SessionLine] = []
    var endedSessions: [SessionLine] = []
    var scheduleURL: String? = nil

    init(_ content: TrainingContent, training: Training, version: Int, updatedAt: Date, results: TrainingResults?, manages: Bool, req: Request) {
        let t = req.t
        heading = content.title
        draft = training.status == .draft
        updated = t("training.updated", DateFormatting.date(updatedAt, req.locale), String(version))
        func paragraphs(_ text: String) -> [String] { TrainingContent.lines(text) }
        var facts: [Fact] = [
            .init(label: t("training.field.audience"), value: content.audience),
            .init(label: t("training.field.prerequisites"), value: content.prerequisites),
            .init(label: t("training.duration"), value: Self.duration(content, t)),
            .init(label: t("training.field.modality"), value: content.modality.map { t("training.modality.\($0.rawValue)") } ?? ""),
            .init(label: t("training.field.price_inter"), value: Self.price(content.priceInter, t)),
        ]
        if let intra = content.priceIntra { facts.append(.init(label: t("training.field.price_intra"), value: t("training.price_group", String(intra)))) }
        facts.append(.init(label: t("training.field.access_delay"), value: content.accessDelay))
        self.facts = facts.filter { !$0.value.isEmpty }
        objectives = content.objectiveList
        sequences = content.sequenceList
        methods = paragraphs(content.methods)
        evaluation = paragraphs(content.evaluation)
        accessibility = paragraphs(content.accessibility)
        let settings = req.maillon.settings
        if let name = settings.disabilityReferentName {
            referent = t("training.referent", name, settings.disabilityReferentContact ?? "")
        } else {
            referent = t("training.referent_unset")
        }
        contacts = paragraphs(content.contacts)
        showsResults = results != nil
        let results = results ?? TrainingResults()
        resultsEmpty = results.trained == 0
        self.results = Self.resultLines(results, t)
        editURL = manages ? training.id.map(SiteURL.trainingEdit) : nil
        complaintURL = SiteURL.newComplaint + "?training=" + training.slug
    }

    static func resultLines(_ results: TrainingResults, _ t: Translator) -> [Fact] {
        [
            .init(label: t("training.results.trained"), value: String(results.trained)),
            .init(label: t("training.results.completion"), value: results.completion.map { String(Int(($0 * 100).rounded())) + " %" } ?? "—"),
            .init(label: t("training.results.satisfaction"), value: results.satisfaction.map { t("training.results.out_of_five", DocumentsNumber.decimal($0, t.locale)) } ?? "—"),
        ]
    }

    /// "14 heures sur 2 jours" / "3 hours over half a day".
    static func duration(_ content: TrainingContent, _ t: Translator) -> String {
        guard let hours = content.hours else { return "" }
        let hoursText = t.count("training.hours", hours)
        guard let halfDays = content.halfDays else { return hoursText }
        let days = halfDays == 1 ? t("training.half_day") : halfDays % 2 == 0 ? t.count("training.days", halfDays / 2) : t("training.days_and_half", String(halfDays / 2))
        return t("training.duration_value", hoursText, days)
    }

    static func price(_ euros: Int?, _ t: Translator) -> String {
        guard let euros else { return "" }
        return euros == 0 ? t("training.free") : t("training.price_trainee", String(euros))
    }
}
