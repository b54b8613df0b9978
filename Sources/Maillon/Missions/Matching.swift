import Fluent
import Foundation
import SQLKit

/// Ranks the members who fit a mission, and says why. Plain Swift over plain values: hard filters
/// first (each exclusion named, for staff), then a score made of named factors, each of which is
/// shown to people in words ("3 of 4 required skills: … — Lyon chapter — available now").
enum Matcher {
    struct Skill: Sendable, Equatable {
        let slug: String
        let label: String
    }

    struct MissionNeeds: Sendable {
        var required: [Skill]
        var niceToHave: [Skill] = []
        var profession: String? = nil
        var causes: Set<String> = []
        var chapter: UUID? = nil
        var city: String = ""
        var workMode: Mission.WorkMode = .remote
        /// Only this chapter's members (the mission's audience).
        var restrictedTo: UUID? = nil
        /// The day-rate range of a day-rate budget.
        var rates: ClosedRange<Int>? = nil
        var startsOn: Date
    }

    struct Candidate: Sendable {
        let userID: UUID
        var isMember = true
        var hidden = false
        /// "now", "from" (with `availableFrom`) or "not".
        var availability = "now"
        var availableFrom: Date? = nil
        var chapter: UUID? = nil
        var city = ""
        /// "remote", "onsite" or "both".
        var workMode = "both"
        var skills: Set<String> = []
        var profession = "other"
        var causes: Set<String> = []
        var rateMin: Int? = nil
        /// The average of the member's published reviews, out of 5.
        var rating: Double? = nil
    }

    enum Factor: Sendable, Equatable {
        case requiredSkills(matched: [String], of: Int)
        case niceToHave([String])
        case profession(String)
        case causes([String])
        case sameChapter
        case sameCity
        case availableNow
        case availableFrom(Date)
        case rateWithinBudget
        case reviews(Double)
    }

    enum Exclusion: String, Sendable, CaseIterable {
        case notMember = "not_member", hidden, unavailable, otherChapter = "other_chapter", tooFar = "too_far", noRequiredSkill = "no_required_skill"
    }

    struct Match: Sendable {
        let userID: UUID
        /// The order: the fit, less the sharing nudge.
        var score: Double
        let factors: [Factor]
        /// The fit alone, out of 100.
        let fit: Double
    }

    /// Opportunities are shared: each time a member was suggested lately lowers their place by this
    /// much, up to `maximumNudge`. Chosen with `maillon simulate-matching` (docs/benchmarks.md): on the
    /// generated community it takes the 10 % most-suggested members from 41 % to 31 % of the places
    /// for under 1 % less required-skill coverage.
    static let nudgePerSuggestion = 8.0
    static let maximumNudge = 30.0

    /// The points each factor is worth, out of 100.
    enum Weight {
        static let required = 50.0, niceToHave = 12.0, profession = 10.0, causes = 10.0, place = 6.0, availability = 6.0, rate = 6.0
    }

    static func exclusion(_ candidate: Candidate, for needs: MissionNeeds) -> Exclusion? {
        if !candidate.isMember { return .notMember }
        if candidate.hidden { return .hidden }
        if candidate.availability == "not" { return .unavailable }
        if let chapter = needs.restrictedTo, candidate.chapter != chapter { return .otherChapter }
        if needs.workMode != .remote {
            if needs.workMode == .onsite && candidate.workMode == "remote" { return .tooFar }
            let samePlace = (needs.chapter != nil && candidate.chapter == needs.chapter) || Taxonomy.fold(candidate.city) == Taxonomy.fold(needs.city)
            if !samePlace { return .tooFar }
        }
        if !needs.required.contains(where: { candidate.skills.contains($0.slug) }) { return .noRequiredSkill }
        return nil
    }

    static func score(_ candidate: Candidate, for needs: MissionNeeds) -> Match {
        var factors: [Factor] = []
        var score = 0.0
        let matched = needs.required.filter { candidate.skills.contains($0.slug) }
        score += Weight.required * Double(matched.count) / Double(max(1, needs.required.count))
        factors.append(.requiredSkills(matched: matched.map(\.label), of: needs.required.count))
        let nice = needs.niceToHave.filter { candidate.skills.contains($0.slug) }
        if !nice.isEmpty {
            score += Weight.niceToHave * Double(nice.count) / Double(needs.niceToHave.count)
            factors.append(.niceToHave(nice.map(\.label)))
        }
        if let profession = needs.profession, profession == candidate.profession {
            score += Weight.profession
            factors.append(.profession(profession))
        }
        let shared = needs.causes.intersection(candidate.causes).sorted()
        if !shared.isEmpty {
            score += Weight.causes * min(1, Double(shared.count) / Double(min(3, needs.causes.count)))
            factors.append(.causes(shared))
        }
        if let chapter = needs.chapter, candidate.chapter == chapter {
            score += Weight.place
            factors.append(.sameChapter)
        } else if !needs.city.isEmpty, Taxonomy.fold(candidate.city) == Taxonomy.fold(needs.city) {
            score += Weight.place
            factors.append(.sameCity)
        }
        if candidate.availability == "now" {
            score += Weight.availability
            factors.append(.availableNow)
        } else if let from = candidate.availableFrom {
            score += from <= needs.startsOn ? Weight.availability : Weight.availability / 3
            factors.append(.availableFrom(from))
        }
        if let rates = needs.rates, let rate = candidate.rateMin, rate <= rates.upperBound {
            score += Weight.rate
            factors.append(.rateWithinBudget)
        }
        if let rating = candidate.rating {
            score += ReviewRules.matchingBonus(average: rating)
            factors.append(.reviews(rating))
        }
        return Match(userID: candidate.userID, score: score, factors: factors, fit: score)
    }

    /// The candidates who pass the filters, best first (ties broken by id, for a stable order), and
    /// those filtered out with the reason. `recent` counts how often each was suggested lately.
    static func rank(_ candidates: [Candidate], for needs: MissionNeeds, recent: [UUID: Int] = [:],
                     nudge: Double = nudgePerSuggestion, cap: Double = maximumNudge) -> (matches: [Match], excluded: [(UUID, Exclusion)]) {
        var matches: [Match] = []
        var excluded: [(UUID, Exclusion)] = []
        for candidate in candidates {
            if let reason = exclusion(candidate, for: needs) {
                excluded.append((candidate.userID, reason))
            } else {
                var match = score(candidate, for: needs)
                match.score -= min(cap, nudge * Double(recent[candidate.userID] ?? 0))
                matches.append(match)
            }
        }
        matches.sort { $0.score != $1.score ? $0.score > $1.score : $0.userID.uuidString < $1.userID.uuidString }
        return (matches, excluded)
    }
}

extension Matcher.Candidate {
    /// A member as a profiles(-join-users) row gives them (user_id, availability, available_from,
    /// home_chapter_id, city, work_mode, profession, visibility, day_rate_min, and role if joined —
    /// without it, not a member until the caller says so); skills, causes and reviews are added by the caller.
    init(profileRow row: any SQLRow) throws {
        let role = row.contains(column: "role") ? Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .applicant : .applicant
        self.init(userID: try row.decode(column: "user_id", as: UUID.self), isMember: role == .member || role == .admin,
                  hidden: try row.decode(column: "visibility", as: String.self) == Profile.Visibility.hidden.rawValue,
                  availability: try row.decode(column: "availability", as: String.self),
                  availableFrom: try row.decode(column: "available_from", as: Date?.self),
                  chapter: try row.decode(column: "home_chapter_id", as: UUID?.self), city: try row.decode(column: "city", as: String.self),
                  workMode: try row.decode(column: "work_mode", as: String.self), profession: try row.decode(column: "profession", as: String.self),
                  rateMin: try row.decode(column: "day_rate_min", as: Int?.self))
    }
}

/// Reads a mission's needs and the members who fit it. `best` is what pages and the suggestions job
/// use: the database applies the hard filters and orders by the same score, so only the best few hundred
/// members are read, whatever the number of members. `candidates` reads everyone holding a required
/// skill (the simulation, suggested teams).
struct MatchingQuery {
    let database: any Database

    /// Who was suggested lately, for the sharing nudge: since `since`, other missions than `excluding`.
    struct Recent: Sendable {
        let since: Date
        let excluding: UUID?
    }

    func needs(_ mission: Mission, skills unordered: [MissionSkill]) -> Matcher.MissionNeeds {
        // In name order, whatever order the database returned them in: explanations read the same every time.
        let skills = unordered.sorted { $0.label.localizedCompare($1.label) == .orderedAscending }
        return Matcher.MissionNeeds(
            required: skills.filter(\.required).map { .init(slug: $0.slug, label: $0.label) },
            niceToHave: skills.filter { !$0.required }.map { .init(slug: $0.slug, label: $0.label) },
            profession: mission.profession, causes: Set(mission.causeList), chapter: mission.$chapter.id, city: mission.city,
            workMode: mission.workMode, restrictedTo: mission.audience == .chapter ? mission.$chapter.id : nil,
            rates: mission.budget == .dayRate ? mission.rateMin.flatMap { low in mission.rateMax.map { low...max(low, $0) } } : nil,
            startsOn: mission.startsOn)
    }

    /// The `top` best members, exactly as `Matcher.rank` over every candidate orders them (a test checks it).
    /// The database filters and scores as `Matcher` does, less the reviews' bonus — reviewed members are
    /// all read besides — and returns the best `batch`, reading by tiers of required-skill coverage:
    /// those holding every required skill first (a join, cheap), then those missing one, and so on.
    /// It stops as soon as the `top`-th read is surely ahead of everyone unread: of the best anyone in
    /// the next tier could score, and of the last one read when the batch was full (else four times more).
    func best(_ needs: Matcher.MissionNeeds, top: Int, recent: Recent, batch: Int = 200) async throws -> [Matcher.Match] {
        guard !needs.required.isEmpty, top > 0 else { return [] }
        let ratings = try await Reviewing(database: database, now: Date()).averages().filter { ReviewRules.matchingBonus(average: $0.value) > 0 }
        let rarest = try await byRarity(needs.required.map(\.slug))
        let rated = ratings.isEmpty ? [] : try await scored(needs, rarest: rarest, recent: recent, only: Array(ratings.keys), atLeast: 1, limit: nil)
        var atLeast = needs.required.count
        var limit = batch
        while true {
            let read = try await scored(needs, rarest: rarest, recent: recent, only: nil, atLeast: atLeast, limit: limit)
            var candidates = Dictionary(read.map { ($0.candidate.userID, $0.candidate) }, uniquingKeysWith: { a, _ in a })
            var times = Dictionary(read.map { ($0.candidate.userID, $0.times) }, uniquingKeysWith: { a, _ in a })
            for row in rated { candidates[row.candidate.userID] = row.candidate; times[row.candidate.userID] = row.times }
            for (userID, rating) in ratings { candidates[userID]?.rating = rating }
            let matches = Matcher.rank(Array(candidates.values), for: needs, recent: times).matches
            let kth = matches.count >= top ? matches[top - 1].score : -Double.infinity
            // Unread in this tier: at most the last one read (without reviews: the unread have none).
            var aheadOfTier = true
            if read.count == limit, let last = read.last.flatMap({ candidates[$0.candidate.userID] }) {
                var unrated = last
                unrated.rating = nil
                unrated.isMember = true
                let bound = Matcher.rank([unrated], for: needs, recent: times).matches.first?.score ?? Matcher.score(unrated, for: needs).score
                aheadOfTier = kth > bound + 1e-6
            }
            // Unread in the next tiers: at most the best score with one required skill fewer.
            let aheadOfNext = atLeast == 1 || kth > Self.bestScore(needs, holding: atLeast - 1) + 1e-6
            if aheadOfTier && aheadOfNext { return Array(matches.prefix(top)) }
            if !aheadOfTier { limit *= 4 }
            if !aheadOfNext { atLeast -= 1 }
        }
    }

    /// The best score anyone holding `held` of the required skills could have, without reviews or nudge.
    static func bestScore(_ needs: Matcher.MissionNeeds, holding held: Int) -> Double {
        let ideal = Matcher.Candidate(userID: UUID(), chapter: needs.restrictedTo ?? needs.chapter, city: needs.city,
                                      skills: Set(needs.required.prefix(held).map(\.slug) + needs.niceToHave.map(\.slug)),
                                      profession: needs.profession ?? "", causes: needs.causes, rateMin: 0)
        return Matcher.score(ideal, for: needs).score
    }

    /// Members holding a required skill whom the hard filters leave out, with why (for staff), by id.
    func excluded(for needs: Matcher.MissionNeeds, limit: Int) async throws -> [(UUID, Matcher.Exclusion)] {
        guard !needs.required.isEmpty else { return [] }
        let rows = try await sqlDatabase.raw("""
            SELECT \(profileColumns()) FROM profiles p JOIN users u ON u.id = p.user_id
            WHERE p.user_id IN (SELECT user_id FROM profile_skills WHERE slug IN (\(binds: needs.required.map(\.slug))))
            AND NOT (\(filters(needs))) ORDER BY p.user_id LIMIT \(bind: limit)
            """).all()
        var candidates = Dictionary(try rows.map { let c = try Matcher.Candidate(profileRow: $0); return (c.userID, c) }, uniquingKeysWith: { a, _ in a })
        try await complete(&candidates, needs: needs)
        return candidates.values.compactMap { c in Matcher.exclusion(c, for: needs).map { (c.userID, $0) } }.sorted { $0.0.uuidString < $1.0.uuidString }
    }

    /// Everyone holding a required skill, filtered or not, with what `Matcher` needs to know of them.
    func candidates(for needs: Matcher.MissionNeeds) async throws -> [Matcher.Candidate] {
        guard !needs.required.isEmpty else { return [] }
        let rows = try await sqlDatabase.raw("""
            SELECT \(profileColumns()) FROM profiles p JOIN users u ON u.id = p.user_id
            WHERE p.user_id IN (SELECT user_id FROM profile_skills WHERE slug IN (\(binds: needs.required.map(\.slug))))
            """).all()
        var candidates = Dictionary(try rows.map { let c = try Matcher.Candidate(profileRow: $0); return (c.userID, c) }, uniquingKeysWith: { a, _ in a })
        try await complete(&candidates, needs: needs)
        for (userID, rating) in try await Reviewing(database: database, now: Date()).averages() { candidates[userID]?.rating = rating }
        return Array(candidates.values)
    }

    /// How often each member was suggested lately (what `best` counts in SQL; for checks and tests).
    func recentCounts(_ recent: Recent) async throws -> [UUID: Int] {
        var query = sqlDatabase.select().column("user_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from(MissionSuggestion.schema).where("created_at", .greaterThanOrEqual, recent.since)
        if let mission = recent.excluding { query = query.where("mission_id", .notEqual, mission) }
        var counts: [UUID: Int] = [:]
        for row in try await query.groupBy("user_id").all() { counts[try row.decode(column: "user_id", as: UUID.self)] = try row.decode(column: "n", as: Int.self) }
        return counts
    }

    private var sqlDatabase: any SQLDatabase { database as! any SQLDatabase }

    private func profileColumns(withRole: Bool = true) -> SQLQueryString {
        let columns: SQLQueryString = "p.user_id, p.availability, p.available_from, p.home_chapter_id, p.city, p.work_mode, p.profession, p.visibility, p.day_rate_min"
        return withRole ? "\(columns), u.role" : columns
    }

    /// `Matcher.exclusion` in SQL (the required skill aside: the queries start from its holders). The
    /// role needs the users table; `best` reads it for the few it keeps only (only members have profiles,
    /// and reading 10,000 users rows to learn it would cost more than the rest).
    private func filters(_ needs: Matcher.MissionNeeds, withRole: Bool = true) -> SQLQueryString {
        var sql: SQLQueryString = "p.visibility <> \(bind: Profile.Visibility.hidden.rawValue) AND p.availability <> 'not'"
        if withRole { sql = "u.role IN (\(binds: [Role.member.rawValue, Role.admin.rawValue])) AND \(sql)" }
        if let chapter = needs.restrictedTo { sql = "\(sql) AND p.home_chapter_id IS NOT NULL AND p.home_chapter_id = \(bind: chapter)" }
        if needs.workMode != .remote {
            if needs.workMode == .onsite { sql = "\(sql) AND p.work_mode <> 'remote'" }
            let sameCity: SQLQueryString = "p.city_key = \(bind: Taxonomy.fold(needs.city))"
            if let chapter = needs.chapter {
                sql = "\(sql) AND ((p.home_chapter_id IS NOT NULL AND p.home_chapter_id = \(bind: chapter)) OR \(sameCity))"
            } else {
                sql = "\(sql) AND \(sameCity)"
            }
        }
        return sql
    }

    /// `Matcher.score` in SQL, less the reviews' bonus, less the sharing nudge; factor by factor in the same order.
    private func score(_ needs: Matcher.MissionNeeds) -> SQLQueryString {
        typealias W = Matcher.Weight
        var sql: SQLQueryString = "\(bind: W.required / Double(needs.required.count)) * r.matched"
        if !needs.niceToHave.isEmpty {
            sql = """
                \(sql) + \(bind: W.niceToHave / Double(needs.niceToHave.count)) * (SELECT COUNT(*) FROM profile_skills ns \
                WHERE ns.user_id = p.user_id AND ns.slug IN (\(binds: needs.niceToHave.map(\.slug))))
                """
        }
        if let profession = needs.profession {
            sql = "\(sql) + CASE WHEN p.profession = \(bind: profession) THEN \(bind: W.profession) ELSE 0 END"
        }
        if !needs.causes.isEmpty {
            let counted = Double(min(3, needs.causes.count))
            sql = """
                \(sql) + \(bind: W.causes) * \(unsafeRaw: least)(1.0, (SELECT COUNT(*) FROM profile_causes pc \
                WHERE pc.user_id = p.user_id AND pc.cause IN (\(binds: needs.causes.sorted()))) / \(bind: counted))
                """
        }
        var samePlace: [SQLQueryString] = []
        if let chapter = needs.chapter { samePlace.append("(p.home_chapter_id IS NOT NULL AND p.home_chapter_id = \(bind: chapter))") }
        if !needs.city.isEmpty { samePlace.append("p.city_key = \(bind: Taxonomy.fold(needs.city))") }
        if !samePlace.isEmpty {
            sql = "\(sql) + CASE WHEN \(SQLList(samePlace, separator: SQLRaw(" OR "))) THEN \(bind: W.place) ELSE 0 END"
        }
        sql = """
            \(sql) + CASE WHEN p.availability = 'now' THEN \(bind: W.availability) WHEN p.available_from IS NULL THEN 0 \
            WHEN p.available_from <= \(bind: needs.startsOn) THEN \(bind: W.availability) ELSE \(bind: W.availability / 3) END
            """
        if let rates = needs.rates {
            sql = "\(sql) + CASE WHEN p.day_rate_min IS NOT NULL AND p.day_rate_min <= \(bind: rates.upperBound) THEN \(bind: W.rate) ELSE 0 END"
        }
        return """
            \(sql) - \(unsafeRaw: least)(\(bind: Matcher.maximumNudge), \(bind: Matcher.nudgePerSuggestion) * COALESCE(s.times, 0))
            """
    }

    /// SQLite's two-argument `MIN` is PostgreSQL's `LEAST`.
    private var least: String { sqlDatabase.dialect.name == "sqlite" ? "MIN" : "LEAST" }

    /// Members who pass the filters with their score, best first: `limit` of them, or all of `only`;
    /// among those holding at least `atLeast` required skills. Each comes with their role and which of
    /// the mission's skills and causes they hold, ready for `Matcher`. `rarest`: the required skills,
    /// the one fewest hold first (`byRarity`, read once per ranking).
    private func scored(_ needs: Matcher.MissionNeeds, rarest: [String], recent: Recent, only: [UUID]?, atLeast: Int,
                        limit: Int?) async throws -> [(candidate: Matcher.Candidate, times: Int)] {
        var recentSQL: SQLQueryString = "SELECT user_id, COUNT(*) AS times FROM mission_suggestions WHERE created_at >= \(bind: recent.since)"
        if let mission = recent.excluding { recentSQL = "\(recentSQL) AND mission_id <> \(bind: mission)" }
        let slugs = needs.required.map(\.slug)
        var holders: SQLQueryString
        if atLeast >= slugs.count {
            // Holders of the rarest skill who hold each other one: an index lookup each, no grouping. The
            // order is fixed (`CROSS JOIN`, SQLite's way; PostgreSQL plans it as the inner join it is):
            // else SQLite, which knows nothing of how many hold a skill, starts from the first written
            // and reads each holder's profile before checking the other skills (55 ms against 17 at
            // 100,000 members for facilitation, 17,288 holders, and carbon accounting, 5,785).
            holders = "SELECT s0.user_id AS user_id, \(literal: slugs.count) AS matched FROM profile_skills s0"
            for index in rarest.indices.dropFirst() {
                holders = "\(holders) CROSS JOIN profile_skills s\(unsafeRaw: String(index))"
            }
            holders = "\(holders) WHERE s0.slug = \(bind: rarest[0])"
            for (index, slug) in rarest.enumerated().dropFirst() {
                holders = "\(holders) AND s\(unsafeRaw: String(index)).user_id = s0.user_id AND s\(unsafeRaw: String(index)).slug = \(bind: slug)"
            }
        } else {
            holders = "SELECT user_id, COUNT(*) AS matched FROM profile_skills WHERE slug IN (\(binds: slugs)) GROUP BY user_id"
            if atLeast > 1 { holders = "\(holders) HAVING COUNT(*) >= \(literal: atLeast)" }
        }
        var sql: SQLQueryString = """
            SELECT \(profileColumns(withRole: false)), COALESCE(s.times, 0) AS times, \(score(needs)) AS score
            FROM (\(holders)) r CROSS JOIN profiles p
            LEFT JOIN (\(recentSQL) GROUP BY user_id) s ON s.user_id = p.user_id
            WHERE p.user_id = r.user_id AND \(filters(needs, withRole: false))
            """
        if let only { sql = "\(sql) AND p.user_id IN (\(binds: only))" }
        sql = "\(sql) ORDER BY score DESC, p.user_id"
        if let limit { sql = "\(sql) LIMIT \(bind: limit)" }
        // What `Matcher` explains, for the few read only, in the same statement: the role, and which of
        // the mission's skills and causes each holds (slugs and causes hold no comma).
        let joined = sqlDatabase.dialect.name == "sqlite" ? "group_concat" : "string_agg"
        let slugsAndNice = (needs.required + needs.niceToHave).map(\.slug)
        var held: SQLQueryString = """
            (SELECT u.role FROM users u WHERE u.id = x.user_id) AS role, \
            (SELECT \(unsafeRaw: joined)(ms.slug, ',') FROM profile_skills ms WHERE ms.user_id = x.user_id AND ms.slug IN (\(binds: slugsAndNice))) AS held_skills
            """
        if !needs.causes.isEmpty {
            held = "\(held), (SELECT \(unsafeRaw: joined)(mc.cause, ',') FROM profile_causes mc WHERE mc.user_id = x.user_id AND mc.cause IN (\(binds: needs.causes.sorted()))) AS held_causes"
        }
        return try await sqlDatabase.raw("SELECT x.*, \(held) FROM (\(sql)) x ORDER BY x.score DESC, x.user_id").all().map { row in
            var candidate = try Matcher.Candidate(profileRow: row)
            candidate.skills = Set((try row.decode(column: "held_skills", as: String?.self) ?? "").split(separator: ",").map(String.init))
            if row.contains(column: "held_causes") {
                candidate.causes = Set((try row.decode(column: "held_causes", as: String?.self) ?? "").split(separator: ",").map(String.init))
            }
            return (candidate, try row.decode(column: "times", as: Int.self))
        }
    }

    /// `slugs`, the one fewest members hold first.
    private func byRarity(_ slugs: [String]) async throws -> [String] {
        guard slugs.count > 1 else { return slugs }
        var counts: SQLQueryString = "SELECT "
        for (index, slug) in slugs.enumerated() {
            counts = counts + (index == 0 ? "" : ", ") + "(SELECT COUNT(*) FROM profile_skills WHERE slug = \(bind: slug)) AS c\(unsafeRaw: String(index))"
        }
        guard let row = try await sqlDatabase.raw(counts).first() else { return slugs }
        let held = try slugs.indices.map { try row.decode(column: "c\($0)", as: Int.self) }
        return slugs.indices.sorted { held[$0] != held[$1] ? held[$0] < held[$1] : $0 < $1 }.map { slugs[$0] }
    }

    /// The candidates' skills among the mission's, and their causes among its causes.
    private func complete(_ candidates: inout [UUID: Matcher.Candidate], needs: Matcher.MissionNeeds) async throws {
        let ids = Array(candidates.keys)
        guard !ids.isEmpty else { return }
        let slugs = (needs.required + needs.niceToHave).map(\.slug)
        for chunk in stride(from: 0, to: ids.count, by: 5000).map({ Array(ids[$0..<min(ids.count, $0 + 5000)]) }) {
            for row in try await sqlDatabase.select().column("user_id").column("slug").from(ProfileSkill.schema)
                .where("user_id", .in, chunk).where("slug", .in, slugs).all() {
                candidates[try row.decode(column: "user_id", as: UUID.self)]?.skills.insert(try row.decode(column: "slug", as: String.self))
            }
            if !needs.causes.isEmpty {
                for row in try await sqlDatabase.select().column("user_id").column("cause").from(ProfileCause.schema)
                    .where("user_id", .in, chunk).where("cause", .in, Array(needs.causes)).all() {
                    candidates[try row.decode(column: "user_id", as: UUID.self)]?.causes.insert(try row.decode(column: "cause", as: String.self))
                }
            }
        }
    }
}
