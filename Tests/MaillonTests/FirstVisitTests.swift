import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

/// A first-time member's path (issue 13), and the small things they tripped on.
@Suite("First visit")
struct FirstVisitTests {
    @Test("After signing up, the home page shows the next step; after applying, where the application stands")
    func nextStepsBeforeAdmission() async throws {
        try await withMaillon { ctx in
            try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeUser(ctx, email: "lea@example.org", name: "Léa Dupont", role: .applicant)
            let browser = ctx.browser()
            try await signIn(browser, email: "lea@example.org")
            let home = try await browser.get("/")
            #expect(home.html.contains("Vos premiers pas"))
            #expect(home.html.contains("href=\"/apply\"><strong>Candidater auprès d&#39;une antenne"))
            #expect(!home.html.contains("Bon retour"))
            // National or public events are not "soon in your chapter" for someone without one.
            #expect(home.html.contains("Prochaines rencontres"))
            #expect(!home.html.contains("Bientôt dans votre antenne"))

            try await browser.get("/apply")
            try await browser.post("/apply", ["headline": "Développeuse web", "profession": "tech", "city": "Lyon",
                                              "chapter": try lyon.requireID().uuidString, "motivation": motivation, "charter": "yes"])
            let waiting = try await browser.get("/")
            #expect(waiting.html.contains("href=\"/application\"><strong>Candidature envoyée"))
        }
    }

    @Test("Admission keeps the newcomer signed in and leads to the profile, then to a first event")
    func admissionLeadsToProfile() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let ambassador = try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Amb")
            try await publishCharter(ctx)
            try await CharterController.recordAcceptance(ambassador, try #require(try await CharterController.current(ctx.db)), on: ctx.db, now: ctx.time.now())
            let (lea, browser) = try await makeApplicant(ctx, to: lyon)
            let candidate = try #require(try await MembershipApplication.query(on: ctx.db).first())
            try await Admission(application: ctx.app, database: ctx.db, now: ctx.time.now()).decide(candidate, to: .accepted, by: ambassador, message: nil)
            await ctx.runJobs()
            let mail = try #require(ctx.mailer.messages(to: lea.email).last)
            #expect(mail.text.contains("complétez votre profil"))
            #expect(mail.text.contains("/profile"))

            // Still signed in, now as a member: the next step is the profile.
            let home = try await browser.get("/")
            #expect(home.status == .ok)
            #expect(home.html.contains("Bonjour Léa Dupont"))
            #expect(home.html.contains("href=\"/profile\"><strong>Compléter votre profil"))
            #expect(try await browser.get("/directory").status == .ok)

            try await browser.get("/profile")
            #expect(try await browser.post("/profile", ["headline": "Développeuse web", "profession": "tech", "city": "Lyon",
                                                        "chapter": try lyon.requireID().uuidString, "bio": "J'aime les projets utiles.",
                                                        "skills": "Développement web", "availability": "now", "work_mode": "both",
                                                        "visibility": "members", "language_fr": "yes"]).status == .seeOther)
            #expect(try await browser.get("/").html.contains("href=\"/events\"><strong>Venir à une première rencontre"))
        }
    }

    @Test("In review: the applicant is told by mail, as the reviewer's page says")
    func inReviewTold() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await publishCharter(ctx)
            let ambassador = try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Amb")
            let (lea, _) = try await makeApplicant(ctx, to: lyon)
            let candidate = try #require(try await MembershipApplication.query(on: ctx.db).first())
            let reviewer = ctx.browser()
            try await signIn(reviewer, email: "amb@example.org")
            try await reviewer.get("/review/\(try candidate.requireID())")
            #expect(try await reviewer.post("/review/\(try candidate.requireID())", ["decision": "in_review", "message": ""]).status == .seeOther)
            let mail = try #require(ctx.mailer.messages(to: lea.email).last)
            #expect(mail.subject.contains("en cours d'examen"))
            _ = ambassador
        }
    }

    @Test("An admin's \"my profile\" opens a profile to fill in; an applicant gets the directory's reason, not a bare 403")
    func adminProfileAndApplicantDirectory() async throws {
        try await withMaillon { ctx in
            let paris = try await makeChapter(ctx, "Paris")
            let (admin, browser) = try await signedInBrowser(ctx, role: .admin)
            let form = try await browser.get("/profile")
            #expect(form.status == .ok)
            #expect(try await browser.post("/profile", ["headline": "Fondatrice", "profession": "other", "city": "Paris",
                                                        "chapter": try paris.requireID().uuidString, "availability": "not", "work_mode": "both",
                                                        "visibility": "members"]).status == .seeOther)
            #expect(try await Profile.query(on: ctx.db).filter(\.$user.$id == admin.requireID()).count() == 1)

            try await makeUser(ctx, email: "app@example.org", role: .applicant)
            let applicant = ctx.browser()
            try await signIn(applicant, email: "app@example.org")
            let directory = try await applicant.get("/directory")
            #expect(directory.status == .forbidden)
            #expect(directory.html.contains("dès que votre candidature est acceptée"))
            #expect(directory.html.contains("href=\"/application\""))
        }
    }

    @Test("Skill names are translated on English pages; English names find the curated skill")
    func skillsTranslated() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let member = try await makeMember(ctx, "Inès Roux", email: "ines@example.org", chapter: lyon, headline: "Designer",
                                              skills: ["Développement web", "Linogravure"])
            let (_, browser) = try await signedInBrowser(ctx, role: .admin, locale: .en)
            let profile = try await browser.get("/members/\(try member.requireID())")
            #expect(profile.html.contains("Web development"))
            #expect(!profile.html.contains("Développement web"))
            #expect(profile.html.contains("Linogravure"), "a free skill stays as typed")
            #expect(try await browser.get("/directory").html.contains("Web development"))
            #expect(Taxonomy.normaliseSkills("Web development, GDPR").map(\.slug) == ["developpement-web", "rgpd"])
        }
    }

    @Test("The chapter page shows ambassadors with their photos, as their profiles allow: a hidden one nowhere")
    func chapterAmbassadors() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let shown = try await makeMember(ctx, "Aline Visible", email: "aline@example.org", chapter: lyon, headline: "Ambassadrice", visibility: .public)
            let hidden = try await makeMember(ctx, "Hugo Cache", email: "hugo@example.org", chapter: lyon, headline: "Ambassadeur discret", visibility: .hidden)
            for user in [shown, hidden] {
                let ambassadorship = Ambassadorship()
                ambassadorship.$chapter.id = try lyon.requireID()
                ambassadorship.$user.id = try user.requireID()
                try await ambassadorship.create(on: ctx.db)
            }
            try await Profile.query(on: ctx.db).filter(\.$user.$id == shown.requireID()).set(\.$photoPath, to: "1").update()
            let visitor = try await ctx.browser().get("/chapters/lyon")
            #expect(visitor.html.contains("Aline Visible"))
            #expect(visitor.html.contains("/members/\(try shown.requireID())/photo"))
            #expect(!visitor.html.contains("Hugo Cache"))
            let (_, member) = try await signedInBrowser(ctx)
            #expect(!(try await member.get("/chapters/lyon").html.contains("Hugo Cache")), "hidden from members too")
        }
    }

    @Test("The import summary counts each row once")
    func importTally() throws {
        let lyon = Chapter()
        lyon.name = "Lyon"
        lyon.slug = "lyon"
        let csv = """
            email,name,chapter
            new1@example.org,Nouvelle Une,Lyon
            new2@example.org,Nouveau Deux,Lyon
            old1@example.org,Ancienne Une,Lyon
            old2@example.org,Ancien Deux,Lyon
            old3@example.org,Ancienne Trois,Atlantide
            bad-address,Sans Adresse,Lyon
            """
        let result = MemberImport.parse(csv, chapters: ["lyon": lyon], existingEmails: ["old1@example.org", "old2@example.org", "old3@example.org"])
        #expect(result.rows.count == 6)
        let tally = result.tally
        #expect(tally.new == 2 && tally.existing == 2 && tally.errors == 2)
        #expect(tally.new + tally.existing + tally.errors == result.rows.count)
    }

    @Test("Odd requests: a page past the last, a path longer than a file name, the favicon")
    func oddRequests() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            #expect(try await browser.get("/events?page=999").status == .notFound)
            let long = try await browser.get("/chapters/" + String(repeating: "a", count: 5_000))
            #expect(long.status == .notFound)
            #expect(try await browser.get("/" + String(repeating: "b", count: 300) + ".css").status == .notFound)
            #expect(try await browser.get("/favicon.ico").status == .ok)
            #expect(try await browser.get("/").html.contains("rel=\"icon\""))
        }
    }
}
