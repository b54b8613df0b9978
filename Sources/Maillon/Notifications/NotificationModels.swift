import Fluent
import Foundation

/// Something that happened that a person should know about, shown in their notification centre.
/// The text is a catalogue key and its arguments, so it reads in the reader's language of the day.
public final class AppNotification: Model, @unchecked Sendable {
    public static let schema = "notifications"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Field(key: "kind") public var kind: String
    @Field(key: "text_key") public var textKey: String
    /// JSON array of strings for the key's placeholders.
    @Field(key: "arguments") public var arguments: String
    @OptionalField(key: "link") public var link: String?
    /// The person it is about (a newcomer, an applicant), so that erasing them scrubs it.
    @OptionalField(key: "subject_user_id") public var subjectUserID: UUID?
    @Field(key: "in_app") public var inApp: Bool
    /// Waiting for the weekly digest.
    @Field(key: "in_digest") public var inDigest: Bool
    @OptionalField(key: "read_at") public var readAt: Date?
    @OptionalField(key: "digested_at") public var digestedAt: Date?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    var argumentList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(arguments.utf8))) ?? []
    }

    /// Stands where an erased person's name was, shown as "a former member" in the reader's language.
    static let erasedPerson = "\u{2063}erased\u{2063}"

    /// The one-line text in the reader's language.
    func text(_ t: Translator) -> String {
        t(textKey, argumentList.map { $0.replacingOccurrences(of: Self.erasedPerson, with: t("person.former_member")) })
    }
}

/// A person's choice for one kind of notification.
public final class NotificationPreference: Model, @unchecked Sendable {
    public static let schema = "notification_preferences"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Field(key: "kind") public var kind: String
    @Field(key: "channel") public var channel: NotificationChannel

    public init() {}
}

/// Where a notification goes: the centre only, the centre and an email now, the centre and the
/// weekly digest, or nowhere.
public enum NotificationChannel: String, Codable, Sendable, CaseIterable {
    case inApp = "in_app"
    case email
    case digest
    case off
}

/// A kind of notification. Features declare theirs in `NotificationKind.all`.
public struct NotificationKind: Sendable, Equatable {
    public let id: String
    public let defaultChannel: NotificationChannel
    /// Essential kinds cannot be turned off.
    public let essential: Bool
    /// Only offered to admins.
    public let adminOnly: Bool

    public static let newSignIn = NotificationKind(id: "new_sign_in", defaultChannel: .inApp, essential: false, adminOnly: false)
    public static let jobDead = NotificationKind(id: "job_dead", defaultChannel: .inApp, essential: false, adminOnly: true)
    /// The weekly digest itself: email or off.
    public static let weeklyDigest = NotificationKind(id: "weekly_digest", defaultChannel: .email, essential: false, adminOnly: false)

    /// The decision on one's application: always mailed.
    public static let applicationDecided = NotificationKind(id: "application_decided", defaultChannel: .email, essential: true, adminOnly: false)
    /// A newcomer joined a chapter one runs.
    public static let chapterNewcomer = NotificationKind(id: "chapter_newcomer", defaultChannel: .email, essential: false, adminOnly: false)
    /// A new application to review in a chapter one runs.
    public static let applicationSubmitted = NotificationKind(id: "application_submitted", defaultChannel: .inApp, essential: false, adminOnly: false)

    /// One's own registration: confirmed, waitlisted, promoted (with the calendar file). Always mailed.
    public static let eventRegistration = NotificationKind(id: "event_registration", defaultChannel: .email, essential: true, adminOnly: false)
    /// An event one registered to was cancelled, or changed time or place. Always mailed.
    public static let eventChanged = NotificationKind(id: "event_changed", defaultChannel: .email, essential: true, adminOnly: false)
    /// The day-before reminder.
    public static let eventReminder = NotificationKind(id: "event_reminder", defaultChannel: .email, essential: false, adminOnly: false)
    /// A message from an event's organisers to its participants.
    public static let eventMessage = NotificationKind(id: "event_message", defaultChannel: .email, essential: false, adminOnly: false)

    /// A mission waiting for review in a chapter one runs (or anywhere, for admins).
    public static let missionSubmitted = NotificationKind(id: "mission_submitted", defaultChannel: .inApp, essential: false, adminOnly: false)
    /// One's organisation's mission was published, declined or expired.
    public static let missionStatus = NotificationKind(id: "mission_status", defaultChannel: .email, essential: true, adminOnly: false)

    /// A proposal to one's organisation's mission: received, withdrawn.
    public static let proposalReceived = NotificationKind(id: "proposal_received", defaultChannel: .email, essential: false, adminOnly: false)
    /// One's team: invited, changed, someone left.
    public static let proposalTeam = NotificationKind(id: "proposal_team", defaultChannel: .email, essential: true, adminOnly: false)
    /// The organisation's decision on one's proposal.
    public static let proposalDecision = NotificationKind(id: "proposal_decision", defaultChannel: .email, essential: true, adminOnly: false)
    /// A message in a proposal's conversation.
    public static let proposalMessage = NotificationKind(id: "proposal_message", defaultChannel: .email, essential: false, adminOnly: false)

    /// A published mission that fits (one of its top suggestions).
    public static let missionSuggested = NotificationKind(id: "mission_suggested", defaultChannel: .email, essential: false, adminOnly: false)

    /// One's enrolment in a training session, and its convocation.
    public static let trainingEnrolment = NotificationKind(id: "training_enrolment", defaultChannel: .email, essential: true, adminOnly: false)

    /// A training session's survey to answer.
    public static let trainingSurvey = NotificationKind(id: "training_survey", defaultChannel: .email, essential: false, adminOnly: false)

    /// A reply in a discussion one follows.
    public static let discussionReply = NotificationKind(id: "discussion_reply", defaultChannel: .digest, essential: false, adminOnly: false)

    /// A moderator's action on one's post or account (hidden, deleted, a warning, a suspension).
    public static let moderation = NotificationKind(id: "moderation", defaultChannel: .email, essential: true, adminOnly: false)

    /// A help request nobody has answered, that one could (one's chapter's, or one's skills).
    public static let helpRequest = NotificationKind(id: "help_request", defaultChannel: .digest, essential: false, adminOnly: false)

    /// Someone mentioned one (`@handle`) in a discussion.
    public static let discussionMention = NotificationKind(id: "discussion_mention", defaultChannel: .email, essential: false, adminOnly: false)

    /// A direct message.
    public static let directMessage = NotificationKind(id: "direct_message", defaultChannel: .email, essential: false, adminOnly: false)

    /// One's binôme of the month.
    public static let binome = NotificationKind(id: "binome", defaultChannel: .email, essential: false, adminOnly: false)

    /// A first-event buddy: greeting a newcomer, or being greeted.
    public static let buddy = NotificationKind(id: "buddy", defaultChannel: .email, essential: false, adminOnly: false)

    public static let all: [NotificationKind] = [binome, buddy, directMessage, discussionMention, helpRequest, moderation, discussionReply, trainingEnrolment, trainingSurvey, missionSuggested, missionStatus, proposalReceived, proposalTeam, proposalDecision, proposalMessage, missionSubmitted, applicationDecided, eventRegistration, eventChanged, eventReminder, eventMessage,
                                                 chapterNewcomer, applicationSubmitted, newSignIn, jobDead, weeklyDigest]

    public static func named(_ id: String) -> NotificationKind? { all.first { $0.id == id } }

    /// Whether a person with `role` is offered this kind on their preferences page: organisations'
    /// contacts hear about their missions, members about community life, admins about everything.
    public func isOffered(to role: Role) -> Bool {
        if adminOnly { return role == .admin }
        switch self {
        case .newSignIn, .weeklyDigest: return true
        case .missionStatus, .proposalReceived: return role == .organisationContact
        case .proposalMessage: return true
        default: return role != .organisationContact
        }
    }

    /// The channels a person may choose for this kind.
    public var choices: [NotificationChannel] {
        if self == .weeklyDigest { return [.email, .off] }
        return essential ? [.email] : NotificationChannel.allCases
    }
}
