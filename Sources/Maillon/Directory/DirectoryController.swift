import Fluent
import Vapor

/// The members' directory: search, facets with counts, sorting, pages. Members only.
struct DirectoryController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.directory), use: search)
    }

    struct Page: Encodable, Sendable {
        struct Card: Encodable, Hashable, Sendable {
            let name: String
            let url: String
            let headline: String
            let meta: String
            let skills: [String]
        }

        struct FacetGroup: Encodable, Sendable {
            let name: String
            let heading: String
            let options: [Option]
        }

        struct Option: Encodable, Sendable {
            let label: String
            let count: Int
            let url: String
            let selected: Bool
        }

        /// The cards drawn apart (`partials/member-cards`), the same for every reader of these cards in a language.
        struct Cards: Encodable, Hashable, Sendable {
            let locale: String
            let cards: [Card]
        }

        /// The filters drawn apart (`Filters`), the same for every member with this query.
        struct Filters: Encodable, Sendable {
            let locale: String
            let facets: [FacetGroup]
            let clearURL: String?
        }

        let heading: String
        let query: String
        let summary: String
        /// HTML drawn by Leaf from `Cards` (escaped there).
        let cards: String
        /// HTML drawn by Leaf from `Filters` (escaped there), kept as long as the counts it shows.
        let filters: String
        let sorts: [Option]
        let pagination: Pagination
    }

    static func parse(_ req: Request) -> DirectoryQuery {
        var query = DirectoryQuery()
        func value(_ name: String) -> String? { req.queryText(name) }
        query.text = value("q") ?? ""
        query.chapter = value("chapter").flatMap(UUID.init(uuidString:))
        query.profession = value("profession").flatMap { Profession.all.contains($0) ? $0 : nil }
        query.skill = value("skill").map(Taxonomy.skillSlug)
        query.cause = value("cause").flatMap { Taxonomy.causes.contains($0) ? $0 : nil }
        query.availability = value("availability").flatMap { ["now", "from", "not"].contains($0) ? $0 : nil }
        query.sort = value("sort").flatMap(DirectoryQuery.Sort.init(rawValue:)) ?? .relevance
        query.page = Pagination.requestedPage(req)
        return query
    }

    /// The directory URL for `query` with one parameter changed (nil removes it); the page resets.
    static func url(_ query: DirectoryQuery, set name: String? = nil, to value: String? = nil) -> String {
        var parameters: [(String, String?)] = [
            ("q", query.text.isEmpty ? nil : query.text), ("chapter", query.chapter?.uuidString), ("profession", query.profession),
            ("skill", query.skill), ("cause", query.cause), ("availability", query.availability),
            ("sort", query.sort == .relevance ? nil : query.sort.rawValue),
        ]
        if let name {
            if let index = parameters.firstIndex(where: { $0.0 == name }) { parameters[index].1 = value } else { parameters.append((name, value)) }
        }
        let encoded = parameters.compactMap { key, value in value.map { "\(key)=\(QueryEncoding.encode($0))" } }
        return encoded.isEmpty ? SiteURL.directory : SiteURL.directory + "?" + encoded.joined(separator: "&")
    }

    @Sendable func search(req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard user.isMember else {
            // An applicant is told why, and where their application stands.
            let t = req.t
            let page = MessagePage(heading: t("directory.heading"), paragraphs: [t("directory.members_only")],
                                   linkURL: SiteURL.myApplication, linkLabel: t("nav.application"))
            return try await req.renderPage("message", title: page.heading, page, status: .forbidden)
        }
        let query = Self.parse(req)
        let filter = query.filter
        let database = req.application.db
        let summary = try await req.application.directorySummaries.value(for: filter, now: req.now) {
            try await DirectoryQuery.summary(filter, on: database)
        }
        let result = try await query.page(on: req.db)
        let t = req.t
        let cards = result.hits.map { hit in
            Page.Card(name: hit.name, url: SiteURL.member(hit.userID), headline: hit.headline,
                      meta: [t("profession.\(hit.profession)"), hit.city, hit.chapterName ?? "", t("availability.\(hit.availability)")]
                        .filter { !$0.isEmpty }.joined(separator: " · "),
                      skills: (result.skills[hit.userID] ?? []).prefix(6).map(t.skill))
        }
        // Drawn once for every reader who gets the very same cards (the key is all they show, so a
        // changed profile draws again at once): twenty-four cards were a sixth of a search's time.
        let drawn = Page.Cards(locale: t.locale.rawValue, cards: cards)
        let cardsHTML = try await req.application.directoryCards.value(for: drawn, now: req.now) {
            String(buffer: try await req.view.render("partials/member-cards", drawn).data)
        }
        var paging = query
        paging.page = 1
        let base = Self.url(paging)
        let filters = try await req.application.directoryFilters.value(for: "\(t.locale.rawValue) \(base)", now: req.now) {
            try await Self.drawFilters(query, summary: summary, chapters: Chapter.names(on: req.db), t: t, on: req)
        }
        let sorts = DirectoryQuery.Sort.allCases.map { sort in
            Page.Option(label: t("directory.sort.\(sort.rawValue)"), count: 0, url: Self.url(query, set: "sort", to: sort == .relevance ? nil : sort.rawValue), selected: sort == query.sort)
        }
        let pagination = try Pagination(page: query.page, per: DirectoryQuery.perPage, total: summary.total, path: base, t: t)
        return try await req.renderPage("directory", title: t("directory.heading"), Page(
            heading: t("directory.heading"), query: query.text, summary: t.count("directory.count", summary.total),
            cards: cardsHTML, filters: filters, sorts: sorts, pagination: pagination))
    }

    /// The filters beside the results: each facet's values with their counts, each a link to the query
    /// with that value set (or, when it is the current one, unset).
    static func drawFilters(_ query: DirectoryQuery, summary: DirectoryQuery.Summary, chapters: [UUID: String], t: Translator,
                            on req: Request) async throws -> String {
        func group(_ name: String, _ current: String?, label: (DirectoryQuery.Facet) -> String) -> Page.FacetGroup {
            let options = (summary.facets[name] ?? []).map { facet in
                Page.Option(label: label(facet), count: facet.count,
                            url: Self.url(query, set: name, to: current == facet.value ? nil : facet.value), selected: current == facet.value)
            }
            return Page.FacetGroup(name: name, heading: t("directory.facet.\(name)"), options: options)
        }
        let facets = [
            group("chapter", query.chapter?.uuidString) { chapters[UUID(uuidString: $0.value) ?? UUID()] ?? "—" },
            group("profession", query.profession) { t("profession.\($0.value)") },
            group("skill", query.skill) { t.skill($0.label ?? $0.value) },
            group("cause", query.cause) { t("cause.\($0.value)") },
            group("availability", query.availability) { t("availability.\($0.value)") },
        ].filter { !$0.options.isEmpty }
        let filtered = query.chapter != nil || query.profession != nil || query.skill != nil || query.cause != nil || query.availability != nil || !query.text.isEmpty
        let view = try await req.view.render("partials/directory-filters", Page.Filters(
            locale: t.locale.rawValue, facets: facets, clearURL: filtered ? SiteURL.directory : nil))
        return String(buffer: view.data)
    }
}

/// Query-string encoding for links we build.
enum QueryEncoding {
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

extension Application {
    private struct DirectorySummariesKey: StorageKey { typealias Value = TimedCache<DirectoryQuery.Filter, DirectoryQuery.Summary> }
    private struct DirectoryFiltersKey: StorageKey { typealias Value = TimedCache<String, String> }
    private struct DirectoryCardsKey: StorageKey { typealias Value = TimedCache<DirectoryController.Page.Cards, String> }

    /// The directory's total and facet counts per filter.
    var directorySummaries: TimedCache<DirectoryQuery.Filter, DirectoryQuery.Summary> {
        get {
            guard let cache = storage[DirectorySummariesKey.self] else { fatalError("Directory counts used before configure(_:)") }
            return cache
        }
        set { storage[DirectorySummariesKey.self] = newValue }
    }

    /// The directory's cards drawn as HTML, per language and exact content (so never stale).
    var directoryCards: TimedCache<DirectoryController.Page.Cards, String> {
        get {
            guard let cache = storage[DirectoryCardsKey.self] else { fatalError("Directory cards used before configure(_:)") }
            return cache
        }
        set { storage[DirectoryCardsKey.self] = newValue }
    }

    /// The directory's filters drawn as HTML, per query (less its page) and language: as old as the counts they show.
    var directoryFilters: TimedCache<String, String> {
        get {
            guard let cache = storage[DirectoryFiltersKey.self] else { fatalError("Directory filters used before configure(_:)") }
            return cache
        }
        set { storage[DirectoryFiltersKey.self] = newValue }
    }
}
