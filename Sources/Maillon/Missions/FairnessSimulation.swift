import Fluent
import Foundation
import SQLKit
import Vapor

/// How the sharing nudge spreads opportunities: missions are ranked one after another on the same
/// members, each top ten counted as `Suggestions` records them, with and without the nudge.
/// Reported: the share of all top-ten places held by the 10 % most-suggested members, and the mean
/// required-skill coverage of the top tens (what the nudge costs in fit).
enum FairnessSimulation {
    struct Result: Sendable, Equatable {
        let concentration: Double
        let coverage: Double
        let membersSuggested: Int
    }

    static func run(_ candidates: [Matcher.Candidate], missions: [Matcher.MissionNeeds], nudge: Double, cap: Double = Matcher.maximumNudge,
                    top: Int = Suggestions.told) -> Result {
        var counts: [UUID: Int] = [:]
        var coverage = 0.0, places = 0
        for needs in missions {
            for match in Matcher.rank(candidates, for: needs, recent: counts, nudge: nudge, cap: cap).matches.prefix(top) {
                counts[match.userID, default: 0] += 1
                if case let .requiredSkills(matched, total) = match.factors.first {
                    coverage += Double(matched.count) / Double(max(1, total))
                }
                places += 1
            }
        }
        let tenth = max(1, candidates.count / 10)
        let heldByTopTenth = counts.values.sorted(by: >).prefix(tenth).reduce(0, +)
        return Result(concentration: places == 0 ? 0 : Double(heldByTopTenth) / Double(places),
                      coverage: places == 0 ? 0 : coverage / Double(places), membersSuggested: counts.count)
    }

    /// `count` believable missions (deterministic): two or three required skills of one profession,
    /// sometimes a nice-to-have, a chapter, on site / hybrid / remote, a day-rate budget.
    static func missions(_ count: Int, chapters: [(id: UUID, city: String)], seed: UInt64 = 2026) -> [Matcher.MissionNeeds] {
        var random = DemoCommunity.Generator(state: seed)
        let professions = Array(DemoCommunity.skillsByProfession.keys).sorted()
        return (0..<count).map { _ in
            let profession = random.pick(professions)
            let pool = Taxonomy.normaliseSkills((DemoCommunity.skillsByProfession[profession] ?? []).joined(separator: ","))
            var required: [Matcher.Skill] = []
            for _ in 0..<(2 + Int(random.next() % 2)) {
                let skill = random.pick(pool)
                if !required.contains(where: { $0.slug == skill.slug }) { required.append(.init(slug: skill.slug, label: skill.label)) }
            }
            let nice = random.chance(50) ? [random.pick(pool)].filter { skill in !required.contains { $0.slug == skill.slug } }.map { Matcher.Skill(slug: $0.slug, label: $0.label) } : []
            let place = random.pick(chapters)
            let mode = random.pick([Mission.WorkMode.remote, .remote, .hybrid, .onsite])
            let low = 300 + Int(random.next() % 6) * 50
            return Matcher.MissionNeeds(required: required, niceToHave: nice, profession: random.chance(50) ? profession : nil,
                                        causes: Set([random.pick(Taxonomy.causes)]), chapter: place.id, city: place.city, workMode: mode,
                                        rates: low...(low + 200), startsOn: Date().addingTimeInterval(30 * 86400))
        }
    }

    /// Every member with a profile, as the matcher sees them, in three queries.
    static func members(on db: any Database) async throws -> [Matcher.Candidate] {
        let sql = db as! any SQLDatabase
        var candidates: [UUID: Matcher.Candidate] = [:]
        for row in try await sql.raw("""
            SELECT p.user_id, p.availability, p.available_from, p.home_chapter_id, p.city, p.work_mode, p.profession, p.visibility, p.day_rate_min, u.role
            FROM profiles p JOIN users u ON u.id = p.user_id
            """).all() {
            let candidate = try Matcher.Candidate(profileRow: row)
            candidates[candidate.userID] = candidate
        }
        for row in try await sql.raw("SELECT user_id, slug FROM profile_skills").all() {
            candidates[try row.decode(column: "user_id", as: UUID.self)]?.skills.insert(try row.decode(column: "slug", as: String.self))
        }
        for row in try await sql.raw("SELECT user_id, cause FROM profile_causes").all() {
            candidates[try row.decode(column: "user_id", as: UUID.self)]?.causes.insert(try row.decode(column: "cause", as: String.self))
        }
        return candidates.values.sorted { $0.userID.uuidString < $1.userID.uuidString }
    }
}

/// `maillon simulate-matching [--missions N]`: the sharing of opportunities, measured on this database's members.
struct SimulateMatchingCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "missions", help: "How many missions to rank (default 200)")
        var missions: Int?
        @Option(name: "nudge", help: "Points per recent suggestion (default: the one in use)")
        var nudge: Double?
        @Option(name: "cap", help: "Largest nudge in points (default: the one in use)")
        var cap: Double?
    }

    var help: String { "Measure how concentrated mission suggestions are, with and without the sharing nudge" }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await DatabaseSetup.prepare(context.application)
        try await context.application.autoMigrate()
        let db = context.application.db
        let members = try await FairnessSimulation.members(on: db)
        let chapters = try await Chapter.query(on: db).all().map { (id: $0.id ?? UUID(), city: $0.name) }
        guard !members.isEmpty, !chapters.isEmpty else {
            context.console.print("No members: run `maillon seed --members N` first.")
            return
        }
        let missions = FairnessSimulation.missions(max(1, min(signature.missions ?? 200, 10_000)), chapters: chapters)
        let without = FairnessSimulation.run(members, missions: missions, nudge: 0)
        let with = FairnessSimulation.run(members, missions: missions, nudge: signature.nudge ?? Matcher.nudgePerSuggestion, cap: signature.cap ?? Matcher.maximumNudge)
        func line(_ label: String, _ result: FairnessSimulation.Result) -> String {
            label + String(format: "  top 10 %% of members hold %.1f %% of the places · mean required coverage %.3f · %d members suggested",
                           result.concentration * 100, result.coverage, result.membersSuggested)
        }
        context.console.print("\(missions.count) missions, \(members.count) members, top \(Suggestions.told) each")
        context.console.print(line("without the nudge:", without))
        context.console.print(line("with the nudge:   ", with))
        context.console.print(String(format: "coverage cost: %.1f %%", without.coverage == 0 ? 0 : (1 - with.coverage / without.coverage) * 100))
    }
}

/// `maillon bench-matching [--missions N]`: how long ranking one mission against this database's
/// members takes (the candidates read, the reviews, the recent suggestions, the scoring), per mission.
struct BenchMatchingCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "missions", help: "How many generated missions to rank (default 200)")
        var missions: Int?
        @Flag(name: "check", help: "Also rank every candidate in Swift and say whether the two agree (slow)")
        var check: Bool
        @Flag(name: "slowest", help: "Also list the five slowest missions with what they ask")
        var slowest: Bool
    }

    var help: String { "Time the ranking of generated missions against the stored members (p50, p99)" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await DatabaseSetup.prepare(app)
        try await app.autoMigrate()
        let chapters = try await Chapter.query(on: app.db).all().map { (id: $0.id ?? UUID(), city: $0.name) }
        guard !chapters.isEmpty else {
            context.console.print("No members: run `maillon seed --members N` first.")
            return
        }
        let missions = FairnessSimulation.missions(max(1, min(signature.missions ?? 200, 10_000)), chapters: chapters, seed: 99)
        let query = MatchingQuery(database: app.db)
        let recent = MatchingQuery.Recent(since: app.maillon.time.now().addingTimeInterval(-Suggestions.memory), excluding: nil)
        let clock = ContinuousClock()
        var timings: [Double] = []
        for needs in missions {
            let took = try await clock.measure { _ = try await query.best(needs, top: Suggestions.told, recent: recent) }
            timings.append(Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15)
        }
        if signature.slowest {
            for (needs, took) in zip(missions, timings).sorted(by: { $0.1 > $1.1 }).prefix(5) {
                let holders = try await ProfileSkill.query(on: app.db).filter(\.$slug ~~ needs.required.map(\.slug)).count()
                context.console.print(String(format: "%.1f ms", took) + " · \(needs.required.map(\.slug)) nice \(needs.niceToHave.map(\.slug)) · \(needs.workMode.rawValue) · profession \(needs.profession ?? "-") · \(holders) skill rows")
            }
        }
        if signature.check {
            var differing = 0
            for needs in missions {
                let fast = try await query.best(needs, top: Suggestions.told, recent: recent).map(\.userID)
                let full = Matcher.rank(try await query.candidates(for: needs), for: needs, recent: try await query.recentCounts(recent)).matches.prefix(Suggestions.told).map(\.userID)
                if fast != full { differing += 1 }
            }
            context.console.print("checked against ranking every candidate: \(differing) of \(missions.count) missions differ")
        }
        timings.sort()
        func percentile(_ p: Double) -> Double { timings[min(timings.count - 1, Int(Double(timings.count) * p))] }
        let members = try await Profile.query(on: app.db).count()
        context.console.print("\(missions.count) missions against \(members) members, the best \(Suggestions.told) of each")
        context.console.print(String(format: "p50 %.1f ms · p99 %.1f ms · max %.1f ms", percentile(0.5), percentile(0.99), timings.last ?? 0))
    }
}
