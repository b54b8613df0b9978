import Foundation

/// Who may move a mission where. Plain Swift, tested without HTTP.
///
///     draft → submitted → published → awarded (the organisation chooses a proposal) → delivered (its lead) → completed
///     submitted → declined (staff, with a reason)
///     draft, submitted, published, awarded → cancelled (the organisation, with a reason)
///     published → expired (the deadline passed, nobody chosen: the daily job)
///     delivered → completed (the organisation; or the daily job after 30 days)
public enum MissionRules {
    public enum Actor: Sendable { case organisation, staff, freelancer, system }

    public static func canMove(from: Mission.Status, to: Mission.Status, by actor: Actor) -> Bool {
        switch (actor, from, to) {
        case (.organisation, .draft, .submitted): true
        case (.organisation, .draft, .cancelled), (.organisation, .submitted, .cancelled),
             (.organisation, .published, .cancelled), (.organisation, .awarded, .cancelled): true
        case (.organisation, .delivered, .completed), (.organisation, .published, .awarded): true
        case (.staff, .submitted, .published), (.staff, .submitted, .declined): true
        case (.freelancer, .awarded, .delivered): true
        case (.system, .published, .expired), (.system, .delivered, .completed): true
        default: false
        }
    }

    /// Moves that need a reason, shown to the organisation and in the history.
    public static func needsReason(_ to: Mission.Status) -> Bool { to == .declined || to == .cancelled }

    /// Only a draft (or a mission sent back by staff) is edited by its organisation.
    public static func isEditable(_ status: Mission.Status) -> Bool { status == .draft }

    /// Days after delivery when a mission the organisation does not answer completes by itself.
    public static let autoCompleteAfter: TimeInterval = 30 * 86400
}
