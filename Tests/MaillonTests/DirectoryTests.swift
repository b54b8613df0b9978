import Fluent
import Foundation
import NIOConcurrencyHelpers
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Profiles and the directory")
struct DirectoryTests {
    @Test("Skills are normalised: case, accents and duplicates; curated labels win")
    func skillNormalisation() {
        let skills = Taxonomy.normaliseSkills("  développement WEB , Figma, figma ,FIGMA;  Accessibilité   numérique, , x")
        #expect(skills.map(\.label) == ["Développement web", "Figma", "Accessibilité numérique", "x"])
        #expect(skills.map(\.slug) == ["developpement-web", "figma", "accessibilite-numerique", "x"])
        #expect(Taxonomy.causes.count == 17 + Taxonomy.communityCauses.count)
        #expect(DirectoryIndexes.terms("Développeuse  WEB, lyon!") == ["developpeuse", "web", "lyon"])
    }

    @Test("The profile form refuses bad input with clear errors and keeps it")
    func profileErrors() throws {
        let lyon = UUID()
        let input = ProfileInput(values: ["headline": "", "city": "Lyon", "profession": "tech", "chapter": lyon.uuidString, "availability": "from",
                                          "work_mode": "remote", "website": "javascript:alert(1)", "linkedin": "ftp://x.example",
                                          "day_rate_min": "600", "day_rate_max": "400", "days_per_week": "9", "visibility": "members"],
                                 activeChapters: [lyon])
        #expect(input.errors["headline"] == "field.required")
        #expect(input.errors["website"] == "profile.link_invalid")
        #expect(input.errors["linkedin"] == "profile.link_invalid")
        #expect(input.errors["day_rate_max"] == "profile.rate_order")
        #expect(input.errors["days_per_week"] == "profile.number_range")
        #expect(input.errors["available_from"] == "field.required")
        let good = ProfileInput(values: ["headline": "Graphiste", "city": "Lyon", "profession": "design", "chapter": lyon.uuidString, "availability": "now",
                                         "work_mode": "both", "website": "https://lea.example.org", "visibility": "public", "cause_sdg13": "yes", "language_en": "yes"],
                                activeChapters: [lyon])
        #expect(good.errors.isEmpty)
        #expect(good.causes == ["sdg13"])
        #expect(good.languages == ["en"])
    }

    @Test("A member completes their profile and finds themself in the directory")
    func completeProfile() async throws {
        try await withMaillon { ctx in
            let charter = try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            let user = try await makeMember(ctx, "Léa Dupont", email: "lea@example.org", chapter: lyon, headline: "Graphiste")
            try await CharterController.recordAcceptance(user, charter, on: ctx.db, now: ctx.time.now())
            let browser = ctx.browser()
            try await signIn(browser, email: "lea@example.org")
            #expect(try await browser.get("/profile").status == .ok)
            let bad = try await browser.post("/profile", ["headline": "Développeuse web", "city": "Lyon", "profession": "tech", "chapter": try lyon.requireID().uuidString,
                                                          "availability": "now", "work_mode": "both", "visibility": "members", "website": "javascript:alert(1)"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.html.contains("Saisissez une adresse web complète"))
            #expect(bad.html.contains("value=\"Développeuse web\""))
            let saved = try await browser.post("/profile", [
                "headline": "Développeuse web", "city": "Lyon", "profession": "tech", "chapter": try lyon.requireID().uuidString,
                "availability": "now", "work_mode": "both", "visibility": "members", "website": "https://lea.example.org",
                "skills": "Accessibilité numérique, Swift, swift", "cause_sdg13": "yes", "language_fr": "yes", "day_rate_min": "450",
            ])
            #expect(saved.status == .seeOther)
            #expect(try await ProfileSkill.query(on: ctx.db).filter(\.$user.$id == user.requireID()).count() == 2)
            let found = try await browser.get("/directory?q=developpeuse")
            #expect(found.status == .ok)
            #expect(found.html.contains("Léa Dupont"))
            #expect(found.html.contains("Accessibilité numérique"))
            let profile = try await browser.get("/members/\(try user.requireID())")
            #expect(profile.html.contains("450 €"))
            #expect(profile.html.contains("https://lea.example.org"))
        }
    }

    @Test("Search is accent- and case-insensitive, with facet counts, filters, sorting and pages")
    func searchAndFacets() async throws {
        try await withMaillon { ctx in
            let charter = try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            let paris = try await makeChapter(ctx, "Paris")
            try await makeMember(ctx, "Léa Dupont", email: "lea@example.org", chapter: lyon, headline: "Développeuse web pour les associations",
                                 skills: ["Développement web", "Accessibilité numérique"], causes: ["sdg13"])
            try await makeMember(ctx, "Hugo Martin", email: "hugo@example.org", chapter: paris, headline: "DÉVELOPPEUR mobile", skills: ["Développement mobile"], causes: ["sdg13", "ess"], availability: "not")
            try await makeMember(ctx, "Inès Caron", email: "ines@example.org", chapter: lyon, headline: "Graphiste et illustratrice", profession: "design", skills: ["Illustration"])
            try await makeMember(ctx, "Caché Secret", email: "hidden@example.org", chapter: lyon, headline: "Développeuse cachée", visibility: .hidden)
            let viewer = try await makeMember(ctx, "Zoé Viewer", email: "zoe@example.org", chapter: paris, headline: "Chargée de RSE", profession: "csr")
            try await CharterController.recordAcceptance(viewer, charter, on: ctx.db, now: ctx.time.now())

            var query = DirectoryQuery()
            query.text = "developpeu"
            var result = try await query.run(on: ctx.db)
            #expect(Set(result.hits.map(\.name)) == ["Léa Dupont", "Hugo Martin"], "prefix, accents and case ignored; hidden left out")
            #expect(result.total == 2)
            #expect(result.facets["chapter"]?.first { $0.value == lyon.id?.uuidString }?.count == 1)
            #expect(result.facets["cause"]?.first { $0.value == "sdg13" }?.count == 2)
            #expect(result.facets["skill"]?.contains { $0.value == "developpement-web" && $0.label == "Développement web" && $0.count == 1 } == true)

            query.chapter = try lyon.requireID()
            result = try await query.run(on: ctx.db)
            #expect(result.hits.map(\.name) == ["Léa Dupont"])

            query = DirectoryQuery()
            query.cause = "sdg13"
            query.availability = "not"
            #expect(try await query.run(on: ctx.db).hits.map(\.name) == ["Hugo Martin"])

            query = DirectoryQuery()
            query.skill = Taxonomy.skillSlug("ILLUSTRATION")
            #expect(try await query.run(on: ctx.db).hits.map(\.name) == ["Inès Caron"])

            query = DirectoryQuery()
            #expect(try await query.run(on: ctx.db).total == 4, "everyone visible, the viewer included")
            #expect(try await query.run(on: ctx.db).facets["profession"]?.first { $0.value == "tech" }?.count == 2)

            let browser = ctx.browser()
            try await signIn(browser, email: "zoe@example.org")
            let page = try await browser.get("/directory?q=D%C3%89VELOPPEUSE&sort=newest")
            #expect(page.status == .ok)
            #expect(page.html.contains("Léa Dupont"))
            #expect(!page.html.contains("Caché Secret"))
            #expect(try await browser.get("/directory?chapter=nonsense&profession=astronaut&page=-3&sort=weird").status == .ok)
        }
    }

    @Test("Counts, and the filters that show them, are kept a short while per filter and language; the list of members is always live, its cards drawn again when what they show changes")
    func summaryCache() async throws {
        var options = TestOptions()
        options.directoryCacheSeconds = 60
        try await withMaillon(options) { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            lyon.name = "Lyon & <em>Rhône</em>"
            try await lyon.save(on: ctx.db)
            let charter = try await publishCharter(ctx)
            let viewer = try await makeMember(ctx, "Zoé Viewer", email: "zoe@example.org", chapter: lyon, headline: "Chargée de RSE", profession: "csr")
            try await CharterController.recordAcceptance(viewer, charter, on: ctx.db, now: ctx.time.now())
            let browser = ctx.browser()
            try await signIn(browser, email: "zoe@example.org")
            #expect(try await browser.get("/directory").html.contains(">1 membre</h2>"))

            let lea = try await makeMember(ctx, "Léa Dupont", email: "lea@example.org", chapter: lyon, headline: "Développeuse web & <b>a11y</b>",
                                           skills: ["Origami", "Calligraphie", "Broderie"])
            let soon = try await browser.get("/directory")
            #expect(soon.html.contains("Léa Dupont"), "the page is read live")
            #expect(soon.html.contains(">1 membre</h2>"), "the count is the kept one")

            #expect(soon.html.contains("Antenne</h2>") && soon.html.contains("Lyon &amp; &lt;em&gt;Rhône&lt;/em&gt; <span class=\"count\">(1)</span>"),
                    "the kept filters, escaped once")
            #expect(!soon.html.contains("<em>Rhône"))
            // With the counts and filters kept, a page is one statement of its own and what every page reads
            // (session, user…): each card's chapter comes with its row, not from a list of every chapter.
            ctx.app.logger.logLevel = .trace
            let kept = try await browser.get("/directory")
            ctx.app.logger.logLevel = .info
            let statements = TestLogs.statements(of: try #require(kept.headers.first(name: .xRequestId)))
            #expect(kept.html.contains("Lyon &amp; &lt;em&gt;Rhône&lt;/em&gt; ·"), "the card's chapter, escaped once")
            #expect(!statements.contains { $0.contains("FROM \"chapters\"") }, "\(statements.joined(separator: "\n"))")
            #expect(soon.html.contains("Développeuse web &amp; &lt;b&gt;a11y&lt;/b&gt;") && kept.html.contains("Développeuse web &amp; &lt;b&gt;a11y&lt;/b&gt;"),
                    "the cards, drawn and kept, escaped once")
            #expect(!kept.html.contains("<b>a11y"))
            #expect(kept.html.contains("<ul class=\"tags\"><li>Broderie</li><li>Calligraphie</li><li>Origami</li></ul>"), "each card's skills, in name order")
            // The cards are kept by all they show: a changed profile is drawn again at once.
            let profile = try #require(try await Profile.query(on: ctx.db).filter(\.$user.$id == lea.requireID()).first())
            profile.headline = "Intégratrice"
            try await profile.save(on: ctx.db)
            let changed = try await browser.get("/directory").html
            #expect(changed.contains("<p>Intégratrice</p>") && !changed.contains("a11y"))
            #expect(statements.count <= 5, "\(statements.count): \(statements.joined(separator: "\n"))")
            let filtered = try await browser.get("/directory?profession=csr").html
            #expect(filtered.contains("&amp;profession=csr\"") && !soon.html.contains("&amp;profession=csr\""), "each query its own filters")
            #expect(filtered.contains("Effacer les filtres") && !soon.html.contains("Effacer les filtres"))
            #expect(try await browser.post("/language", ["locale": "en", "back": "/directory"]).status == .seeOther)
            let english = try await browser.get("/directory").html
            #expect(english.contains("Chapter</h2>") && !english.contains("Antenne</h2>"), "each language its own filters")

            ctx.time.advance(by: 61)
            #expect(try await browser.get("/directory").html.contains(">2 members</h2>"))
            #expect(try await browser.get("/directory").html.contains("(2)</span>"), "the filters follow the counts")
        }
    }

    @Test("Concurrent requests for one filter share one count; a failure is not kept")
    func summaryCacheSingleFlight() async throws {
        let cache = TimedCache<DirectoryQuery.Filter, DirectoryQuery.Summary>(lifetime: 60)
        let calls = NIOLockedValueBox(0)
        let filter = DirectoryQuery().filter
        let now = Date()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await cache.value(for: filter, now: now) {
                        calls.withLockedValue { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(50))
                        return DirectoryQuery.Summary(total: 7, facets: [:])
                    }.total
                }
            }
            for try await total in group { #expect(total == 7) }
        }
        #expect(calls.withLockedValue { $0 } == 1)

        struct Failure: Error {}
        var other = DirectoryQuery()
        other.profession = "design"
        await #expect(throws: Failure.self) {
            try await cache.value(for: other.filter, now: now) { throw Failure() }
        }
        let retried = try await cache.value(for: other.filter, now: now) { DirectoryQuery.Summary(total: 3, facets: [:]) }
        #expect(retried.total == 3)
    }

    @Test("Results are paginated", arguments: [DirectoryQuery.Sort.relevance, .newest, .active])
    func pagination(sort: DirectoryQuery.Sort) async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            for index in 0..<30 {
                try await makeMember(ctx, "Membre \(index)", email: "m\(index)@example.org", chapter: lyon, headline: "Consultante RSE \(index)")
            }
            var query = DirectoryQuery()
            query.text = "consultante"
            query.sort = sort
            let first = try await query.run(on: ctx.db)
            query.page = 2
            let second = try await query.run(on: ctx.db)
            #expect(first.total == 30)
            #expect(first.hits.count == DirectoryQuery.perPage)
            #expect(second.hits.count == 30 - DirectoryQuery.perPage)
            #expect(Set(first.hits.map(\.userID)).isDisjoint(with: second.hits.map(\.userID)))
        }
    }

    @Test("A text search's best matches, ranked inside the index, give the same pages as ranking every match")
    func rankingInsideIndex() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon"), paris = try await makeChapter(ctx, "Paris")
            for index in 0..<90 {
                // Relevance varies (the word once, twice, in the bio too); every third is hidden, every
                // fourth in Paris, so the filters drop many of the best matches.
                let word = String(repeating: "consultante ", count: 1 + index % 3)
                try await makeMember(ctx, "Membre \(index)", email: "m\(index)@example.org", chapter: index % 4 == 0 ? paris : lyon,
                                     headline: "\(word)RSE \(index)", visibility: index % 3 == 0 ? .hidden : .members,
                                     bio: index % 5 == 0 ? "consultante engagée" : "")
            }
            for (text, chapter) in [("consultante", nil), ("consultante", lyon.id), ("consultante rse", paris.id), ("rse", nil)] as [(String, UUID?)] {
                for page in 1...3 {
                    var query = DirectoryQuery()
                    query.text = text
                    query.chapter = chapter
                    query.page = page
                    let inside = try await query.page(on: ctx.db).hits.map(\.userID)
                    let everything = try await query.page(on: ctx.db, rankingInsideIndex: false).hits.map(\.userID)
                    #expect(inside == everything, "\(text), page \(page)")
                    if page == 1 { #expect(!inside.isEmpty) }
                }
            }
        }
    }

    @Test("Hidden means hidden everywhere; members-only needs a member; public is for all, without rates")
    func visibility() async throws {
        try await withMaillon { ctx in
            let charter = try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            let hidden = try await makeMember(ctx, "Caché", email: "h@example.org", chapter: lyon, headline: "Invisible", visibility: .hidden)
            let membersOnly = try await makeMember(ctx, "Entre nous", email: "m@example.org", chapter: lyon, headline: "Réservé", visibility: .members)
            let open = try await makeMember(ctx, "Public", email: "p@example.org", chapter: lyon, headline: "Visible", visibility: .public)
            let profile = try #require(try await Profile.query(on: ctx.db).filter(\.$user.$id == open.requireID()).first())
            profile.dayRateMin = 500
            try await profile.save(on: ctx.db)
            for user in [hidden, membersOnly, open] { try await CharterController.recordAcceptance(user, charter, on: ctx.db, now: ctx.time.now()) }

            let anonymous = ctx.browser()
            #expect(try await anonymous.get("/members/\(try hidden.requireID())").status == .notFound)
            #expect(try await anonymous.get("/members/\(try membersOnly.requireID())").status == .seeOther)
            let publicPage = try await anonymous.get("/members/\(try open.requireID())")
            #expect(publicPage.status == .ok)
            #expect(!publicPage.html.contains("500 €"))
            #expect(try await anonymous.get("/directory").status == .seeOther)

            let member = ctx.browser()
            try await signIn(member, email: "m@example.org")
            #expect(try await member.get("/members/\(try hidden.requireID())").status == .notFound)
            #expect(try await member.get("/members/\(try open.requireID())").html.contains("500 €"))
            let own = ctx.browser()
            try await signIn(own, email: "h@example.org")
            #expect(try await own.get("/members/\(try hidden.requireID())").status == .ok, "one sees one's own hidden profile")

            try await makeUser(ctx, email: "applicant@example.org", role: .applicant)
            let applicant = ctx.browser()
            try await signIn(applicant, email: "applicant@example.org")
            #expect(try await applicant.get("/directory").status == .forbidden)
            #expect(try await applicant.get("/members/\(try membersOnly.requireID())").status == .notFound)
            #expect(try await applicant.get("/profile").status == .forbidden)
        }
    }

    @Test("Directory and profile pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let user = try await makeMember(ctx, "Léa", email: "lea@example.org", chapter: lyon, headline: "Graphiste", skills: ["Figma"], causes: ["sdg5"])
            user.locale = AppLocale(rawValue: language)
            try await user.save(on: ctx.db)
            let browser = ctx.browser()
            try await signIn(browser, email: "lea@example.org")
            for path in ["/directory", "/directory?q=graph&skill=figma", "/profile", "/members/\(try user.requireID())"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                PageTests.expectWellFormedPage(page.html, lang: language, path: path)
            }
            // The cards are drawn apart from the page: the empty list still speaks the reader's language.
            let empty = try await browser.get("/directory?q=zzqxw").html
            #expect(empty.contains(language == "fr" ? "Aucun membre ne correspond." : "No member matches."))
        }
    }
}
