import Fluent
import Foundation

/// A member's answer to the monthly check-in ("how are you doing, as a freelancer?"), one a month.
/// The note is for their chapter's ambassadors; a low score is one of the radar's signals.
public final class CheckIn: Model, @unchecked Sendable {
    public static let schema = "check_ins"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    /// `2026-11`, in Paris time.
    @Field(key: "month") public var month: String
    /// 1 (struggling) to 5 (very well).
    @Field(key: "score") public var score: Int
    @OptionalField(key: "note") public var note: String?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// What an ambassador did for a member on the radar (invited them, proposed a binôme, called them).
public final class RadarAction: Model, @unchecked Sendable {
    public static let schema = "radar_actions"

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case invite, binome, call, other
    }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "member_id") public var member: User
    @Parent(key: "chapter_id") public var chapter: Chapter
    @OptionalParent(key: "by_id") public var by: User?
    @Field(key: "kind") public var kind: Kind
    @OptionalField(key: "note") public var note: String?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// One month's binôme (or trio): people paired for a coffee or a call.
public final class Pairing: Model, @unchecked Sendable {
    public static let schema = "pairings"

    @ID(key: .id) public var id: UUID?
    @Field(key: "month") public var month: String
    /// The chapter when everyone is from it; nil for a remote pair across chapters.
    @OptionalParent(key: "chapter_id") public var chapter: Chapter?
    /// Whether they had never attended the same event before.
    @Field(key: "strangers") public var strangers: Bool
    @Field(key: "created_at") public var createdAt: Date
    @Children(for: \.$pairing) public var members: [PairingMember]

    public init() {}
}

/// One person in a binôme, with what they said of it.
public final class PairingMember: Model, @unchecked Sendable {
    public static let schema = "pairing_members"

    public enum Outcome: String, Codable, Sendable, CaseIterable {
        case pending, met, skipped
    }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "pairing_id") public var pairing: Pairing
    @Parent(key: "user_id") public var user: User
    @Field(key: "month") public var month: String
    @Field(key: "outcome") public var outcome: Outcome
    @OptionalField(key: "answered_at") public var answeredAt: Date?

    public init() {}
}

/// A first-event buddy: a volunteer registered for the same event, asked to greet a newcomer.
public final class BuddyIntroduction: Model, @unchecked Sendable {
    public static let schema = "buddy_introductions"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "event_id") public var event: Event
    @Parent(key: "newcomer_id") public var newcomer: User
    @Parent(key: "buddy_id") public var buddy: User
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// A mandate that ended: an ambassador stepped down, leaving notes for the next.
public final class Handover: Model, @unchecked Sendable {
    public static let schema = "handovers"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "chapter_id") public var chapter: Chapter
    @OptionalParent(key: "user_id") public var user: User?
    @Field(key: "started_at") public var startedAt: Date
    @Field(key: "ended_at") public var endedAt: Date
    @Field(key: "note") public var note: String

    public init() {}
}

/// Someone the radar noticed at its last look at their chapter (kept by `RadarWatch`; the list
/// checks them again on reading, so one whose signals stopped leaves it at once).
public final class RadarEntry: Model, @unchecked Sendable {
    public static let schema = "radar_entries"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Parent(key: "chapter_id") public var chapter: Chapter
    /// The kinds of signal, as `RadarSignal.kindCode`s joined by commas ("0,3").
    @Field(key: "signals") public var signals: String
    @Field(key: "computed_at") public var computedAt: Date

    public init() {}
}

/// The radar's last look at a chapter: when, and how many members it watched.
public final class RadarLook: Model, @unchecked Sendable {
    public static let schema = "radar_looks"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "chapter_id") public var chapter: Chapter
    @Field(key: "watched") public var watched: Int
    @Field(key: "looked_at") public var lookedAt: Date

    public init() {}
}
