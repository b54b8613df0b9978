import Fluent
import Foundation
import SQLKit

/// A directory search: filters, sort and page. The page is two indexed queries whatever the number
/// of members; the total and facet counts (a handful of groupings) are kept a short while per filter.
struct DirectoryQuery: Sendable {
    enum Sort: String, Sendable, CaseIterable { case relevance, newest, active }

    var text = ""
    var chapter: UUID?
    var profession: String?
    var skill: String?
    var cause: String?
    var availability: String?
    var sort: Sort = .relevance
    var page = 1
    static let perPage = 24
    /// Text searches rank their best matches inside the index for the first pages (see `page`).
    static let rankedInsideIndexUpTo = 480

    struct Hit: Sendable {
        let userID: UUID
        let name: String
        let headline: String
        let city: String
        let profession: String
        let chapterName: String?
        let availability: String
    }

    struct Facet: Sendable, Equatable {
        let value: String
        let label: String?
        let count: Int
    }

    /// What the totals and facet counts depend on: everything but the sort and the page.
    struct Filter: Hashable, Sendable {
        let terms: [String]
        let chapter: UUID?
        let profession: String?
        let skill: String?
        let cause: String?
        let availability: String?
    }

    /// How many members match, and the facet counts among them.
    struct Summary: Sendable {
        let total: Int
        let facets: [String: [Facet]]
    }

    /// One page of members, with each one's skills.
    struct Page: Sendable {
        let hits: [Hit]
        let skills: [UUID: [String]]
    }

    var filter: Filter {
        Filter(terms: DirectoryIndexes.terms(text), chapter: chapter, profession: profession, skill: skill, cause: cause, availability: availability)
    }

    /// FROM and WHERE shared by the page, the count and the facets. Profiles lead, users follow by id:
    /// SQLite (3.54) would otherwise start from `users_role_idx` for the role, read every member and
    /// sort them all for a page of 24 (70 ms at 50,000 members). `CROSS JOIN` is SQLite's documented way
    /// to fix the order of two tables; PostgreSQL plans it as the inner join it is.
    private static func filtered(_ filter: Filter, _ index: any DirectoryIndex, best: Int? = nil) -> SQLQueryString {
        var sql: SQLQueryString = "FROM profiles p "
        if !filter.terms.isEmpty { sql = sql + index.matchJoin(filter.terms, best: best) + " " }
        sql = sql + "CROSS JOIN users u WHERE u.id = p.user_id AND p.visibility <> 'hidden' AND u.role IN ('member', 'admin')"
        if let chapter = filter.chapter { sql = sql + " AND p.home_chapter_id = \(bind: chapter)" }
        if let profession = filter.profession { sql = sql + " AND p.profession = \(bind: profession)" }
        if let availability = filter.availability { sql = sql + " AND p.availability = \(bind: availability)" }
        if let skill = filter.skill { sql = sql + " AND p.user_id IN (SELECT user_id FROM profile_skills WHERE slug = \(bind: skill))" }
        if let cause = filter.cause { sql = sql + " AND p.user_id IN (SELECT user_id FROM profile_causes WHERE cause = \(bind: cause))" }
        return sql
    }

    /// The requested page, read off an index for the "newest" and "recently active" orders, in one
    /// statement: the page's members are chosen first, then only those 24 get their chapter's name and
    /// their skills (each list in one column, in name order).
    func page(on db: any Database, rankingInsideIndex: Bool = true) async throws -> Page {
        let sql = db as! any SQLDatabase
        let index = DirectoryIndexes.forDatabase(sql)
        let filter = self.filter
        // The order as two columns, `o1` then `o2`, so that the outer statement can sort the page again.
        let (first, direction, second): (SQLQueryString, String, SQLQueryString) = switch sort {
        case .relevance where !filter.terms.isEmpty: ("m.rank", index.rankDirection, "m.tie")
        case .relevance, .newest: ("p.joined_at", "DESC", "p.user_id")
        case .active: ("p.last_active_at", "DESC NULLS LAST", "p.user_id")
        }
        let offset = (page - 1) * Self.perPage
        func statement(_ from: SQLQueryString) -> SQLQueryString {
            let joined = sql.dialect.name == "sqlite" ? "group_concat" : "string_agg"
            return """
                SELECT x.*, (SELECT c.name FROM chapters c WHERE c.id = x.chapter_id) AS chapter_name,
                       (SELECT \(unsafeRaw: joined)(s.label, \(bind: String(Self.separator)) ORDER BY s.label) FROM profile_skills s WHERE s.user_id = x.user_id) AS skills
                FROM (SELECT p.user_id AS user_id, u.name AS name, p.headline AS headline, p.city AS city, p.profession AS profession,
                             p.home_chapter_id AS chapter_id, p.availability AS availability, \(first) AS o1, \(second) AS o2
                      \(from) ORDER BY o1 \(unsafeRaw: direction), o2 DESC
                      LIMIT \(unsafeRaw: String(Self.perPage)) OFFSET \(unsafeRaw: String(offset))) x
                ORDER BY x.o1 \(unsafeRaw: direction), x.o2 DESC
                """
        }
        var rows: [any SQLRow]?
        if rankingInsideIndex, sort == .relevance, !filter.terms.isEmpty, offset < Self.rankedInsideIndexUpTo {
            // The best matches first, ranked inside the index (a few thousand match a common word): a page
            // among those that pass the filters is the true page when it is full, as they are the
            // beginning of the whole list in the same order. Else the whole list is ranked.
            let best = try await sql.raw(statement(Self.filtered(filter, index, best: offset + Self.perPage * 3))).all()
            if best.count == Self.perPage { rows = best }
        }
        if rows == nil {
            rows = try await sql.raw(statement(Self.filtered(filter, index))).all()
        }
        var skills: [UUID: [String]] = [:]
        let hits = try (rows ?? []).map { row in
            let hit = Hit(userID: try row.decode(column: "user_id", as: UUID.self), name: try row.decode(column: "name", as: String.self),
                          headline: try row.decode(column: "headline", as: String.self), city: try row.decode(column: "city", as: String.self),
                          profession: try row.decode(column: "profession", as: String.self), chapterName: try row.decode(column: "chapter_name", as: String?.self),
                          availability: try row.decode(column: "availability", as: String.self))
            skills[hit.userID] = (try row.decode(column: "skills", as: String?.self) ?? "").split(separator: Self.separator).map(String.init)
            return hit
        }
        return Page(hits: hits, skills: skills)
    }

    /// Between a card's skills in their one column: no label holds it.
    private static let separator: Character = "\u{1F}"

    /// The total and the facet counts for `filter`: one grouping per facet over the matching members.
    /// At tens of thousands of members this reads them all, hence `Application.directorySummaries`.
    static func summary(_ filter: Filter, on db: any Database) async throws -> Summary {
        let sql = db as! any SQLDatabase
        let from = filtered(filter, DirectoryIndexes.forDatabase(sql))
        let total = try await sql.raw("SELECT COUNT(*) AS n \(from)").first()?.decode(column: "n", as: Int.self) ?? 0
        var facets: [String: [Facet]] = [:]
        guard total > 0 else { return Summary(total: 0, facets: facets) }
        for (name, column) in [("chapter", "p.home_chapter_id"), ("profession", "p.profession"), ("availability", "p.availability")] {
            let grouped = try await sql.raw("SELECT \(unsafeRaw: column) AS v, COUNT(*) AS n \(from) AND \(unsafeRaw: column) IS NOT NULL GROUP BY \(unsafeRaw: column) ORDER BY n DESC LIMIT 30").all()
            facets[name] = try grouped.map { row in
                let value = name == "chapter" ? try row.decode(column: "v", as: UUID.self).uuidString : try row.decode(column: "v", as: String.self)
                return Facet(value: value, label: nil, count: try row.decode(column: "n", as: Int.self))
            }
        }
        let skillRows = try await sql.raw("""
            SELECT s.slug AS v, MIN(s.label) AS label, COUNT(*) AS n FROM profile_skills s
            WHERE s.user_id IN (SELECT p.user_id \(from)) GROUP BY s.slug ORDER BY n DESC, s.slug LIMIT 15
            """).all()
        facets["skill"] = try skillRows.map { Facet(value: try $0.decode(column: "v", as: String.self), label: try $0.decode(column: "label", as: String.self), count: try $0.decode(column: "n", as: Int.self)) }
        let causeRows = try await sql.raw("""
            SELECT c.cause AS v, COUNT(*) AS n FROM profile_causes c
            WHERE c.user_id IN (SELECT p.user_id \(from)) GROUP BY c.cause ORDER BY n DESC, c.cause LIMIT 30
            """).all()
        facets["cause"] = try causeRows.map { Facet(value: try $0.decode(column: "v", as: String.self), label: nil, count: try $0.decode(column: "n", as: Int.self)) }
        return Summary(total: total, facets: facets)
    }
}
