import Fluent
import Foundation
import SQLKit
import Vapor

/// The radar's list kept between readings, so that reading it costs the people listed, not the
/// chapter's thousands: a look at a chapter computes every watched member's signals and keeps those
/// with any (`radar_entries`) and how many were watched (`radar_looks`). A periodic job looks at every
/// chapter each hour; a check-in or a cancelled registration looks at that member at once. The
/// ambassadors' list checks the people kept against their facts of the moment, so someone whose
/// signals stopped leaves it at once; the admins' counts are those of the last look.
struct RadarWatch {
    let db: any Database
    let now: Date
    let thresholds: RadarThresholds

    init(db: any Database, now: Date, thresholds: RadarThresholds) {
        self.db = db
        self.now = now
        self.thresholds = thresholds
    }

    init(_ req: Request) {
        self.init(db: req.db, now: req.now, thresholds: req.maillon.settings.radar)
    }

    private var loader: RadarFactsLoader { RadarFactsLoader(db: db as! any SQLDatabase, now: now) }

    static func code(_ signals: [RadarSignal]) -> String { signals.map { String($0.sortOrder) }.joined(separator: ",") }

    /// Looks at every member of `chapter` again and replaces what was kept of it.
    func look(at chapter: UUID) async throws {
        let facts = try await loader.facts(chapter: chapter)
        let entries = facts.compactMap { entry(for: $0, in: chapter) }
        try await db.transaction { db in
            try await db.lockRow(of: Chapter.schema, id: chapter, touching: "name")
            try await RadarEntry.query(on: db).filter(\.$chapter.$id == chapter).delete()
            // Someone who moved chapters since the last look is kept under their new one only.
            let ids = entries.map(\.$user.id)
            for start in stride(from: 0, to: ids.count, by: 500) {
                try await RadarEntry.query(on: db).filter(\.$user.$id ~~ Array(ids[start..<min(start + 500, ids.count)])).delete()
            }
            for start in stride(from: 0, to: entries.count, by: 200) {
                try await Array(entries[start..<min(start + 200, entries.count)]).create(on: db)
            }
            let look = try await RadarLook.query(on: db).filter(\.$chapter.$id == chapter).first() ?? RadarLook()
            look.$chapter.id = chapter
            look.watched = facts.count
            look.lookedAt = now
            try await look.save(on: db)
        }
    }

    /// What to keep of one member: their signals now, or nil when there are none.
    private func entry(for facts: RadarFacts, in chapter: UUID) -> RadarEntry? {
        let signals = Radar.signals(facts, now: now, thresholds: thresholds)
        guard !signals.isEmpty else { return nil }
        let entry = RadarEntry()
        entry.$user.id = facts.userID
        entry.$chapter.id = chapter
        entry.signals = Self.code(signals)
        entry.computedAt = now
        return entry
    }

    /// Looks at every chapter, one at a time (each in its own short transaction).
    func lookAtEveryChapter() async throws -> Int {
        let chapters = try await Chapter.query(on: db).all(\.$id)
        for chapter in chapters { try await look(at: chapter) }
        return chapters.count
    }

    /// Looks at one member again (after their check-in or a cancellation): on the list or off it now.
    func look(atMember userID: UUID) async throws {
        let facts = try await loader.facts(watched: userID)
        let chapter = facts?.homeChapter
        try await db.transaction { db in
            // The chapter's row, as the hourly look takes it: one after the other, never two rows for one person.
            if let chapter { try await db.lockRow(of: Chapter.schema, id: chapter, touching: "name") }
            try await RadarEntry.query(on: db).filter(\.$user.$id == userID).delete()
            if let facts, let chapter, let entry = entry(for: facts, in: chapter) { try await entry.create(on: db) }
        }
    }

    /// The last look's figures for some chapters (nil: every chapter): members watched, people
    /// listed, and how many showed each kind of signal (by `RadarSignal.sortOrder`).
    struct Counts: Sendable {
        var watched = 0
        var listed = 0
        var byKind = [0, 0, 0, 0]
        var lookedAt: Date?
    }

    static func counts(chapters: [UUID]?, on db: any Database) async throws -> [UUID: Counts] {
        var counts: [UUID: Counts] = [:]
        let looks = try await (chapters.map { RadarLook.query(on: db).filter(\.$chapter.$id ~~ $0) } ?? RadarLook.query(on: db)).all()
        for look in looks {
            counts[look.$chapter.id, default: Counts()].watched = look.watched
            counts[look.$chapter.id, default: Counts()].lookedAt = look.lookedAt
        }
        let sql = db as! any SQLDatabase
        let only: SQLQueryString = chapters.map { $0.isEmpty ? "WHERE 1 = 0" : "WHERE chapter_id IN (\(binds: $0))" } ?? ""
        for row in try await sql.raw("SELECT chapter_id, signals, COUNT(*) AS n FROM \(ident: RadarEntry.schema) \(only) GROUP BY chapter_id, signals").all() {
            let chapter = try row.decode(column: "chapter_id", as: UUID.self), n = try row.decode(column: "n", as: Int.self)
            counts[chapter, default: Counts()].listed += n
            for kind in try row.decode(column: "signals", as: String.self).split(separator: ",").compactMap({ Int($0) }) where (0..<4).contains(kind) {
                counts[chapter, default: Counts()].byKind[kind] += n
            }
        }
        return counts
    }
}

/// Each hour, the radar looks at every chapter again (people drift by the passing of time).
struct RadarLookJob: Job {
    static let kind = "radar-look"

    func run(_ context: JobContext) async throws {
        let chapters = try await RadarWatch(db: context.db, now: context.now, thresholds: context.maillon.settings.radar).lookAtEveryChapter()
        context.logger.info("radar looked at every chapter", metadata: ["chapters": "\(chapters)"])
    }
}
