import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Membership: chapters, charter, applications")
struct MembershipTests {
    @Test("Journey 1: apply to Lyon, the Lyon ambassador accepts, the newcomer is a member to welcome")
    func journeyOne() async throws {
        try await withMaillon { ctx in
            // An admin sets up the chapter, the charter and the ambassador through the pages.
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await admin.get("/admin/charter")
            #expect(try await admin.post("/admin/charter", ["body": "Nous travaillons pour le bien commun.\n\nNous nous entraidons."]).status == .seeOther)
            try await admin.get("/charter")
            try await admin.post("/charter")
            try await admin.get("/admin/chapters/new")
            let created = try await admin.post("/admin/chapters/new", ["name": "Lyon", "region": "Auvergne-Rhône-Alpes", "description": "Les freelances de Lyon."])
            #expect(created.status == .seeOther)
            let lyon = try #require(try await Chapter.query(on: ctx.db).filter(\.$slug == "lyon").first())
            let paris = try await makeChapter(ctx, "Paris")
            let ambassador = try await makeUser(ctx, email: "amb@example.org", name: "Hugo Ambassadeur", role: .member)
            try await admin.get("/admin/chapters/\(try lyon.requireID())")
            #expect(try await admin.post("/admin/chapters/\(try lyon.requireID())/ambassadors", ["email": "amb@example.org"]).status == .seeOther)
            try await makeAmbassador(ctx, of: paris, email: "parisienne@example.org", name: "Zoé Paris")

            // The applicant applies; a mistake first.
            let applicant = try await makeUser(ctx, email: "lea@example.org", name: "Léa Dupont", role: .applicant)
            let browser = ctx.browser()
            try await signIn(browser, email: "lea@example.org")
            let form = try await browser.get("/apply")
            #expect(form.status == .ok)
            let bad = try await browser.post("/apply", ["headline": "Dév", "profession": "astronaut", "city": "Lyon", "chapter": "nope", "motivation": "court"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.html.contains("Acceptez la charte pour candidater."))
            #expect(bad.html.contains("value=\"Dév\""))
            #expect(try await MembershipApplication.query(on: ctx.db).count() == 0)
            let sent = try await browser.post("/apply", ["headline": "Développeuse web", "profession": "tech", "city": "Lyon",
                                                         "chapter": try lyon.requireID().uuidString, "motivation": motivation, "charter": "yes"])
            #expect(sent.status == .seeOther)
            #expect(try await browser.get("/application").html.contains("envoyée"))

            // The Lyon ambassador reviews it; the Paris one does not see it.
            let hugo = ctx.browser()
            try await signIn(hugo, email: "amb@example.org")
            try await hugo.get("/charter")
            try await hugo.post("/charter")
            let queue = try await hugo.get("/review")
            #expect(queue.status == .ok)
            #expect(queue.html.contains("Léa Dupont"))
            let candidate = try #require(try await MembershipApplication.query(on: ctx.db).first())
            let zoe = ctx.browser()
            try await signIn(zoe, email: "parisienne@example.org")
            #expect(!(try await zoe.get("/review").html.contains("Léa Dupont")))
            #expect(try await zoe.get("/review/\(try candidate.requireID())").status == .notFound)
            #expect(try await zoe.post("/review/\(try candidate.requireID())", ["decision": "accepted"]).status == .notFound)

            #expect(try await hugo.get("/review/\(try candidate.requireID())").status == .ok)
            let decided = try await hugo.post("/review/\(try candidate.requireID())", ["decision": "accepted", "message": "Bienvenue à Lyon !"])
            #expect(decided.status == .seeOther)

            // The applicant is a member with a profile in Lyon, told by mail and on their page.
            let member = try #require(try await User.find(applicant.id, on: ctx.db))
            #expect(member.role == .member)
            let profile = try #require(try await Profile.query(on: ctx.db).filter(\.$user.$id == applicant.requireID()).first())
            #expect(profile.$homeChapter.id == lyon.id)
            #expect(profile.headline == "Développeuse web")
            #expect(ctx.mailer.messages(to: "lea@example.org").contains { $0.subject.contains("candidature est acceptée") && $0.text.contains("Bienvenue à Lyon !") })
            try await signIn(browser, email: "lea@example.org")
            try await browser.get("/charter")
            try await browser.post("/charter")
            let mine = try await browser.get("/application")
            #expect(mine.html.contains("acceptée"))
            #expect(mine.html.contains("Bienvenue à Lyon !"))
            let events = try await ApplicationEvent.query(on: ctx.db).filter(\.$application.$id == candidate.requireID()).all()
            #expect(events.map(\.toStatus) == [.submitted, .accepted])
            #expect(events.last?.$actor.id == ambassador.id)

            // The ambassador is told and has them to welcome.
            #expect(try await AppNotification.query(on: ctx.db).filter(\.$user.$id == ambassador.requireID()).filter(\.$kind == "chapter_newcomer").count() == 1)
            let welcome = try await hugo.get("/chapters/lyon/welcome")
            #expect(welcome.status == .ok)
            #expect(welcome.html.contains("Léa Dupont"))
            #expect(try await zoe.get("/chapters/lyon/welcome").status == .forbidden)
            #expect(try await hugo.post("/chapters/lyon/welcome/\(try applicant.requireID())", ["note": "Café jeudi"]).status == .seeOther)
            #expect(!(try await hugo.get("/chapters/lyon/welcome").html.contains("Léa Dupont")))
            let greeted = try #require(try await Welcome.query(on: ctx.db).first())
            #expect(greeted.note == "Café jeudi")

            // The chapter page shows ambassadors and the newcomer to members.
            let chapterPage = try await browser.get("/chapters/lyon")
            #expect(chapterPage.html.contains("Hugo Ambassadeur"))
            #expect(chapterPage.html.contains("Développeuse web"))
            let anonymous = try await ctx.browser().get("/chapters/lyon")
            #expect(anonymous.status == .ok)
            #expect(!anonymous.html.contains("Développeuse web"), "newcomers are shown to members only")
        }
    }

    @Test("An applicant cannot apply twice, even in parallel")
    func applyOnce() async throws {
        try await withMaillon { ctx in
            try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeUser(ctx, email: "twin@example.org", role: .applicant)
            let browsers = (0..<4).map { _ in ctx.browser() }
            for browser in browsers {
                try await signIn(browser, email: "twin@example.org")
                try await browser.get("/apply")
            }
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for browser in browsers {
                    group.addTask {
                        try await browser.post("/apply", ["headline": "Graphiste", "profession": "design", "city": "Lyon",
                                                          "chapter": try lyon.requireID().uuidString, "motivation": motivation, "charter": "yes"]).status.code
                    }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(try await MembershipApplication.query(on: ctx.db).count() == 1)
            #expect(statuses.allSatisfy { $0 == 303 || $0 == 409 })
            let again = try await browsers[0].post("/apply", ["headline": "Graphiste", "profession": "design", "city": "Lyon",
                                                               "chapter": try lyon.requireID().uuidString, "motivation": motivation, "charter": "yes"])
            #expect(again.status == .conflict)
            #expect(again.html.contains("Vous avez déjà candidaté."))
        }
    }

    @Test("Two reviewers deciding at once: one decision wins, the other is told")
    func concurrentDecisions() async throws {
        try await withMaillon { ctx in
            try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "a1@example.org", name: "A1")
            try await makeAmbassador(ctx, of: lyon, email: "a2@example.org", name: "A2")
            let (applicant, _) = try await makeApplicant(ctx, to: lyon)
            let candidate = try #require(try await MembershipApplication.query(on: ctx.db).first())
            let reviewers = [ctx.browser(), ctx.browser()]
            try await signIn(reviewers[0], email: "a1@example.org")
            try await signIn(reviewers[1], email: "a2@example.org")
            for reviewer in reviewers { try await reviewer.get("/review/\(try candidate.requireID())") }
            let decisions = ["accepted", "declined"]
            let locations = try await withThrowingTaskGroup(of: String?.self) { group in
                for (reviewer, decision) in zip(reviewers, decisions) {
                    group.addTask { try await reviewer.post("/review/\(try candidate.requireID())", ["decision": decision]).location }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            let final = try #require(try await MembershipApplication.find(candidate.id, on: ctx.db))
            #expect(final.status == .accepted || final.status == .declined)
            #expect(locations.filter { $0 == "/review" }.count == 1, "one decision is saved")
            let events = try await ApplicationEvent.query(on: ctx.db).filter(\.$application.$id == candidate.requireID()).count()
            #expect(events == 2)
            let role = try await User.find(applicant.id, on: ctx.db)?.role
            #expect((final.status == .accepted) == (role == .member))
        }
    }

    @Test("Declining keeps the message; withdrawing is the applicant's own move")
    func declineAndWithdraw() async throws {
        try await withMaillon { ctx in
            try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            let (_, leaBrowser) = try await makeApplicant(ctx, to: lyon)
            let (_, samBrowser) = try await makeApplicant(ctx, to: lyon, email: "sam@example.org", name: "Sam")
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await admin.get("/charter")
            try await admin.post("/charter")
            let lea = try #require(try await MembershipApplication.query(on: ctx.db).join(User.self, on: \MembershipApplication.$user.$id == \User.$id)
                .filter(User.self, \.$email == "lea@example.org").first())
            try await admin.get("/review/\(try lea.requireID())")
            let invalid = try await admin.post("/review/\(try lea.requireID())", ["decision": "withdrawn"])
            #expect(invalid.status == .unprocessableEntity)
            #expect(try await admin.post("/review/\(try lea.requireID())", ["decision": "declined", "message": "Le réseau est complet."]).status == .seeOther)
            #expect(try await leaBrowser.get("/application").html.contains("Le réseau est complet."))
            #expect(try await leaBrowser.post("/application/withdraw").status == .forbidden, "too late once decided")

            #expect(try await samBrowser.post("/application/withdraw").status == .seeOther)
            #expect(try await samBrowser.get("/application").html.contains("retirée"))
            #expect(try await MembershipApplication.query(on: ctx.db).filter(\.$status == .withdrawn).count() == 1)
        }
    }

    @Test("Members accept a new charter version at their next visit")
    func charterGate() async throws {
        try await withMaillon { ctx in
            let charter = try await publishCharter(ctx)
            let (user, browser) = try await signedInBrowser(ctx)
            try await CharterController.recordAcceptance(user, charter, on: ctx.db, now: ctx.time.now())
            #expect(try await browser.get("/").status == .ok)
            try await publishCharter(ctx, version: 2)
            let gated = try await browser.get("/")
            #expect(gated.location == "/charter")
            let page = try await browser.get("/charter")
            #expect(page.html.contains("Version 2"))
            #expect(try await browser.post("/charter").status == .seeOther)
            #expect(try await browser.get("/").status == .ok)
        }
    }

    @Test("Ambassadors act on their own chapters only; members and applicants review nothing")
    func forbiddenPaths() async throws {
        try await withMaillon { ctx in
            try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            let paris = try await makeChapter(ctx, "Paris")
            try await makeAmbassador(ctx, of: paris, email: "p@example.org", name: "P")
            let (_, applicantBrowser) = try await makeApplicant(ctx, to: lyon)
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "p@example.org")
            #expect(try await ambassador.get("/admin/chapters").status == .forbidden)
            #expect(try await ambassador.post("/admin/chapters/\(try lyon.requireID())", ["name": "X", "region": "X", "description": "X", "status": "archived"]).status == .forbidden)
            #expect(try await ambassador.post("/admin/chapters/\(try paris.requireID())/ambassadors", ["email": "p@example.org"]).status == .forbidden)
            #expect(try await ambassador.get("/admin/charter").status == .forbidden)
            #expect(try await ambassador.get("/chapters/lyon/welcome").status == .forbidden)
            #expect(try await ambassador.get("/chapters/paris/welcome").status == .ok)

            #expect(try await applicantBrowser.get("/review").status == .forbidden)
            let (memberUser, member) = try await signedInBrowser(ctx)
            try await CharterController.recordAcceptance(memberUser, try #require(try await CharterController.current(ctx.db)), on: ctx.db, now: ctx.time.now())
            #expect(try await member.get("/review").status == .forbidden)
            #expect(try await Chapter.find(lyon.id, on: ctx.db)?.status == .active)
        }
    }

    @Test("Chapter forms explain bad input and keep it; archiving hides a chapter from applicants")
    func adminChapters() async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await publishCharter(ctx)
            try await admin.get("/charter")
            try await admin.post("/charter")
            try await makeChapter(ctx, "Lyon")
            try await admin.get("/admin/chapters/new")
            let bad = try await admin.post("/admin/chapters/new", ["name": "Lyon", "region": "", "description": "Texte", "contact_email": "pas-une-adresse"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.html.contains("Cet identifiant est déjà pris"))
            #expect(bad.html.contains("Ce champ est obligatoire."))
            #expect(bad.html.contains("value=\"pas-une-adresse\""))
            #expect(try await Chapter.query(on: ctx.db).count() == 1)

            let bretagne = try await makeChapter(ctx, "Bretagne")
            try await admin.get("/admin/chapters/\(try bretagne.requireID())")
            #expect(try await admin.post("/admin/chapters/\(try bretagne.requireID())",
                                         ["name": "Bretagne", "slug": "bretagne", "region": "Bretagne", "description": "Breizh", "status": "archived"]).status == .seeOther)
            try await makeUser(ctx, email: "app@example.org", role: .applicant)
            let applicant = ctx.browser()
            try await signIn(applicant, email: "app@example.org")
            let form = try await applicant.get("/apply")
            #expect(form.html.contains("Lyon"))
            #expect(!form.html.contains("Bretagne"))
            #expect(!(try await ctx.browser().get("/chapters").html.contains("Bretagne")))
        }
    }

    @Test("Application rules: who moves an application where")
    func rules() {
        #expect(ApplicationRules.canMove(from: .submitted, to: .accepted, by: .reviewer))
        #expect(ApplicationRules.canMove(from: .inReview, to: .declined, by: .reviewer))
        #expect(!ApplicationRules.canMove(from: .accepted, to: .declined, by: .reviewer))
        #expect(!ApplicationRules.canMove(from: .submitted, to: .withdrawn, by: .reviewer))
        #expect(ApplicationRules.canMove(from: .submitted, to: .withdrawn, by: .applicant))
        #expect(!ApplicationRules.canMove(from: .declined, to: .withdrawn, by: .applicant))
        #expect(!ApplicationRules.canMove(from: .submitted, to: .accepted, by: .applicant))
        #expect(Slug.make("Auvergne-Rhône-Alpes") == "auvergne-rhone-alpes")
        #expect(Slug.make("  Île de France !") == "ile-de-france")
        #expect(Slug.make("UX Design -- Figma") == "ux-design-figma", "ASCII is lowercased and dashed the same way")
        #expect(Slug.make("ux-design") == "ux-design")
    }

    @Test("Every membership page renders in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeApplicant(ctx, to: lyon, email: "cand@example.org", name: "Candidate")
            let candidate = try #require(try await MembershipApplication.query(on: ctx.db).first())
            let admin = try await makeAmbassador(ctx, of: lyon, email: "boss@example.org", name: "Boss")
            admin.role = .admin
            admin.locale = AppLocale(rawValue: language)
            try await admin.save(on: ctx.db)
            let browser = ctx.browser()
            try await signIn(browser, email: "boss@example.org")
            for path in ["/chapters", "/chapters/lyon", "/chapters/lyon/welcome", "/charter", "/admin/chapters", "/admin/chapters/new",
                         "/admin/chapters/\(try lyon.requireID())", "/admin/charter", "/review", "/review?status=submitted&chapter=\(try lyon.requireID())",
                         "/review/\(try candidate.requireID())"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                PageTests.expectWellFormedPage(page.html, lang: language, path: path)
            }
            let applicant = try await makeUser(ctx, email: "new@example.org", role: .applicant, locale: AppLocale(rawValue: language))
            let applicantBrowser = ctx.browser()
            try await signIn(applicantBrowser, email: applicant.email)
            for path in ["/apply"] {
                let page = try await applicantBrowser.get(path)
                #expect(page.status == .ok, "\(path)")
                PageTests.expectWellFormedPage(page.html, lang: language, path: path)
            }
            let mine = ctx.browser(language: language)
            try await signIn(mine, email: "cand@example.org")
            let page = try await mine.get("/application")
            PageTests.expectWellFormedPage(page.html, lang: language, path: "/application")
        }
    }
}
