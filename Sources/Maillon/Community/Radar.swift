import Fluent
import Foundation
import SQLKit

/// When the isolation radar notices someone (settings `RADAR_*`).
public struct RadarThresholds: Sendable, Equatable {
    /// No event attended, nothing written (post or message) and no sign-in for this many weeks.
    public var quietWeeks = 8
    /// A newcomer who has not come to a first event this many days after joining.
    public var firstEventDays = 30
    /// This many of one's latest registrations cancelled in a row.
    public var cancellations = 3
    /// A monthly check-in answered at or below this score (1–5).
    public var lowCheckIn = 2
}

/// What the radar knows of one member: dates and counts, never a score.
struct RadarFacts: Sendable {
    let userID: UUID
    let joinedAt: Date
    var homeChapter: UUID? = nil
    var lastAttendedAt: Date?
    var attendedAny = false
    var lastWrittenAt: Date?
    var lastSignInAt: Date?
    /// Their latest registrations, newest first.
    var latestRegistrations: [Registration.Status] = []
    var checkIn: (score: Int, note: String?, at: Date)?
}

/// One reason the radar lists someone, said in words on the ambassador's list and to the member.
enum RadarSignal: Sendable, Equatable {
    /// Nothing for `weeks` weeks: no event, nothing written, no sign-in.
    case quiet(weeks: Int)
    /// Joined `days` days ago and not yet at a first event.
    case noFirstEvent(days: Int)
    /// Their last `count` registrations all cancelled.
    case cancellations(count: Int)
    /// Answered the monthly check-in with a low score.
    case lowCheckIn(score: Int)

    var sortOrder: Int {
        switch self {
        case .lowCheckIn: 0
        case .cancellations: 1
        case .noFirstEvent: 2
        case .quiet: 3
        }
    }
}

/// The isolation radar's rules, as plain Swift: which signals a member's facts raise, and what an
/// ambassador could do about them. A newcomer is one who joined in the last six months.
enum Radar {
    static let newcomerDays = 180
    /// A check-in counts for this long.
    static let checkInDays = 45

    static func signals(_ facts: RadarFacts, now: Date, thresholds: RadarThresholds) -> [RadarSignal] {
        var signals: [RadarSignal] = []
        let day: TimeInterval = 86400
        if let check = facts.checkIn, check.score <= thresholds.lowCheckIn, check.at > now.addingTimeInterval(-Double(checkInDays) * day) {
            signals.append(.lowCheckIn(score: check.score))
        }
        let streak = facts.latestRegistrations.prefix { $0 == .cancelled }.count
        if streak >= thresholds.cancellations { signals.append(.cancellations(count: streak)) }
        let sinceJoining = Int(now.timeIntervalSince(facts.joinedAt) / day)
        if !facts.attendedAny, sinceJoining >= thresholds.firstEventDays, sinceJoining <= newcomerDays {
            signals.append(.noFirstEvent(days: sinceJoining))
        }
        let lastSign = [facts.lastAttendedAt, facts.lastWrittenAt, facts.lastSignInAt, facts.joinedAt].compactMap { $0 }.max() ?? facts.joinedAt
        let quietDays = Int(now.timeIntervalSince(lastSign) / day)
        if quietDays >= thresholds.quietWeeks * 7 { signals.append(.quiet(weeks: quietDays / 7)) }
        return signals.sorted { $0.sortOrder < $1.sortOrder }
    }

    /// The action suggested first: a call when they said it is hard or keep cancelling; an invitation
    /// to the next event for a newcomer or when there is one; a binôme otherwise.
    static func suggestion(for signals: [RadarSignal], hasNextEvent: Bool, pairs: Bool) -> RadarAction.Kind {
        if signals.contains(where: { if case .lowCheckIn = $0 { true } else if case .cancellations = $0 { true } else { false } }) { return .call }
        if hasNextEvent { return .invite }
        return pairs ? .call : .binome
    }
}

extension Role {
    /// The accounts that are not members (staff, applicants, organisations' contacts, guests), by
    /// `users_role_idx` one role at a time: SQLite's statistics average the roles over an index where
    /// members are nearly everyone, so for a list of roles its planner would read the whole table.
    static var nonMemberAccounts: SQLQueryString {
        allCases.filter { $0 != .member }.map { "SELECT id FROM users WHERE role = \(bind: $0.rawValue)" as SQLQueryString }
            .reduce(nil) { (joined: SQLQueryString?, next) in joined.map { $0 + " UNION ALL " + next } ?? next } ?? "SELECT id FROM users WHERE 1 = 0"
    }
}

/// Gathers the radar's facts for many members at once: one grouped query per kind of fact, whatever
/// their number (the members are named by a subquery, so a chapter of thousands binds one value).
struct RadarFactsLoader {
    let db: any SQLDatabase
    let now: Date

    /// The members the radar watches: in a chapter, not opted out, not an admin or other staff
    /// account, not an ambassador of their own chapter. Narrowed to `chapter` and to some `members`.
    private func watched(chapter: UUID?, members: [UUID]? = nil) -> SQLQueryString {
        // The members straight from `profiles_radar_idx`; the few accounts that are not members (admins
        // with a profile) by the role index, rather than a lookup of every member's account.
        var query: SQLQueryString = """
            SELECT p.user_id FROM profiles p
            WHERE p.radar_opt_out = \(bind: false)
            AND p.user_id NOT IN (\(Role.nonMemberAccounts))
            AND p.user_id NOT IN (SELECT user_id FROM chapter_ambassadors WHERE chapter_id = p.home_chapter_id)
            """
        query = query + (chapter.map { " AND p.home_chapter_id = \(bind: $0)" } ?? " AND p.home_chapter_id IS NOT NULL")
        if let members { query = query + (members.isEmpty ? " AND 1 = 0" : " AND p.user_id IN (\(binds: members))") }
        return query
    }

    /// Every member the radar watches in `chapter` (nil: every chapter), or only some of them.
    func facts(chapter: UUID?, among members: [UUID]? = nil) async throws -> [RadarFacts] {
        try await load(watched(chapter: chapter, members: members))
    }

    /// One member, if the radar watches them.
    func facts(watched userID: UUID) async throws -> RadarFacts? {
        try await load(watched(chapter: nil, members: [userID])).first
    }

    /// One member's facts (what the radar holds about them), whatever their choice.
    func facts(of userID: UUID) async throws -> RadarFacts? {
        try await load("SELECT user_id FROM profiles WHERE user_id = \(bind: userID)").first
    }

    private func load(_ members: SQLQueryString) async throws -> [RadarFacts] {
        var facts: [UUID: RadarFacts] = [:]
        // `last_active_at` is stamped at each sign-in (with the account's `last_sign_in_at`).
        for row in try await db.raw("SELECT p.user_id, p.joined_at, p.last_active_at, p.home_chapter_id FROM profiles p WHERE p.user_id IN (\(members))").all() {
            let id = try row.decode(column: "user_id", as: UUID.self)
            var fact = RadarFacts(userID: id, joinedAt: try row.decode(column: "joined_at", as: Date.self),
                                  homeChapter: try row.decode(column: "home_chapter_id", as: UUID?.self))
            fact.lastSignInAt = try row.decode(column: "last_active_at", as: Date?.self)
            facts[id] = fact
        }
        guard !facts.isEmpty else { return [] }
        for row in try await db.raw("""
            SELECT r.user_id, MAX(e.starts_at) AS last FROM event_registrations r JOIN events e ON e.id = r.event_id
            WHERE r.attendance = \(bind: Registration.Attendance.attended.rawValue) AND r.user_id IN (\(members)) GROUP BY r.user_id
            """).all() {
            let id = try row.decode(column: "user_id", as: UUID.self)
            facts[id]?.lastAttendedAt = try row.decode(column: "last", as: Date?.self)
            facts[id]?.attendedAny = true
        }
        for row in try await db.raw("""
            SELECT author_id AS user_id, MAX(created_at) AS last FROM posts WHERE author_id IN (\(members)) GROUP BY author_id
            UNION ALL
            SELECT author_id AS user_id, MAX(created_at) AS last FROM direct_messages WHERE author_id IN (\(members)) GROUP BY author_id
            """).all() {
            let id = try row.decode(column: "user_id", as: UUID.self)
            guard let last = try row.decode(column: "last", as: Date?.self) else { continue }
            let previous = facts[id]?.lastWrittenAt ?? last
            facts[id]?.lastWrittenAt = max(previous, last)
        }
        for row in try await db.raw("""
            SELECT user_id, status FROM (
              SELECT user_id, status, created_at, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY created_at DESC) AS n
              FROM event_registrations WHERE user_id IN (\(members))
            ) latest WHERE n <= 10 ORDER BY user_id, created_at DESC
            """).all() {
            let id = try row.decode(column: "user_id", as: UUID.self)
            if let status = Registration.Status(rawValue: try row.decode(column: "status", as: String.self)) { facts[id]?.latestRegistrations.append(status) }
        }
        for row in try await db.raw("""
            SELECT c.user_id, c.score, c.note, c.created_at FROM check_ins c
            WHERE c.user_id IN (\(members)) AND c.created_at >= \(bind: now.addingTimeInterval(-Double(Radar.checkInDays) * 86400))
            ORDER BY c.created_at
            """).all() {
            let id = try row.decode(column: "user_id", as: UUID.self)
            facts[id]?.checkIn = (try row.decode(column: "score", as: Int.self), try row.decode(column: "note", as: String?.self), try row.decode(column: "created_at", as: Date.self))
        }
        return Array(facts.values)
    }
}
