import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

/// A complete programme, as the admin's form sends it.
func trainingForm(title: String = "Fixer son prix juste", publish: Bool = true) -> [String: String] {
    [
        "title": title, "objectives": "Calculer son taux journalier\nRédiger un devis lisible",
        "prerequisites": "Six mois d'activité en freelance.", "audience": "Freelances membres.", "hours": "14", "days": "2",
        "modality": "in_person", "price_inter": "450", "price_intra": "", "access_delay": "Jusqu'à 7 jours avant la session.",
        "methods": "Études de cas, jeux de rôle.", "evaluation": "Quiz d'entrée et devis final évalué.",
        "programme": "Jour 1 : ses charges\nJour 2 : le devis", "accessibility": "Locaux de plain-pied, supports adaptables.",
        "contacts": "formation@maillon.example", "publish": publish ? "yes" : "",
    ]
}

/// Another person, signed in on their own browser.
func secondBrowser(_ ctx: TestContext, email: String, role: Role) async throws -> TestBrowser {
    try await makeUser(ctx, email: email, name: "Marie Seconde", role: role)
    let browser = ctx.browser()
    try await signIn(browser, email: email)
    return browser
}

@Suite("Training catalogue")
struct TrainingTests {
    @Test("Bad input is refused on the form with translated errors, the input kept and nothing saved")
    func badInput() async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            var form = trainingForm(publish: false)
            form["title"] = String(repeating: "é", count: 141)
            form["days"] = "1,25"
            form["hours"] = "quatorze"
            form["modality"] = "sous l'eau"
            let response = try await admin.post("/admin/trainings/new", form)
            #expect(response.status == .unprocessableEntity)
            #expect(response.html.contains("Indiquez un nombre de jours entier ou en demi-journées"))
            #expect(response.html.contains("Calculer son taux journalier"), "the input is kept")
            #expect(try await Training.query(on: ctx.db).count() == 0)
            #expect(try await TrainingVersion.query(on: ctx.db).count() == 0)
            // Too many hours for the days given.
            form = trainingForm()
            form["hours"] = "40"
            #expect(try await admin.post("/admin/trainings/new", form).html.contains("Plus de 7 heures par demi-journée"))
        }
    }

    @Test("A programme missing a mandatory field cannot be published: the form names each one; a draft can be incomplete and stays hidden")
    func mandatoryFields() async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            var form = trainingForm()
            form["evaluation"] = ""
            form["accessibility"] = "  "
            form["objectives"] = "\n \n"
            let refused = try await admin.post("/admin/trainings/new", form)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("La formation ne peut pas être publiée : il manque Objectifs opérationnels et évaluables, Modalités d&#39;évaluation, Accessibilité aux personnes en situation de handicap.")
                    || refused.html.contains("La formation ne peut pas être publiée : il manque Objectifs opérationnels et évaluables, Modalités d'évaluation, Accessibilité aux personnes en situation de handicap."))
            #expect(refused.html.components(separatedBy: "Obligatoire pour publier.").count - 1 == 3)
            #expect(try await Training.query(on: ctx.db).count() == 0)

            // As a draft it is saved, seen by admins only.
            form["publish"] = ""
            #expect(try await admin.post("/admin/trainings/new", form).status == .seeOther)
            let training = try #require(try await Training.query(on: ctx.db).first())
            #expect(training.status == .draft)
            #expect(try await ctx.browser().get("/trainings/\(training.slug)").status == .notFound)
            let member = try await secondBrowser(ctx, email: "membre@example.org", role: .member)
            #expect(try await member.get("/trainings/\(training.slug)").status == .notFound)
            #expect(!(try await member.get("/trainings").html.contains("Fixer son prix juste")))
            #expect(try await admin.get("/trainings/\(training.slug)").html.contains("Brouillon : seuls les administrateurs voient cette page."))
            #expect(try await admin.get("/admin/trainings").html.contains("3 champs à remplir pour publier"))

            // Completed, it is published and visitors read it.
            #expect(try await admin.post("/admin/trainings/\(training.requireID())/edit", trainingForm()).status == .seeOther)
            let visitor = ctx.browser()
            let catalogue = try await visitor.get("/trainings")
            #expect(catalogue.status == .ok && catalogue.html.contains("Fixer son prix juste") && catalogue.html.contains("450 € HT par stagiaire"))
            let page = try await visitor.get("/trainings/\(training.slug)")
            #expect(page.status == .ok)
            for text in ["Calculer son taux journalier", "14 heures sur 2 jours", "En présentiel", "Jour 2 : le devis", "Locaux de plain-pied",
                         "Référent handicap : à nommer", "Aucune session de cette formation n&#39;est encore terminée", "version 2"] {
                #expect(page.html.contains(text) || page.html.contains(text.replacingOccurrences(of: "&#39;", with: "'")), "\(text)")
            }
        }
    }

    @Test("Each change keeps a numbered version with who and when; an old version reads as it was; saving unchanged content keeps none")
    func versions() async throws {
        try await withMaillon { ctx in
            let (author, admin) = try await signedInBrowser(ctx, role: .admin)
            try await admin.post("/admin/trainings/new", trainingForm())
            let training = try #require(try await Training.query(on: ctx.db).first())
            let id = try training.requireID()
            var form = trainingForm()
            form["programme"] = "Jour 1 : ses charges réelles\nJour 2 : le devis qui rassure"
            ctx.time.advance(by: 60)
            try await admin.post("/admin/trainings/\(id)/edit", form)
            try await admin.post("/admin/trainings/\(id)/edit", form)
            let versions = try await TrainingVersion.query(on: ctx.db).filter(\.$training.$id == id).sort(\.$number).all()
            #expect(versions.map(\.number) == [1, 2])
            #expect(versions.allSatisfy { $0.$author.id == author.id })
            #expect(try versions[0].decoded().programme == "Jour 1 : ses charges\nJour 2 : le devis")
            #expect(try await Training.find(id, on: ctx.db)?.version == 2)
            let old = try await admin.get("/admin/trainings/\(id)/versions/1")
            #expect(old.status == .ok && old.html.contains("Jour 2 : le devis") && !old.html.contains("le devis qui rassure"))
            #expect(old.html.contains("Vous lisez la version 1 de ce programme ; la version en cours est la 2."))
            #expect(try await admin.get("/admin/trainings/\(id)/versions/7").status == .notFound)
            #expect(try await admin.get("/admin/trainings/\(id)/edit").html.contains("/admin/trainings/\(id)/versions/2"))
            #expect(try await admin.get("/trainings/\(training.slug)").html.contains("le devis qui rassure"))
        }
    }

    @Test("Two admins saving at once make two numbered versions, on either database")
    func parallelSaves() async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await admin.post("/admin/trainings/new", trainingForm())
            let id = try #require(try await Training.query(on: ctx.db).first()?.requireID())
            let other = try await secondBrowser(ctx, email: "admin2@example.org", role: .admin)
            try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for (index, browser) in [admin, other].enumerated() {
                    var form = trainingForm()
                    form["contacts"] = "contact \(index)"
                    group.addTask { try await browser.post("/admin/trainings/\(id)/edit", form).status }
                }
                for try await status in group { #expect(status == .seeOther) }
            }
            #expect(try await TrainingVersion.query(on: ctx.db).filter(\.$training.$id == id).sort(\.$number).all(\.$number) == [1, 2, 3])
        }
    }

    @Test("Only admins write the catalogue: members, ambassadors, organisations and visitors are refused on every path")
    func forbiddenPaths() async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await admin.post("/admin/trainings/new", trainingForm())
            let training = try #require(try await Training.query(on: ctx.db).first())
            let id = try training.requireID()
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "lyon@example.org", name: "Léo Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "lyon@example.org")
            let (_, _, organisation) = try await makeOrganisation(ctx)
            let member = try await secondBrowser(ctx, email: "membre@example.org", role: .member)
            for browser in [member, ambassador, organisation] {
                #expect(try await browser.get("/admin/trainings").status == .forbidden)
                #expect(try await browser.get("/admin/trainings/new").status == .forbidden)
                #expect(try await browser.post("/admin/trainings/new", trainingForm(title: "Pirate")).status == .forbidden)
                #expect(try await browser.get("/admin/trainings/\(id)/edit").status == .forbidden)
                #expect(try await browser.post("/admin/trainings/\(id)/edit", trainingForm(title: "Pirate")).status == .forbidden)
                #expect(try await browser.get("/admin/trainings/\(id)/versions/1").status == .forbidden)
                #expect(!(try await browser.get("/trainings/\(training.slug)").html.contains("/edit")))
            }
            let visitor = ctx.browser()
            let anonymous = try await visitor.post("/admin/trainings/\(id)/edit", trainingForm(title: "Pirate"))
            #expect(anonymous.status == .forbidden || anonymous.status == .seeOther, "\(anonymous.status)")
            #expect(try await visitor.get("/admin/trainings/new").status == .seeOther, "sign in first")
            #expect(try await Training.query(on: ctx.db).count() == 1)
            #expect(try await Training.find(id, on: ctx.db)?.title == "Fixer son prix juste")
            #expect(try await ctx.browser().get("/trainings/\u{0}%ZZ").status.code < 500)
        }
    }

    @Test("The disability referent set in the settings shows on every programme")
    func referent() async throws {
        var options = TestOptions()
        options.disabilityReferent = ("Inès Robert", "handicap@maillon.example")
        try await withMaillon(options) { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await admin.post("/admin/trainings/new", trainingForm())
            let slug = try #require(try await Training.query(on: ctx.db).first()?.slug)
            #expect(try await ctx.browser().get("/trainings/\(slug)").html.contains("Référent handicap : Inès Robert (handicap@maillon.example)."))
        }
    }

    @Test("Durations read in words; days are whole or half")
    func durations() {
        var form = FormReader([:])
        #expect(TrainingInput.halfDays("0,5", into: &form) == 1)
        #expect(TrainingInput.halfDays("1.5", into: &form) == 3)
        #expect(TrainingInput.halfDays("2", into: &form) == 4)
        #expect(form.errors.isEmpty)
        #expect(TrainingInput.halfDays("1,2", into: &form) == nil)
        #expect(TrainingInput.halfDays("0", into: &form) == nil)
        #expect(TrainingInput.halfDays("nan", into: &form) == nil)
        #expect(TrainingRules.days(3) == "1.5" && TrainingRules.days(4) == "2")
        #expect(TrainingRules.missing(TrainingInput(values: trainingForm()).content).isEmpty)
        #expect(TrainingRules.missing(TrainingContent()).count == 14)
    }

    @Test("Training pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let (admin, browser) = try await signedInBrowser(ctx, role: .admin, locale: language == "fr" ? .fr : .en)
            _ = admin
            try await browser.post("/admin/trainings/new", trainingForm())
            let training = try #require(try await Training.query(on: ctx.db).first())
            let id = try training.requireID()
            for path in ["/admin/trainings", "/admin/trainings/new", "/admin/trainings/\(id)/edit", "/admin/trainings/\(id)/versions/1", "/trainings", "/trainings/\(training.slug)"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.html.range(of: #"training\.[a-z]"#, options: .regularExpression) == nil, "\(path): every string from the catalogue")
            }
            let visitor = ctx.browser(language: language)
            #expect(try await visitor.get("/trainings").status == .ok)
            #expect(try await visitor.get("/trainings/\(training.slug)").html.contains(language == "fr" ? "Objectifs" : "Objectives"))
        }
    }
}
