import Fluent
import Foundation
import SQLKit
import Vapor

/// A calendar month in Paris time, as binômes and check-ins name it: `2026-11`.
enum Month {
    static func key(_ date: Date) -> String {
        let parts = Schedule.calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }

    /// The keys of the `count` months before `date`'s, newest first.
    static func previous(_ count: Int, before date: Date) -> [String] {
        let calendar = Schedule.calendar
        let start = calendar.date(from: calendar.dateComponents([.year, .month], from: date)) ?? date
        return (1...max(1, count)).compactMap { calendar.date(byAdding: .month, value: -$0, to: start) }.map(key)
    }
}

/// The monthly binômes' rule, as plain Swift. Pairs are made within a chapter first, then across
/// chapters (a call) for whoever is left; two people are never paired twice within `memory` months;
/// among the allowed partners, someone never met at an event comes first; an odd number leaves one
/// person who joins a pair, making one trio. The order is shuffled by `seed` (the month), so the
/// same people are not always served first.
struct Pairer {
    struct Candidate: Sendable, Equatable {
        let id: UUID
        let chapter: UUID?
    }

    struct Group: Sendable, Equatable {
        var members: [UUID]
        /// The chapter when all are from it; nil for a remote group.
        var chapter: UUID?
        /// No two of them ever attended the same event.
        var strangers: Bool
    }

    static let memory = 6

    /// Partners of the last `memory` months, each way.
    let recent: [UUID: Set<UUID>]
    /// People who attended the same event, as ordered pairs both ways.
    let met: Set<Pair>

    struct Pair: Hashable, Sendable {
        let a: UUID, b: UUID
        init(_ a: UUID, _ b: UUID) { (self.a, self.b) = a.uuidString < b.uuidString ? (a, b) : (b, a) }
    }

    func allowed(_ a: UUID, _ b: UUID) -> Bool { a != b && !(recent[a]?.contains(b) ?? false) }
    func strangers(_ a: UUID, _ b: UUID) -> Bool { !met.contains(Pair(a, b)) }

    func pair(_ candidates: [Candidate], seed: UInt64) -> [Group] {
        var generator = SplitMix(seed: seed)
        let shuffled = candidates.shuffled(using: &generator)
        var groups: [Group] = []
        var remote: [Candidate] = []
        let byChapter = Dictionary(grouping: shuffled.filter { $0.chapter != nil }, by: { $0.chapter })
        for chapter in byChapter.keys.compactMap({ $0 }).sorted(by: { $0.uuidString < $1.uuidString }) {
            let (made, left) = greedy(byChapter[chapter] ?? [])
            groups += made.map { Group(members: $0, chapter: chapter, strangers: strangers($0[0], $0[1])) }
            remote += left
        }
        remote += shuffled.filter { $0.chapter == nil }
        let chapterOf = Dictionary(candidates.map { ($0.id, $0.chapter) }, uniquingKeysWith: { a, _ in a })
        func group(_ a: UUID, _ b: UUID) -> Group {
            let chapter = chapterOf[a] ?? nil
            return Group(members: [a, b], chapter: chapter != nil && chapter == (chapterOf[b] ?? nil) ? chapter : nil, strangers: strangers(a, b))
        }
        var (made, left) = greedy(remote)
        groups += made.map { group($0[0], $0[1]) }
        made = []
        // Two or more left (the last ones had met recently): swap partners with a pair, so that only
        // an odd number ever makes a trio. A chapter's own pair is broken up only when no cross-chapter
        // pair will do: the binômes stay local wherever they can.
        func remoteFirst(_ indices: [Int]) -> [Int] { indices.filter { groups[$0].chapter == nil } + indices.filter { groups[$0].chapter != nil } }
        repair: while left.count >= 2 {
            for (i, x) in left.enumerated() {
                for (j, y) in left.enumerated() where j > i {
                    for index in remoteFirst(Array(groups.indices)) where groups[index].members.count == 2 {
                        let (a, b) = (groups[index].members[0], groups[index].members[1])
                        let swaps = [(a, b), (b, a)].filter { allowed(x.id, $0.0) && allowed(y.id, $0.1) }
                        guard let (p, q) = swaps.first else { continue }
                        groups[index] = group(x.id, p)
                        groups.append(group(y.id, q))
                        left.remove(at: j)
                        left.remove(at: i)
                        continue repair
                    }
                }
            }
            break
        }
        // Whoever is left joins a pair they may meet: the trio. In their chapter if possible, else a
        // cross-chapter pair, and another chapter's own pair only when nothing else will do.
        for person in left {
            let fits = remoteFirst(groups.indices.filter { index in groups[index].members.count == 2 && groups[index].members.allSatisfy { allowed(person.id, $0) } })
            guard let index = fits.first(where: { groups[$0].chapter == person.chapter && person.chapter != nil }) ?? fits.first else { continue }
            groups[index].members.append(person.id)
            if groups[index].chapter != person.chapter { groups[index].chapter = nil }
            groups[index].strangers = groups[index].strangers && groups[index].members.dropLast().allSatisfy { strangers(person.id, $0) }
        }
        return groups
    }

    /// Pairs the most constrained person first (the most recent partners among these people) with the
    /// first allowed partner, strangers before people already met; returns the pairs and whoever could
    /// not be paired. Quadratic in the number of people, whatever their history.
    private func greedy(_ people: [Candidate]) -> ([[UUID]], [Candidate]) {
        let here = Set(people.map(\.id))
        let constraint = Dictionary(people.map { ($0.id, recent[$0.id]?.intersection(here).count ?? 0) }, uniquingKeysWith: { a, _ in a })
        // A stable sort: among equals, the shuffled order stands.
        let order = people.enumerated().sorted { a, b in
            let (x, y) = (constraint[a.element.id] ?? 0, constraint[b.element.id] ?? 0)
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
        var taken = Set<UUID>()
        var pairs: [[UUID]] = []
        var left: [Candidate] = []
        for person in order where !taken.contains(person.id) {
            taken.insert(person.id)
            var fallback: Candidate?
            var chosen: Candidate?
            for other in order where !taken.contains(other.id) && allowed(person.id, other.id) {
                if strangers(person.id, other.id) { chosen = other; break }
                if fallback == nil { fallback = other }
            }
            guard let partner = chosen ?? fallback else { left.append(person); continue }
            taken.insert(partner.id)
            pairs.append([person.id, partner.id])
        }
        return (pairs, left)
    }
}

/// A small seeded generator: the same month shuffles the same way on every instance and in tests,
/// and the demo community is the same on every machine.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    init(state: UInt64) { self.state = state }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { next() % 100 < percent }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One month's round: reads who opted in, their recent partners and who met whom, pairs them with
/// `Pairer`, writes the binômes and tells everyone — in one transaction, once a month (a unique
/// index on `(user, month)` refuses a second round).
struct PairingRound {
    let application: Application?
    let db: any Database
    let now: Date

    struct Report: Sendable, Equatable {
        var groups = 0
        var paired = 0
        var optedIn = 0
        var strangers = 0
    }

    func run() async throws -> Report {
        let month = Month.key(now)
        let sql = db as! any SQLDatabase
        guard try await PairingMember.query(on: db).filter(\.$month == month).count() == 0 else { return Report() }
        var candidates: [Pairer.Candidate] = []
        for row in try await sql.raw("""
            SELECT p.user_id, p.home_chapter_id FROM profiles p JOIN users u ON u.id = p.user_id
            WHERE p.pairing_opt_in = \(bind: true) AND u.role = \(bind: Role.member.rawValue) ORDER BY p.user_id
            """).all() {
            candidates.append(.init(id: try row.decode(column: "user_id", as: UUID.self), chapter: try row.decode(column: "home_chapter_id", as: UUID?.self)))
        }
        var report = Report(optedIn: candidates.count)
        guard candidates.count >= 2 else { return report }
        var recent: [UUID: Set<UUID>] = [:]
        let months = Month.previous(Pairer.memory, before: now)
        for row in try await sql.raw("""
            SELECT a.user_id AS a, b.user_id AS b FROM pairing_members a JOIN pairing_members b ON a.pairing_id = b.pairing_id AND a.user_id <> b.user_id
            WHERE a.month IN (\(binds: months))
            """).all() {
            recent[try row.decode(column: "a", as: UUID.self), default: []].insert(try row.decode(column: "b", as: UUID.self))
        }
        var met = Set<Pairer.Pair>()
        for row in try await sql.raw("""
            SELECT DISTINCT a.user_id AS a, b.user_id AS b FROM event_registrations a
            JOIN event_registrations b ON a.event_id = b.event_id AND a.user_id < b.user_id
            JOIN profiles pa ON pa.user_id = a.user_id JOIN profiles pb ON pb.user_id = b.user_id
            WHERE a.attendance = \(bind: Registration.Attendance.attended.rawValue) AND b.attendance = \(bind: Registration.Attendance.attended.rawValue)
            AND pa.pairing_opt_in = \(bind: true) AND pb.pairing_opt_in = \(bind: true)
            """).all() {
            met.insert(.init(try row.decode(column: "a", as: UUID.self), try row.decode(column: "b", as: UUID.self)))
        }
        let seed = UInt64(month.replacingOccurrences(of: "-", with: "")) ?? 1
        let groups = Pairer(recent: recent, met: met).pair(candidates, seed: seed)
        let names = Dictionary(try await User.query(on: db).filter(\.$id ~~ groups.flatMap(\.members)).all().map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        try await db.transaction { db in
            for group in groups {
                let pairing = Pairing()
                pairing.month = month
                pairing.$chapter.id = group.chapter
                pairing.strangers = group.strangers
                pairing.createdAt = now
                try await pairing.create(on: db)
                for id in group.members {
                    let member = PairingMember()
                    member.$pairing.id = try pairing.requireID()
                    member.$user.id = id
                    member.month = month
                    member.outcome = .pending
                    try await member.create(on: db)
                }
                // The demo community's past months are written without telling anyone.
                guard let application else { continue }
                let notifier = Notifier(application: application, database: db, now: now)
                for id in group.members {
                    guard let user = names[id] else { continue }
                    for other in group.members where other != id {
                        guard let partner = names[other] else { continue }
                        try await notifier.notify(user, .init(
                            kind: .binome, textKey: group.chapter == nil ? "notify.binome_remote" : "notify.binome", arguments: [partner.name],
                            link: SiteURL.binomes,
                            mailNote: ("mail.binome_intro", [partner.name, application.maillon.settings.baseURL.absoluteString + SiteURL.member(other)]),
                            subject: other))
                    }
                }
            }
        }
        report.groups = groups.count
        report.paired = groups.reduce(0) { $0 + $1.members.count }
        report.strangers = groups.count { $0.strangers }
        return report
    }
}

/// On the first day of each month: the binômes of the month (once across instances, by the
/// scheduler's claim and the `(user, month)` index).
struct MonthlyPairingJob: Job {
    static let kind = "monthly-pairing"

    func run(_ context: JobContext) async throws {
        let report = try await PairingRound(application: context.application, db: context.db, now: context.now).run()
        context.logger.info("binômes of the month", metadata: ["groups": "\(report.groups)", "paired": "\(report.paired)", "opted_in": "\(report.optedIn)"])
    }
}
