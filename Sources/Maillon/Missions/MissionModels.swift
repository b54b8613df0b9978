import Fluent
import Foundation

/// An organisation that posts missions: an association, a social-economy (ESS) company, a company
/// with an impact project, or a public body. Its contacts are accounts with the `organisation_contact` role.
public final class Organisation: Model, @unchecked Sendable {
    public static let schema = "organisations"

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case association, essCompany = "ess_company", company, publicBody = "public_body"
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "slug") public var slug: String
    @Field(key: "name") public var name: String
    @Field(key: "kind") public var kind: Kind
    @OptionalField(key: "website") public var website: String?
    @Field(key: "city") public var city: String
    @Field(key: "description") public var description: String
    /// Cause codes from the taxonomy (`sdg13`, `inclusion`…), comma-separated.
    @Field(key: "causes") public var causes: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    var causeList: [String] { causes.split(separator: ",").map(String.init) }
}

/// A person who acts for an organisation. An organisation may have several; each manages its missions.
public final class OrganisationContact: Model, @unchecked Sendable {
    public static let schema = "organisation_contacts"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "organisation_id") public var organisation: Organisation
    @Parent(key: "user_id") public var user: User
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// Paid (or pro bono) work an organisation posts for the community's freelancers.
public final class Mission: Model, @unchecked Sendable {
    public static let schema = "missions"

    public enum Status: String, Codable, Sendable, CaseIterable {
        case draft, submitted, published, awarded, delivered, completed, declined, cancelled, expired
    }

    public enum WorkMode: String, Codable, Sendable, CaseIterable { case onsite, remote, hybrid }
    public enum Budget: String, Codable, Sendable, CaseIterable { case dayRate = "day_rate", fixed, proBono = "pro_bono" }
    public enum Audience: String, Codable, Sendable, CaseIterable { case all, chapter }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "organisation_id") public var organisation: Organisation
    @OptionalParent(key: "created_by_id") public var createdBy: User?
    @Field(key: "title") public var title: String
    @Field(key: "context") public var context: String
    @Field(key: "deliverables") public var deliverables: String
    /// The profession family most wanted, if any (a matching factor).
    @OptionalField(key: "profession") public var profession: String?
    /// Where: a chapter (also the audience when restricted) and a city.
    @OptionalParent(key: "chapter_id") public var chapter: Chapter?
    @Field(key: "city") public var city: String
    @Field(key: "work_mode") public var workMode: WorkMode
    @Field(key: "starts_on") public var startsOn: Date
    @OptionalField(key: "duration_days") public var durationDays: Int?
    @OptionalField(key: "ends_on") public var endsOn: Date?
    @OptionalField(key: "days_per_week") public var daysPerWeek: Int?
    @Field(key: "budget") public var budget: Budget
    @OptionalField(key: "rate_min") public var rateMin: Int?
    @OptionalField(key: "rate_max") public var rateMax: Int?
    @OptionalField(key: "total") public var total: Int?
    @Field(key: "application_deadline") public var applicationDeadline: Date
    @Field(key: "audience") public var audience: Audience
    /// Cause codes, comma-separated.
    @Field(key: "causes") public var causes: String
    @Field(key: "status") public var status: Status
    /// Why staff declined it, or why it was cancelled.
    @OptionalField(key: "status_reason") public var statusReason: String?
    @OptionalField(key: "published_at") public var publishedAt: Date?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}

    var causeList: [String] { causes.split(separator: ",").map(String.init) }
}

/// A skill a mission asks for: required, or nice to have (taxonomy slugs, as on profiles).
public final class MissionSkill: Model, @unchecked Sendable {
    public static let schema = "mission_skills"

    /// Writes a mission's skills: the required ones, then the nice-to-have ones.
    static func create(for missionID: UUID, required: [(slug: String, label: String)], niceToHave: [(slug: String, label: String)],
                       on db: any Database) async throws {
        for (skills, isRequired) in [(required, true), (niceToHave, false)] {
            for skill in skills {
                let row = MissionSkill()
                row.$mission.id = missionID
                row.slug = skill.slug
                row.label = skill.label
                row.required = isRequired
                try await row.create(on: db)
            }
        }
    }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "mission_id") public var mission: Mission
    @Field(key: "slug") public var slug: String
    @Field(key: "label") public var label: String
    @Field(key: "required") public var required: Bool

    public init() {}
}

/// One role of a mission meant for a team: a title, its skills, its days.
public final class MissionRole: Model, @unchecked Sendable {
    public static let schema = "mission_roles"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "mission_id") public var mission: Mission
    @Field(key: "position") public var position: Int
    @Field(key: "title") public var title: String
    /// Skill labels, comma-separated (normalised like profile skills).
    @Field(key: "skills") public var skills: String
    @OptionalField(key: "days") public var days: Int?

    public init() {}
}

/// A line of a mission's history: every change of state, with who and when.
public final class MissionEvent: Model, @unchecked Sendable {
    public static let schema = "mission_events"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "mission_id") public var mission: Mission
    @OptionalParent(key: "actor_id") public var actor: User?
    @OptionalField(key: "from_status") public var fromStatus: Mission.Status?
    @Field(key: "to_status") public var toStatus: Mission.Status
    @OptionalField(key: "reason") public var reason: String?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}
