import Fluent
import Foundation
import SQLKit
import Vapor

/// A review after a completed mission: the organisation reviews each freelancer of the chosen
/// proposal, each freelancer reviews the organisation. Double-blind: a review shows once both sides
/// of the pair have written, or once the 14-day window has closed; each reviewed side may reply once.
public final class MissionReview: Model, @unchecked Sendable {
    public static let schema = "mission_reviews"

    public enum Direction: String, Codable, Sendable { case ofFreelancer = "of_freelancer", ofOrganisation = "of_organisation" }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "mission_id") public var mission: Mission
    @Field(key: "direction") public var direction: Direction
    /// The freelancer of the pair (reviewed, or reviewing the organisation).
    @OptionalParent(key: "freelancer_id") public var freelancer: User?
    @Parent(key: "organisation_id") public var organisation: Organisation
    /// Who wrote it; kept empty when their account is erased (the review stays, unsigned).
    @OptionalParent(key: "author_id") public var author: User?
    @Field(key: "rating") public var rating: Int
    @Field(key: "text") public var text: String
    @OptionalField(key: "reply") public var reply: String?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// Who reviews whom and when a review shows. Plain rules over dates and presence.
enum ReviewRules {
    static let window: TimeInterval = 14 * 86400

    static func isOpen(completedAt: Date, now: Date) -> Bool { now <= completedAt.addingTimeInterval(window) }

    /// A review shows when the other side of its pair has written too, or when the window has closed.
    static func isPublished(otherSideWrote: Bool, completedAt: Date, now: Date) -> Bool {
        otherSideWrote || !isOpen(completedAt: completedAt, now: now)
    }

    /// Points the matching adds for a member's published reviews (average out of 5), at most 8.
    static func matchingBonus(average: Double?) -> Double {
        guard let average else { return 0 }
        return max(0, min(8, (average - 3) * 4))
    }
}

/// Reading and writing reviews (the controller's domain type).
struct Reviewing {
    let database: any Database
    let now: Date

    /// When the mission was completed (its history's last "completed" line).
    func completedAt(_ mission: Mission) async throws -> Date? {
        guard mission.status == .completed else { return nil }
        return try await MissionEvent.query(on: database).filter(\.$mission.$id == mission.requireID()).filter(\.$toStatus == .completed)
            .sort(\.$createdAt, .descending).first()?.createdAt
    }

    /// When each of `missions` was completed, in one query (the latest "completed" line of each history).
    func completedAts(_ missions: [UUID]) async throws -> [UUID: Date] {
        guard !missions.isEmpty else { return [:] }
        var dates: [UUID: Date] = [:]
        for event in try await MissionEvent.query(on: database).filter(\.$mission.$id ~~ missions).filter(\.$toStatus == .completed).all() {
            dates[event.$mission.id] = max(dates[event.$mission.id] ?? event.createdAt, event.createdAt)
        }
        return dates
    }

    /// The reviews among `reviews` that are visible now, in direction `direction`.
    private func published(_ reviews: [MissionReview], _ direction: MissionReview.Direction) async throws -> [MissionReview] {
        let completed = try await completedAts(Array(Set(reviews.map { $0.$mission.id })))
        return reviews.filter { review in
            guard review.direction == direction, let at = completed[review.$mission.id] else { return false }
            return isPublished(review, among: reviews.filter { $0.$mission.id == review.$mission.id }, completedAt: at)
        }.sorted { $0.createdAt > $1.createdAt }
    }

    /// The freelancers of the chosen proposal.
    func freelancers(of mission: Mission) async throws -> [User] {
        guard let chosen = try await Proposal.query(on: database).filter(\.$mission.$id == mission.requireID()).filter(\.$status == .awarded).first() else { return [] }
        let ids = try await ProposalMember.query(on: database).filter(\.$proposal.$id == chosen.requireID()).all(\.$user.$id)
        return try await User.query(on: database).filter(\.$id ~~ ids).sort(\.$name).all()
    }

    func reviews(of mission: Mission) async throws -> [MissionReview] {
        try await MissionReview.query(on: database).filter(\.$mission.$id == mission.requireID()).all()
    }

    /// Whether `review` is visible now (double-blind).
    func isPublished(_ review: MissionReview, among all: [MissionReview], completedAt: Date) -> Bool {
        let other = all.contains { $0.$mission.id == review.$mission.id && $0.$freelancer.id == review.$freelancer.id && $0.direction != review.direction }
        return ReviewRules.isPublished(otherSideWrote: other, completedAt: completedAt, now: now)
    }

    /// Published reviews about a member (for their profile), newest first: two queries.
    func published(aboutFreelancer userID: UUID) async throws -> [MissionReview] {
        try await published(try await MissionReview.query(on: database).filter(\.$freelancer.$id == userID).all(), .ofFreelancer)
    }

    /// Published reviews about an organisation, newest first: two queries.
    func published(aboutOrganisation organisationID: UUID) async throws -> [MissionReview] {
        try await published(try await MissionReview.query(on: database).filter(\.$organisation.$id == organisationID).all(), .ofOrganisation)
    }

    /// Average published rating per member, for the matching: every review read at once (a small
    /// table) with the completion dates, then the double-blind rule.
    func averages() async throws -> [UUID: Double] {
        var ratings: [UUID: [Int]] = [:]
        for review in try await published(try await MissionReview.query(on: database).all(), .ofFreelancer) {
            if let freelancer = review.$freelancer.id { ratings[freelancer, default: []].append(review.rating) }
        }
        return ratings.mapValues { Double($0.reduce(0, +)) / Double($0.count) }
    }
}

/// A published review as profile and organisation pages show it.
struct ReviewLine: Encodable, Sendable {
    let source: String
    let rating: String
    let paragraphs: [String]
    let reply: String?

    static func lines(_ reviews: [MissionReview], source: (MissionReview) -> String, _ t: Translator) -> [ReviewLine] {
        reviews.prefix(20).map {
            ReviewLine(source: source($0), rating: t("review.rating_value", String($0.rating)),
                       paragraphs: $0.text.components(separatedBy: "\n").filter { !$0.isEmpty }, reply: $0.reply)
        }
    }
}
