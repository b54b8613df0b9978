import Fluent
import Foundation

/// A programme in the catalogue of the community's training organisation (organisme de formation).
/// Its content is `TrainingContent`; each save that changes it keeps a `TrainingVersion`, and a
/// session will record the version it ran with (Qualiopi indicators 1, 2, 5).
public final class Training: Model, @unchecked Sendable {
    public static let schema = "trainings"

    public enum Status: String, Codable, Sendable, CaseIterable { case draft, published }

    @ID(key: .id) public var id: UUID?
    @Field(key: "slug") public var slug: String
    @Field(key: "status") public var status: Status
    /// The number of the latest version.
    @Field(key: "version") public var version: Int
    @Field(key: "title") public var title: String
    @Field(key: "objectives") public var objectives: String
    @Field(key: "prerequisites") public var prerequisites: String
    @Field(key: "audience") public var audience: String
    @OptionalField(key: "hours") public var hours: Int?
    @OptionalField(key: "half_days") public var halfDays: Int?
    @Field(key: "modality") public var modality: String
    @OptionalField(key: "price_inter") public var priceInter: Int?
    @OptionalField(key: "price_intra") public var priceIntra: Int?
    @Field(key: "access_delay") public var accessDelay: String
    @Field(key: "methods") public var methods: String
    @Field(key: "evaluation") public var evaluation: String
    @Field(key: "programme") public var programme: String
    @Field(key: "accessibility") public var accessibility: String
    @Field(key: "contacts") public var contacts: String
    @Field(key: "created_at") public var createdAt: Date
    /// When the content last changed (shown on the programme, as indicator 1 asks).
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    var content: TrainingContent {
        get {
            TrainingContent(title: title, objectives: objectives, prerequisites: prerequisites, audience: audience, hours: hours, halfDays: halfDays,
                            modality: TrainingContent.Modality(rawValue: modality), priceInter: priceInter, priceIntra: priceIntra,
                            accessDelay: accessDelay, methods: methods, evaluation: evaluation, programme: programme,
                            accessibility: accessibility, contacts: contacts)
        }
        set {
            title = newValue.title
            objectives = newValue.objectives
            prerequisites = newValue.prerequisites
            audience = newValue.audience
            hours = newValue.hours
            halfDays = newValue.halfDays
            modality = newValue.modality?.rawValue ?? ""
            priceInter = newValue.priceInter
            priceIntra = newValue.priceIntra
            accessDelay = newValue.accessDelay
            methods = newValue.methods
            evaluation = newValue.evaluation
            programme = newValue.programme
            accessibility = newValue.accessibility
            contacts = newValue.contacts
        }
    }
}

/// What a programme says: kept as columns on the training and as a JSON snapshot in each version.
struct TrainingContent: Codable, Sendable, Equatable {
    enum Modality: String, Codable, Sendable, CaseIterable { case inPerson = "in_person", remote, mixed }

    var title = ""
    /// Operational and evaluable objectives, one per line.
    var objectives = ""
    var prerequisites = ""
    var audience = ""
    var hours: Int?
    /// The duration in half-days (a day is two).
    var halfDays: Int?
    var modality: Modality?
    /// Euros per trainee, inter-company (0: free).
    var priceInter: Int?
    /// Euros per group, intra-company (optional: on quote otherwise).
    var priceIntra: Int?
    var accessDelay = ""
    var methods = ""
    var evaluation = ""
    /// The sequences, one per line.
    var programme = ""
    var accessibility = ""
    var contacts = ""

    var objectiveList: [String] { Self.lines(objectives) }
    var sequenceList: [String] { Self.lines(programme) }

    static func lines(_ text: String) -> [String] {
        text.components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// A training's content as it was at one version, with who saved it and when.
public final class TrainingVersion: Model, @unchecked Sendable {
    public static let schema = "training_versions"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "training_id") public var training: Training
    @Field(key: "number") public var number: Int
    /// `TrainingContent` as JSON.
    @Field(key: "content") public var content: String
    /// Who saved it; emptied when their account is erased (the version stays).
    @OptionalParent(key: "author_id") public var author: User?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    func decoded() throws -> TrainingContent { try JSONDecoder().decode(TrainingContent.self, from: Data(content.utf8)) }
}
