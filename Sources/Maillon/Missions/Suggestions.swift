import Fluent
import Foundation
import SQLKit
import Vapor

/// A member told that a published mission fits them. Kept to share opportunities (who was suggested
/// lately is nudged down) and for the digest's "missions for you".
public final class MissionSuggestion: Model, @unchecked Sendable {
    public static let schema = "mission_suggestions"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "mission_id") public var mission: Mission
    @Parent(key: "user_id") public var user: User
    @Field(key: "rank") public var rank: Int
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// Suggesting members for a published mission: rank with the sharing nudge, record the top ones, tell them.
struct Suggestions {
    let application: Application
    /// A transaction.
    let database: any Database
    let now: Date

    /// How many members are told of a mission, and how far back "suggested lately" looks.
    static let told = 10
    static let memory: TimeInterval = 90 * 86400

    /// The mission's best `top` members (with the sharing nudge) and, when asked, some of those the
    /// filters left out, with why.
    func rank(_ mission: Mission, top: Int = told, excludedUpTo: Int = 0) async throws
        -> (needs: Matcher.MissionNeeds, matches: [Matcher.Match], excluded: [(UUID, Matcher.Exclusion)]) {
        let needs = try await needs(of: mission)
        let query = MatchingQuery(database: database)
        let matches = try await query.best(needs, top: top, recent: .init(since: now.addingTimeInterval(-Self.memory), excluding: mission.requireID()))
        let excluded = excludedUpTo > 0 ? try await query.excluded(for: needs, limit: excludedUpTo) : []
        return (needs, matches, excluded)
    }

    private func needs(of mission: Mission) async throws -> Matcher.MissionNeeds {
        let skills = try await MissionSkill.query(on: database).filter(\.$mission.$id == mission.requireID()).all()
        return MatchingQuery(database: database).needs(mission, skills: skills)
    }

    /// Teams for a mission with roles: each role filled from the members holding its skills.
    func teams(for mission: Mission) async throws -> [TeamSuggester.Team] {
        let roles = try await MissionRole.query(on: database).filter(\.$mission.$id == mission.requireID()).sort(\.$position).all()
            .map { TeamSuggester.Role(title: $0.title, skills: Set(Taxonomy.normaliseSkills($0.skills).map(\.slug))) }
        guard roles.count >= 2 else { return [] }
        var needs = try await needs(of: mission)
        // Candidates for any role: members holding any role's skill.
        needs.required = roles.flatMap(\.skills).map { Matcher.Skill(slug: $0, label: $0) }
        let candidates = try await MatchingQuery(database: database).candidates(for: needs)
        let shortlists = TeamSuggester.shortlists(roles, candidates: candidates, needs: needs)
        let met = try await TeamSuggester.metPairs(among: Array(Set(shortlists.flatMap { $0.map(\.0) })), on: database)
        return TeamSuggester.suggest(roles, shortlists: shortlists, met: met)
    }

    /// The top members of a ranking are recorded and told, each with why (call it on a transaction).
    /// Nobody else hears anything.
    func tell(_ mission: Mission, needs: Matcher.MissionNeeds, matches: [Matcher.Match]) async throws {
        let top = Array(matches.prefix(Self.told))
        let missionID = try mission.requireID()
        let users = Dictionary(try await User.query(on: database).filter(\.$id ~~ top.map(\.userID)).all().map { ($0.id ?? UUID(), $0) },
                               uniquingKeysWith: { a, _ in a })
        let notifier = Notifier(application: application, database: database, now: now)
        for (index, match) in top.enumerated() {
            let suggestion = MissionSuggestion()
            suggestion.$mission.id = missionID
            suggestion.$user.id = match.userID
            suggestion.rank = index + 1
            suggestion.createdAt = now
            try await suggestion.create(on: database)
            guard let user = users[match.userID] else { continue }
            let t = Translator(catalogue: application.maillon.catalogue, locale: user.locale ?? .default)
            let why = match.factors.prefix(3).map { MissionsController.explain($0, t, chapter: nil, city: needs.city) }.joined(separator: " — ")
            try await notifier.notify(user, .init(kind: .missionSuggested, textKey: "notify.mission_suggested", arguments: [mission.title, why],
                                                  link: SiteURL.mission(missionID)))
        }
    }
}

/// After a mission is published (enqueued by the publishing transaction, so only if it commits): the
/// ranking is read outside any transaction — on SQLite it would hold the one write lock meanwhile —
/// and the top members are recorded and told in a short one. Run again, it does nothing.
struct TellMissionSuggestionsJob: Job {
    static let kind = "mission-suggestions"
    let missionID: UUID

    func run(_ context: JobContext) async throws {
        guard let mission = try await Mission.find(missionID, on: context.db), mission.status == .published,
              try await MissionSuggestion.query(on: context.db).filter(\.$mission.$id == missionID).count() == 0 else { return }
        let now = context.now
        let ranked = try await Suggestions(application: context.application, database: context.db, now: now).rank(mission)
        try await context.db.transaction { db in
            try await Suggestions(application: context.application, database: db, now: now).tell(mission, needs: ranked.needs, matches: ranked.matches)
        }
    }
}

/// The weekly digest's "missions for you": the open missions one was suggested for this week.
struct MissionsForYouSection: DigestSection {
    let titleKey = "digest.missions_for_you"

    func lines(for user: User, since: Date, context: JobContext, t: Translator) async throws -> [String] {
        guard user.isMember else { return [] }
        let base = context.maillon.settings.baseURL.absoluteString
        let ids = try await MissionSuggestion.query(on: context.db).filter(\.$user.$id == user.requireID()).filter(\.$createdAt >= since).all(\.$mission.$id)
        guard !ids.isEmpty else { return [] }
        return try await Mission.query(on: context.db).filter(\.$id ~~ ids).filter(\.$status == .published).with(\.$organisation).sort(\.$applicationDeadline).all()
            .map { "\($0.title) — \($0.organisation.name) (\(t("mission.deadline_on", DateFormatting.date($0.applicationDeadline, t.locale)))) \(base)\(SiteURL.mission($0.id ?? UUID()))" }
    }
}

/// The community's impact, computed from completed missions (never typed): how many, the days of work,
/// the organisations helped, the causes served.
struct ImpactFigures: Sendable, Equatable {
    var missions = 0, days = 0, organisations = 0, causes = 0

    static func compute(on db: any Database) async throws -> ImpactFigures {
        let completed = try await Mission.query(on: db).filter(\.$status == .completed).all()
        var figures = ImpactFigures()
        figures.missions = completed.count
        figures.organisations = Set(completed.map { $0.$organisation.id }).count
        figures.causes = Set(completed.flatMap(\.causeList)).count
        // A duration in days when given; otherwise the working days a week over the dates.
        figures.days = completed.reduce(0) { total, mission in
            if let days = mission.durationDays { return total + days }
            guard let end = mission.endsOn else { return total }
            let weeks = max(1, Int(end.timeIntervalSince(mission.startsOn) / (7 * 86400)))
            return total + weeks * (mission.daysPerWeek ?? 5)
        }
        return figures
    }
}
