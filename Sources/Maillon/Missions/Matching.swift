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
    /// A member as a profiles-join-users row gives them (user_id, availability, available_from,
    /// home_chapter_id, city, work_mode, profession, visibility, day_rate_min, role); skills, causes
    /// and reviews are added by the caller.
    init(profileRow row: any SQLRow) throws {
        let role = Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .applicant
        self.init(userID: try row.decode(column: "user_id", as: UUID.self), isMember: role == .member || role == .admin,
                  hidden: try row.decode(column: "visibility", as: String.self) == Profile.Visibility.hidden.rawValue,
                  availability: try row.decode(column: "availability", as: String.self),
                  availableFrom: try row.decode(column: "available_from", as: Date?.self),
                  chapter: try row.decode(column: "home_chapter_id", as: UUID?.self), city: try row.decode(column: "city", as: String.self),
                  workMode: try row.decode(column: "work_mode", as: String.self), profession: try row.decode(column: "profession", as: String.self),
                  rateMin: try row.decode(column: "day_rate_min", as: Int?.self))
    }
}

/// Reads a mission's needs and its candidates (members with at least one of its required skills) in
/// four queries, whatever the number of members.
struct MatchingQuery {
    let database: any Database

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

    func candidates(for needs: Matcher.MissionNeeds) async throws -> [Matcher.Candidate] {
        let slugs = needs.required.map(\.slug)
        guard !slugs.isEmpty else { return [] }
        let sql = database as! any SQLDatabase
        let holders = SQLSubquery.select { $0.column("user_id").from(ProfileSkill.schema).where("slug", .in, slugs) }
        let rows = try await sql.select()
            .column(SQLColumn("user_id", table: "p")).column(SQLColumn("availability", table: "p")).column(SQLColumn("available_from", table: "p"))
            .column(SQLColumn("home_chapter_id", table: "p")).column(SQLColumn("city", table: "p")).column(SQLColumn("work_mode", table: "p"))
            .column(SQLColumn("profession", table: "p")).column(SQLColumn("visibility", table: "p")).column(SQLColumn("day_rate_min", table: "p"))
            .column(SQLColumn("role", table: "u"))
            .from(SQLAlias(SQLIdentifier(Profile.schema), as: SQLIdentifier("p")))
            .join(SQLAlias(SQLIdentifier(User.schema), as: SQLIdentifier("u")), on: SQLColumn("id", table: "u"), .equal, SQLColumn("user_id", table: "p"))
            .where(SQLColumn("user_id", table: "p"), .in, holders)
            .all()
        var candidates: [UUID: Matcher.Candidate] = [:]
        for row in rows {
            let candidate = try Matcher.Candidate(profileRow: row)
            candidates[candidate.userID] = candidate
        }
        for row in try await sql.select().column("user_id").column("slug").from(ProfileSkill.schema).where("user_id", .in, holders).all() {
            candidates[try row.decode(column: "user_id", as: UUID.self)]?.skills.insert(try row.decode(column: "slug", as: String.self))
        }
        for (userID, rating) in try await Reviewing(database: database, now: Date()).averages() { candidates[userID]?.rating = rating }
        if !needs.causes.isEmpty {
            for row in try await sql.select().column("user_id").column("cause").from(ProfileCause.schema).where("user_id", .in, holders)
                .where("cause", .in, Array(needs.causes)).all() {
                candidates[try row.decode(column: "user_id", as: UUID.self)]?.causes.insert(try row.decode(column: "cause", as: String.self))
            }
        }
        return Array(candidates.values)
    }
}
