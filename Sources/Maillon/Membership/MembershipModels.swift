import Fluent
import Foundation

/// The community's values, as versioned text. Members accept the current version.
public final class Charter: Model, @unchecked Sendable {
    public static let schema = "charters"

    @ID(key: .id) public var id: UUID?
    @Field(key: "version") public var version: Int
    @Field(key: "body") public var body: String
    @Field(key: "published_at") public var publishedAt: Date
    @OptionalParent(key: "published_by_id") public var publishedBy: User?

    public init() {}
}

public final class CharterAcceptance: Model, @unchecked Sendable {
    public static let schema = "charter_acceptances"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Parent(key: "charter_id") public var charter: Charter
    @Field(key: "accepted_at") public var acceptedAt: Date

    public init() {}
}

/// A request to join (candidature): the glossary's Application, named apart from Vapor's `Application`.
/// A request to join (candidature), vetted by an admin or an ambassador of the chosen chapter.
public final class MembershipApplication: Model, @unchecked Sendable {
    public static let schema = "applications"

    public enum Status: String, Codable, Sendable, CaseIterable {
        case submitted
        case inReview = "in_review"
        case accepted
        case declined
        case withdrawn

        public var isOpen: Bool { self == .submitted || self == .inReview }
    }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Parent(key: "chapter_id") public var chapter: Chapter
    @Field(key: "headline") public var headline: String
    @Field(key: "city") public var city: String
    @Field(key: "profession") public var profession: String
    @Field(key: "motivation") public var motivation: String
    @Parent(key: "charter_id") public var charter: Charter
    @Field(key: "status") public var status: Status
    @OptionalField(key: "decision_message") public var decisionMessage: String?
    @OptionalField(key: "decided_at") public var decidedAt: Date?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}
}

/// One line of an application's history: who moved it, when, and why.
public final class ApplicationEvent: Model, @unchecked Sendable {
    public static let schema = "application_events"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "application_id") public var application: MembershipApplication
    @OptionalParent(key: "actor_id") public var actor: User?
    @OptionalField(key: "from_status") public var fromStatus: MembershipApplication.Status?
    @Field(key: "to_status") public var toStatus: MembershipApplication.Status
    @OptionalField(key: "message") public var message: String?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// What a member says about themselves. One per member; created when they are admitted.
public final class Profile: Model, @unchecked Sendable {
    public static let schema = "profiles"

    public enum Visibility: String, Codable, Sendable, CaseIterable {
        /// Seen by members only (the default).
        case members
        /// Also a public page.
        case `public`
        /// Hidden everywhere.
        case hidden
    }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @OptionalParent(key: "home_chapter_id") public var homeChapter: Chapter?
    @Field(key: "headline") public var headline: String
    @Field(key: "bio") public var bio: String
    @Field(key: "city") public var city: String
    /// `city` folded, for the matching; set on every save by `CityKey`.
    @Field(key: "city_key") public var cityKey: String
    @Field(key: "profession") public var profession: String
    @Field(key: "visibility") public var visibility: Visibility
    @Field(key: "availability") public var availability: String
    @OptionalField(key: "available_from") public var availableFrom: Date?
    @OptionalField(key: "days_per_week") public var daysPerWeek: Int?
    @Field(key: "work_mode") public var workMode: String
    @Field(key: "languages") public var languages: String
    @OptionalField(key: "years_experience") public var yearsExperience: Int?
    @OptionalField(key: "day_rate_min") public var dayRateMin: Int?
    @OptionalField(key: "day_rate_max") public var dayRateMax: Int?
    @OptionalField(key: "website") public var website: String?
    @OptionalField(key: "linkedin") public var linkedin: String?
    @OptionalField(key: "photo_path") public var photoPath: String?
    @Field(key: "joined_at") public var joinedAt: Date
    @Field(key: "updated_at") public var updatedAt: Date
    @OptionalField(key: "last_active_at") public var lastActiveAt: Date?
    /// When they joined or moved to their home chapter: its ambassadors welcome them from then.
    @OptionalField(key: "chapter_since") public var chapterSince: Date?
    /// Left out of the isolation radar, at their request.
    @Field(key: "radar_opt_out") public var radarOptOut: Bool
    /// Wants a binôme each month.
    @Field(key: "pairing_opt_in") public var pairingOptIn: Bool
    /// Volunteers to greet newcomers at their first event.
    @Field(key: "buddy_volunteer") public var buddyVolunteer: Bool

    public init() {
        radarOptOut = false
        pairingOptIn = false
        buddyVolunteer = false
    }
}

extension Profile {
    /// A new member's first profile: the essentials they gave, everything else at its default.
    static func newMember(userID: UUID, chapterID: UUID?, headline: String, city: String, profession: String, now: Date) -> Profile {
        let profile = Profile()
        profile.$user.id = userID
        profile.$homeChapter.id = chapterID
        profile.headline = headline
        profile.bio = ""
        profile.city = city
        profile.profession = profession
        profile.visibility = .members
        profile.availability = "now"
        profile.workMode = "both"
        profile.languages = "fr"
        profile.joinedAt = now
        profile.chapterSince = now
        profile.updatedAt = now
        return profile
    }
}

extension Profile {
    /// Hidden means hidden everywhere but to oneself; members-only needs a member; public is for all.
    func isVisible(to viewer: User?) -> Bool {
        if viewer?.id == $user.id { return true }
        switch visibility {
        case .hidden: return false
        case .members: return viewer?.isMember ?? false
        case .public: return true
        }
    }
}

extension Profile {
    /// Keeps `cityKey` in step with `city` whoever saves a profile (forms, admission, import, seeding).
    struct CityKey: AsyncModelMiddleware {
        func create(model: Profile, on db: any Database, next: any AnyAsyncModelResponder) async throws {
            model.cityKey = Taxonomy.fold(model.city)
            try await next.create(model, on: db)
        }

        func update(model: Profile, on db: any Database, next: any AnyAsyncModelResponder) async throws {
            model.cityKey = Taxonomy.fold(model.city)
            try await next.update(model, on: db)
        }
    }
}
