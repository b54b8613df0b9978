import Fluent
import Foundation

/// A member's answer to a mission, alone or leading a team (collectif).
public final class Proposal: Model, @unchecked Sendable {
    public static let schema = "proposals"

    public enum Status: String, Codable, Sendable, CaseIterable {
        /// A team's proposal, waiting for every member to confirm their share.
        case forming
        case submitted, shortlisted, awarded, declined, withdrawn

        /// What the organisation sees.
        var reachedOrganisation: Bool { [.submitted, .shortlisted, .awarded, .declined].contains(self) }
    }

    public enum Price: String, Codable, Sendable, CaseIterable { case dayRate = "day_rate", total, none }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "mission_id") public var mission: Mission
    /// The member who answers, or who leads the team and talks to the organisation.
    @OptionalParent(key: "lead_id") public var lead: User?
    @Field(key: "is_team") public var isTeam: Bool
    @Field(key: "message") public var message: String
    @Field(key: "approach") public var approach: String
    @Field(key: "availability") public var availability: String
    @Field(key: "price") public var price: Price
    @OptionalField(key: "day_rate") public var dayRate: Int?
    @OptionalField(key: "days") public var days: Int?
    @OptionalField(key: "total") public var total: Int?
    @Field(key: "status") public var status: Status
    @OptionalField(key: "status_reason") public var statusReason: String?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}
}

/// A member of a proposal: the lead (alone: the only one) or a team member with a role and a share
/// of the price. `active` while the proposal is open: a unique index on (mission, member) among
/// active rows makes "one open proposal per member per mission" hold under any concurrency.
public final class ProposalMember: Model, @unchecked Sendable {
    public static let schema = "proposal_members"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "proposal_id") public var proposal: Proposal
    @Field(key: "mission_id") public var missionID: UUID
    @Parent(key: "user_id") public var user: User
    @Field(key: "role") public var role: String
    /// Percent of the price, 1…100; the shares of a submitted proposal add up to exactly 100.
    @Field(key: "share") public var share: Int
    @OptionalField(key: "confirmed_at") public var confirmedAt: Date?
    @Field(key: "active") public var active: Bool

    public init() {}
}

/// The conversation between an organisation and a proposal's lead: no address is ever shown.
public final class ProposalMessage: Model, @unchecked Sendable {
    public static let schema = "proposal_messages"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "proposal_id") public var proposal: Proposal
    @OptionalParent(key: "author_id") public var author: User?
    /// Which side wrote it, kept when the author's account is erased.
    @Field(key: "from_organisation") public var fromOrganisation: Bool
    @Field(key: "body") public var body: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}
