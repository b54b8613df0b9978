import Fluent
import Foundation
import SQLKit

/// Teams for a mission with several roles: one member per role, covering each role's skills, and
/// preferring people who have already met (checked in at the same meetups) — a team that knows each
/// other is the community's strength. Plain Swift over plain values; `metPairs` is read separately.
enum TeamSuggester {
    struct Role: Sendable {
        let title: String
        let skills: Set<String>
    }

    struct Team: Sendable, Equatable {
        /// One member per role, in the roles' order.
        let members: [UUID]
        /// Mean share of each role's skills its member has.
        let coverage: Double
        /// How many pairs in the team have met.
        let acquaintances: Int
    }

    struct Pair: Hashable, Sendable {
        let a: UUID, b: UUID
        init(_ x: UUID, _ y: UUID) { (a, b) = x.uuidString < y.uuidString ? (x, y) : (y, x) }
    }

    /// Points a pair who have met adds, against 100 for a role fully covered.
    static let acquaintanceBonus = 15.0
    static let perRole = 5

    /// The best few members for each role (they pass the mission's filters and hold one of its skills).
    static func shortlists(_ roles: [Role], candidates: [Matcher.Candidate], needs: Matcher.MissionNeeds) -> [[(UUID, Double)]] {
        var open = needs
        open.required = []
        let eligible = candidates.filter { Matcher.exclusion($0, for: open) == nil || Matcher.exclusion($0, for: open) == .noRequiredSkill }
        return roles.map { role in
            eligible.compactMap { candidate -> (UUID, Double)? in
                let covered = role.skills.intersection(candidate.skills).count
                return covered == 0 ? nil : (candidate.userID, Double(covered) / Double(max(1, role.skills.count)))
            }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.uuidString < $1.0.uuidString }
            .prefix(perRole).map { $0 }
        }
    }

    static func suggest(_ roles: [Role], shortlists: [[(UUID, Double)]], met: Set<Pair>, limit: Int = 3) -> [Team] {
        guard roles.count >= 2, shortlists.allSatisfy({ !$0.isEmpty }) else { return [] }
        var teams: [(team: Team, score: Double)] = []
        func walk(_ index: Int, _ chosen: [(UUID, Double)]) {
            if index == shortlists.count {
                let ids = chosen.map(\.0)
                var pairs = 0
                for i in ids.indices { for j in ids.indices where j > i && met.contains(Pair(ids[i], ids[j])) { pairs += 1 } }
                let coverage = chosen.map(\.1).reduce(0, +) / Double(chosen.count)
                teams.append((Team(members: ids, coverage: coverage, acquaintances: pairs), coverage * 100 + Double(pairs) * acquaintanceBonus))
                return
            }
            for option in shortlists[index] where !chosen.contains(where: { $0.0 == option.0 }) { walk(index + 1, chosen + [option]) }
        }
        walk(0, [])
        // Best first; then teams that differ from those already kept by at least one member.
        var kept: [Team] = []
        for candidate in teams.sorted(by: { $0.score != $1.score ? $0.score > $1.score : $0.team.members.map(\.uuidString).joined() < $1.team.members.map(\.uuidString).joined() }) {
            if kept.count == limit { break }
            if kept.allSatisfy({ Set($0.members) != Set(candidate.team.members) }) { kept.append(candidate.team) }
        }
        return kept
    }

    /// The pairs among `people` who checked in at the same meetup, in one query.
    static func metPairs(among people: [UUID], on db: any Database) async throws -> Set<Pair> {
        guard people.count >= 2 else { return [] }
        let rows = try await (db as! any SQLDatabase).raw("""
            SELECT DISTINCT a.user_id AS a, b.user_id AS b FROM event_registrations a
            JOIN event_registrations b ON b.event_id = a.event_id AND b.user_id <> a.user_id
            WHERE a.attendance = 'attended' AND b.attendance = 'attended'
              AND a.user_id IN \(SQLBind.group(people)) AND b.user_id IN \(SQLBind.group(people))
            """).all()
        return Set(try rows.map { Pair(try $0.decode(column: "a", as: UUID.self), try $0.decode(column: "b", as: UUID.self)) })
    }
}
