import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

let spreadsheet = """
Email;Nom;Antenne;Accroche;Ville;Métier;Compétences
lea@example.org;Léa Dupont;Lyon;Développeuse web;Villeurbanne;tech;Développement web|Swift
hugo@example.org;Hugo Martin;paris;Graphiste;Paris;Design;Illustration
pas-une-adresse;Sans Adresse;Lyon;;;;
lea@example.org;Léa Encore;Lyon;;;;
zoe@example.org;Zoé;Atlantide;;;;
ines@example.org;;Lyon;;;astronaute;
"""

@Suite("Member import")
struct ImportTests {
    @Test("The preview checks each row and says what will happen")
    func preview() async throws {
        try await withMaillon { ctx in
            try await makeChapter(ctx, "Lyon")
            try await makeChapter(ctx, "Paris")
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await admin.get("/admin/import")
            let page = try await admin.post("/admin/import", ["csv": spreadsheet])
            #expect(page.status == .ok)
            #expect(page.html.contains("2 membres à créer · 0 déjà présent (inchangé) · 4 lignes en erreur (ignorées)"))
            #expect(page.html.contains("Adresse en double dans le fichier."))
            #expect(page.html.contains("Antenne inconnue."))
            #expect(page.html.contains("Métier inconnu."))
            #expect(try await User.query(on: ctx.db).count() == 1, "a preview writes nothing")

            let bad = try await admin.post("/admin/import", ["csv": "a,b\n1,2"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.html.contains("email, nom et antenne"))
        }
    }

    @Test("Importing creates members with profiles and invitations; importing again changes nothing")
    func importTwice() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeChapter(ctx, "Paris")
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await admin.get("/admin/import")
            #expect(try await admin.post("/admin/import/run", ["csv": spreadsheet]).status == .seeOther)
            let lea = try #require(try await User.query(on: ctx.db).filter(\.$email == "lea@example.org").first())
            #expect(lea.role == .member)
            let profile = try #require(try await Profile.query(on: ctx.db).filter(\.$user.$id == lea.requireID()).first())
            #expect(profile.$homeChapter.id == lyon.id)
            #expect(profile.city == "Villeurbanne")
            #expect(try await ProfileSkill.query(on: ctx.db).filter(\.$user.$id == lea.requireID()).all(\.$label).sorted() == ["Développement web", "Swift"])
            let invitation = try #require(ctx.mailer.localLink(to: "lea@example.org", path: "/password/reset"))
            #expect(try await ctx.browser().get(invitation).status == .ok)

            let users = try await User.query(on: ctx.db).count()
            let profiles = try await Profile.query(on: ctx.db).count()
            let mails = ctx.mailer.messages.count
            try await admin.get("/admin/import")
            #expect(try await admin.post("/admin/import/run", ["csv": spreadsheet]).status == .seeOther)
            #expect(try await User.query(on: ctx.db).count() == users)
            #expect(try await Profile.query(on: ctx.db).count() == profiles)
            #expect(ctx.mailer.messages.count == mails)
            var query = DirectoryQuery()
            query.text = "developpeuse"
            #expect(try await query.run(on: ctx.db).total == 1)
        }
    }

    @Test("Only admins import")
    func forbidden() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Amb")
            let browser = ctx.browser()
            try await signIn(browser, email: "amb@example.org")
            #expect(try await browser.get("/admin/import").status == .forbidden)
            #expect(try await browser.post("/admin/import/run", ["csv": spreadsheet]).status == .forbidden)
            #expect(try await User.query(on: ctx.db).count() == 1)
        }
    }

    @Test("The import page renders in French and English", arguments: ["fr", "en"])
    func pageRenders(language: String) async throws {
        try await withMaillon { ctx in
            try await makeChapter(ctx, "Lyon")
            let (_, admin) = try await signedInBrowser(ctx, role: .admin, locale: AppLocale(rawValue: language))
            let page = try await admin.get("/admin/import")
            PageTests.expectWellFormedPage(page.html, lang: language, path: "/admin/import")
            try await admin.get("/admin/import")
            let preview = try await admin.post("/admin/import", ["csv": spreadsheet])
            PageTests.expectWellFormedPage(preview.html, lang: language, path: "/admin/import preview")
        }
    }
}
