import Fluent
import Foundation
import SQLKit

/// A directory search: filters, sort and page, run as a handful of indexed SQL queries
/// (the page, the total, one per facet) whatever the number of results.
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

    struct Hit: Sendable {
        let userID: UUID
        let name: String
        let headline: String
        let city: String
        let profession: String
        let chapterID: UUID?
        let availability: String
    }

    struct Facet: Sendable, Equatable {
        let value: String
        let label: String?
        let count: Int
    }

    struct Result: Sendable {
        let hits: [Hit]
        let total: Int
        let facets: [String: [Facet]]
        let skills: [UUID: [String]]
    }

    /// FROM and WHERE shared by the page, the count and the facets.
    private func filtered(_ index: any DirectoryIndex, terms: [String]) -> SQLQueryString {
        var sql: SQLQueryString = "FROM profiles p JOIN users u ON u.id = p.user_id "
        if !terms.isEmpty { sql = sql + index.matchJoin(terms) + " " }
        sql = sql + "WHERE p.visibility <> 'hidden' AND u.role IN ('member', 'admin')"
        if let chapter { sql = sql + " AND p.home_chapter_id = \(bind: chapter)" }
        if let profession { sql = sql + " AND p.profession = \(bind: profession)" }
        if let availability { sql = sql + " AND p.availability = \(bind: availability)" }
        if let skill { sql = sql + " AND p.user_id IN (SELECT user_id FROM profile_skills WHERE slug = \(bind: skill))" }
        if let cause { sql = sql + " AND p.user_id IN (SELECT user_id FROM profile_causes WHERE cause = \(bind: cause))" }
        return sql
    }

    func run(on db: any Database) async throws -> Result {
        let sql = db as! any SQLDatabase
        let index = DirectoryIndexes.forDatabase(sql)
        let terms = DirectoryIndexes.terms(text)
        let from = filtered(index, terms: terms)
        let order: SQLQueryString = switch sort {
        case .relevance: terms.isEmpty ? "p.joined_at DESC, p.user_id" : index.rankOrder + ", p.user_id"
        case .newest: "p.joined_at DESC, p.user_id"
        case .active: "p.last_active_at DESC NULLS LAST, p.user_id"
        }
        let offset = (page - 1) * Self.perPage
        let rows = try await sql.raw("""
            SELECT p.user_id AS user_id, u.name AS name, p.headline AS headline, p.city AS city, p.profession AS profession,
                   p.home_chapter_id AS chapter_id, p.availability AS availability
            \(from) ORDER BY \(order) LIMIT \(unsafeRaw: String(Self.perPage)) OFFSET \(unsafeRaw: String(offset))
            """).all()
        let hits = try rows.map { row in
            Hit(userID: try row.decode(column: "user_id", as: UUID.self), name: try row.decode(column: "name", as: String.self),
                headline: try row.decode(column: "headline", as: String.self), city: try row.decode(column: "city", as: String.self),
                profession: try row.decode(column: "profession", as: String.self), chapterID: try row.decode(column: "chapter_id", as: UUID?.self),
                availability: try row.decode(column: "availability", as: String.self))
        }
        let total = try await sql.raw("SELECT COUNT(*) AS n \(from)").first()?.decode(column: "n", as: Int.self) ?? 0

        var facets: [String: [Facet]] = [:]
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

        // The skills of the page's members, in one query.
        var skills: [UUID: [String]] = [:]
        if !hits.isEmpty {
            for skill in try await ProfileSkill.query(on: db).filter(\.$user.$id ~~ hits.map(\.userID)).sort(\.$label).all() {
                skills[skill.$user.id, default: []].append(skill.label)
            }
        }
        return Result(hits: hits, total: total, facets: facets, skills: skills)
    }
}
