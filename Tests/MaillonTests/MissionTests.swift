import Fluent
import Foundation
@testable import Maillon
import NIOConcurrencyHelpers
import Testing
import Vapor
import VaporTesting

/// An organisation with one contact (verified, signed in through the real form).
@discardableResult
func makeOrganisation(_ ctx: TestContext, name: String = "Les Jardins Partagés", email: String = "asso@example.org") async throws -> (Organisation, User, TestBrowser) {
    let user = try await makeUser(ctx, email: email, name: "Nadia Asso", role: .organisationContact)
    let organisation = Organisation()
    organisation.slug = try await OrganisationsController.freeSlug(name, on: ctx.db)
    organisation.name = name
    organisation.kind = .association
    organisation.city = "Lyon"
    organisation.description = "Des jardins partagés dans les quartiers."
    organisation.causes = "sdg11,local_food"
    organisation.createdAt = ctx.time.now()
    try await organisation.create(on: ctx.db)
    let contact = OrganisationContact()
    contact.$organisation.id = try organisation.requireID()
    contact.$user.id = try user.requireID()
    contact.createdAt = ctx.time.now()
    try await contact.create(on: ctx.db)
    let browser = ctx.browser()
    try await signIn(browser, email: email)
    try await browser.get("/missions")
    return (organisation, user, browser)
}

func missionForm(chapter: Chapter?, now: Date, title: String = "Identité visuelle et site web") -> [String: String] {
    func day(_ offset: Double) -> String { String(FormReader.localDateTimeValue(now.addingTimeInterval(offset * 86400)).prefix(10)) }
    return ["title": title, "context": "Nous ouvrons trois nouveaux jardins.", "deliverables": "Un logo, une charte, un site.",
            "required_skills": "Identité visuelle, Développement web", "nice_skills": "Illustration", "profession": "",
            "work_mode": "hybrid", "city": "Lyon", "chapter": chapter?.id?.uuidString ?? "", "audience": "all",
            "starts_on": day(30), "duration_days": "15", "days_per_week": "2", "budget": "day_rate", "rate_min": "350", "rate_max": "500",
            "application_deadline": day(20), "cause_local_food": "yes",
            "role1_title": "Designer de marque", "role1_skills": "Identité visuelle", "role1_days": "6",
            "role2_title": "Développeur·se web", "role2_skills": "Développement web", "role2_days": "9"]
}

@Suite("Missions")
struct MissionTests {
    @Test("A visitor signs up as an organisation: the account, the organisation and its first contact, nothing half-written on an error")
    func organisationSignUp() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            #expect(try await browser.get("/organisations/new").status == .ok)
            var form = ["name": "Nadia Asso", "email": "nadia@asso.example", "password": goodPassword, "organisation_name": "",
                        "kind": "association", "city": "Lyon", "description": "Des jardins.", "website": "javascript:alert(1)", "cause_sdg11": "yes"]
            let refused = try await browser.post("/organisations/new", form)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("nadia@asso.example"), "input kept")
            #expect(try await User.query(on: ctx.db).count() == 0)
            #expect(try await Organisation.query(on: ctx.db).count() == 0)
            form["organisation_name"] = "Les Jardins Partagés"
            form["website"] = "https://jardins.example"
            #expect(try await browser.post("/organisations/new", form).status == .seeOther)
            let user = try #require(try await User.query(on: ctx.db).first())
            #expect(user.role == .organisationContact)
            let organisation = try #require(try await Organisation.query(on: ctx.db).first())
            #expect(organisation.slug == "les-jardins-partages")
            #expect(try await OrganisationContact.query(on: ctx.db).count() == 1)
            let link = try #require(ctx.mailer.localLink(to: "nadia@asso.example", path: "/verify-email"))
            #expect(try await browser.get(link).status == .ok)
            try await signIn(browser, email: "nadia@asso.example")
            let page = try await browser.get("/organisations/les-jardins-partages")
            #expect(page.html.contains("Les Jardins Partagés") && page.html.contains("Nouvelle mission"))
            // A colleague becomes a contact through a week-long link.
            #expect(try await browser.post("/organisations/les-jardins-partages/contacts", ["name": "Paul Collègue", "email": "paul@asso.example"]).status == .seeOther)
            #expect(ctx.mailer.localLink(to: "paul@asso.example", path: "/password/reset") != nil)
            #expect(try await OrganisationContact.query(on: ctx.db).count() == 2)
        }
    }

    @Test("Journey 3, first part: a mission is posted (errors kept), submitted, reviewed by the chapter's ambassador and published to members, with its history")
    func postReviewPublish() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let (_, _, contact) = try await makeOrganisation(ctx)
            try await contact.get("/missions/new")
            var form = missionForm(chapter: lyon, now: ctx.time.now())
            form["rate_max"] = "100"
            form["required_skills"] = ""
            let refused = try await contact.post("/missions/new", form)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("Identité visuelle et site web"), "input kept")
            #expect(refused.html.contains("Le maximum doit être au moins égal au minimum."))
            #expect(try await Mission.query(on: ctx.db).count() == 0)
            form = missionForm(chapter: lyon, now: ctx.time.now())
            #expect(try await contact.post("/missions/new", form).status == .seeOther)
            let mission = try #require(try await Mission.query(on: ctx.db).first())
            let id = try mission.requireID()
            #expect(mission.status == .draft)
            #expect(try await MissionSkill.query(on: ctx.db).filter(\.$required == true).count() == 2)
            #expect(try await MissionRole.query(on: ctx.db).count() == 2)

            // Members do not see a draft; the organisation cannot publish it itself.
            let (_, member) = try await signedInBrowser(ctx)
            #expect(try await member.get("/missions/\(id)").status == .notFound)
            #expect(try await contact.post("/missions/\(id)/move", ["to": "published"]).status == .forbidden)
            #expect(try await contact.post("/missions/\(id)/move", ["to": "submitted"]).status == .seeOther)
            await ctx.runJobs()
            #expect(try await Mission.find(id, on: ctx.db)?.status == .submitted)
            #expect(try await contact.get("/missions/\(id)/edit").status == .forbidden, "no longer a draft")

            // The Lyon ambassador is told, sees it to review, and publishes it.
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            #expect(try await ambassador.get("/missions?tab=review").html.contains("Identité visuelle et site web"))
            #expect(try await ambassador.post("/missions/\(id)/move", ["to": "published"]).status == .seeOther)
            #expect(try await Mission.find(id, on: ctx.db)?.status == .published)
            #expect(ctx.mailer.messages(to: "asso@example.org").contains { $0.subject.contains("publiée") })

            // Members find it; the history says who did what.
            let list = try await member.get("/missions")
            #expect(list.html.contains("Identité visuelle et site web"))
            #expect(try await member.get("/missions/\(id)").status == .ok)
            let page = try await contact.get("/missions/\(id)")
            #expect(page.html.contains("publiée — par Ambre Lyon"))
            #expect(page.html.contains("en attente de validation — par Nadia Asso"))
        }
    }

    @Test("Declining and cancelling need a reason; the organisation is told why")
    func reasons() async throws {
        try await withMaillon { ctx in
            let (_, _, contact) = try await makeOrganisation(ctx)
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await contact.get("/missions/new")
            try await contact.post("/missions/new", missionForm(chapter: nil, now: ctx.time.now()))
            let id = try #require(try await Mission.query(on: ctx.db).first()?.requireID())
            try await contact.post("/missions/\(id)/move", ["to": "submitted"])
            try await admin.get("/missions/\(id)")
            let bare = try await admin.post("/missions/\(id)/move", ["to": "declined", "reason": " "])
            #expect(bare.status == .unprocessableEntity)
            #expect(bare.html.contains("Donnez une raison."))
            #expect(try await admin.post("/missions/\(id)/move", ["to": "declined", "reason": "Ce n'est pas une mission rémunérée."]).status == .seeOther)
            let mail = try #require(ctx.mailer.messages(to: "asso@example.org").last)
            #expect(mail.text.contains("Ce n'est pas une mission rémunérée."))
            #expect(try await contact.post("/missions/\(id)/move", ["to": "cancelled", "reason": "Trop tard"]).status == .conflict, "a declined mission is done")
        }
    }

    @Test("Authorisation: another organisation, a member, an ambassador of another chapter, an applicant — each is refused")
    func forbiddenPaths() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let paris = try await makeChapter(ctx, "Paris")
            try await makeAmbassador(ctx, of: paris, email: "paris@example.org", name: "Paul Paris")
            let (_, _, contact) = try await makeOrganisation(ctx)
            try await contact.get("/missions/new")
            var form = missionForm(chapter: lyon, now: ctx.time.now())
            form["audience"] = "chapter"
            try await contact.post("/missions/new", form)
            let id = try #require(try await Mission.query(on: ctx.db).first()?.requireID())
            try await contact.post("/missions/\(id)/move", ["to": "submitted"])

            let (_, _, rival) = try await makeOrganisation(ctx, name: "Autre Asso", email: "autre@example.org")
            #expect(try await rival.get("/missions/\(id)").status == .notFound)
            #expect(try await rival.post("/missions/\(id)/move", ["to": "cancelled", "reason": "x"]).status == .notFound)
            #expect(try await rival.post("/missions/\(id)/edit", form).status == .notFound)

            let parisAmbassador = ctx.browser()
            try await signIn(parisAmbassador, email: "paris@example.org")
            #expect(try await parisAmbassador.get("/missions/\(id)").status == .notFound, "another chapter's mission")
            #expect(try await parisAmbassador.post("/missions/\(id)/move", ["to": "published"]).status == .notFound)
            #expect(!(try await parisAmbassador.get("/missions?tab=review").html.contains("Identité visuelle")))

            let (_, member) = try await signedInBrowser(ctx)
            #expect(try await member.get("/missions/new").status == .forbidden)
            #expect(try await member.post("/missions/new", form).status == .forbidden)

            // Published for Lyon's members only: a member without that chapter does not see it.
            try await Mission.query(on: ctx.db).set(\.$status, to: .published).update()
            #expect(try await member.get("/missions/\(id)").status == .notFound)
            #expect(!(try await member.get("/missions").html.contains("Identité visuelle")))

            try await makeUser(ctx, email: "app@example.org", role: .applicant)
            let applicant = ctx.browser()
            try await signIn(applicant, email: "app@example.org")
            #expect(try await applicant.get("/missions").status == .forbidden)
            #expect(try await ctx.browser().get("/missions").status == .seeOther, "visitors sign in first")
        }
    }

    @Test("Two reviewers deciding at once: exactly one decision wins, on either database")
    func parallelDecisions() async throws {
        try await withMaillon { ctx in
            let (_, contact, _) = try await makeOrganisation(ctx)
            let admin = try await makeUser(ctx, email: "admin@example.org", name: "Admin", role: .admin)
            let chapters = Set<UUID>()
            let input = MissionInput(values: missionForm(chapter: nil, now: ctx.time.now()), chapters: chapters, now: ctx.time.now())
            let organisation = try #require(try await Organisation.query(on: ctx.db).first()?.requireID())
            let mission = try await MissionWorkflow(application: ctx.app, database: ctx.db, now: ctx.time.now()).create(input, for: organisation, by: contact)
            try await MissionWorkflow(application: ctx.app, database: ctx.db, now: ctx.time.now()).move(mission, to: .submitted, as: .organisation, by: contact, reason: nil)
            let wins = NIOLockedValueBox(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        let copy = try #require(try await Mission.find(mission.id, on: ctx.db))
                        do {
                            try await ctx.db.transaction { db in
                                try await MissionWorkflow(application: ctx.app, database: db, now: ctx.time.now())
                                    .move(copy, to: index.isMultiple(of: 2) ? .published : .declined, as: .staff, by: admin, reason: "décision \(index)")
                            }
                            wins.withLockedValue { $0 += 1 }
                        } catch is MissionWorkflow.Conflict {}
                    }
                }
                try await group.waitForAll()
            }
            #expect(wins.withLockedValue { $0 } == 1)
            #expect(try await MissionEvent.query(on: ctx.db).filter(\.$toStatus ~~ [.published, .declined]).count() == 1)
        }
    }

    @Test("Matching rules: hard filters named, a score made of named factors, the best first")
    func matcherRules() {
        let lyon = UUID(), paris = UUID()
        var needs = Matcher.MissionNeeds(required: [.init(slug: "ux-design", label: "UX design"), .init(slug: "figma", label: "Figma"),
                                                    .init(slug: "accessibilite-numerique", label: "Accessibilité numérique")],
                                         niceToHave: [.init(slug: "illustration", label: "Illustration")], profession: "design",
                                         causes: ["sdg4"], chapter: lyon, city: "Lyon", workMode: .hybrid, rates: 300...450, startsOn: Date())
        let best = Matcher.Candidate(userID: UUID(), chapter: lyon, city: "Lyon", skills: ["ux-design", "figma", "accessibilite-numerique", "illustration"],
                                     profession: "design", causes: ["sdg4"], rateMin: 400)
        let good = Matcher.Candidate(userID: UUID(), chapter: lyon, city: "Lyon", skills: ["ux-design", "figma"], rateMin: 600)
        let far = Matcher.Candidate(userID: UUID(), chapter: paris, city: "Paris", skills: ["ux-design"])
        let away = Matcher.Candidate(userID: UUID(), availability: "not", chapter: lyon, city: "Lyon", skills: ["figma"])
        let remoteOnly = Matcher.Candidate(userID: UUID(), chapter: lyon, city: "Lyon", workMode: "remote", skills: ["figma"])
        let other = Matcher.Candidate(userID: UUID(), chapter: lyon, city: "Lyon", skills: ["seo"])
        let ranked = Matcher.rank([good, far, best, away, other], for: needs)
        #expect(ranked.matches.map(\.userID) == [best.userID, good.userID])
        let reasons = Dictionary(ranked.excluded.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons[far.userID] == .tooFar && reasons[away.userID] == .unavailable && reasons[other.userID] == .noRequiredSkill)
        #expect(ranked.matches[0].factors.contains(.requiredSkills(matched: ["UX design", "Figma", "Accessibilité numérique"], of: 3)))
        #expect(ranked.matches[0].factors.contains(.sameChapter) && ranked.matches[0].factors.contains(.rateWithinBudget))
        #expect(!ranked.matches[1].factors.contains(.rateWithinBudget), "above the budget")
        // Hybrid lets a remote-only worker of the same place in; on site does not.
        #expect(Matcher.exclusion(remoteOnly, for: needs) == nil)
        needs.workMode = .onsite
        #expect(Matcher.exclusion(remoteOnly, for: needs) == .tooFar)
        // Remote missions reach everyone; a chapter audience does not.
        needs.workMode = .remote
        #expect(Matcher.exclusion(far, for: needs) == nil)
        needs.restrictedTo = lyon
        #expect(Matcher.exclusion(far, for: needs) == .otherChapter)
    }

    @Test("The mission page explains who fits to its organisation and staff (staff also see who was filtered out); members see none of it")
    func suggestionsExplained() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            try await makeMember(ctx, "Inès Graphiste", email: "ines@example.org", chapter: lyon, headline: "Designer",
                                 skills: ["Identité visuelle", "Illustration"], causes: ["local_food"])
            try await makeMember(ctx, "Théo Dev", email: "theo@example.org", chapter: lyon, headline: "Développeur",
                                 skills: ["Développement web", "Identité visuelle"])
            try await makeMember(ctx, "Zoé Absente", email: "zoe@example.org", chapter: lyon, headline: "Designer", skills: ["Identité visuelle"],
                                 availability: "not")
            let (_, _, contact) = try await makeOrganisation(ctx)
            try await contact.get("/missions/new")
            try await contact.post("/missions/new", missionForm(chapter: lyon, now: ctx.time.now()))
            let id = try #require(try await Mission.query(on: ctx.db).first()?.requireID())
            try await contact.post("/missions/\(id)/move", ["to": "submitted"])
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            let review = try await ambassador.get("/missions/\(id)")
            #expect(review.html.contains("Qui correspond, et pourquoi"))
            #expect(review.html.contains("2 compétences requises sur 2 : Développement web, Identité visuelle"))
            #expect(review.html.contains("1 compétence requise sur 2 : Identité visuelle"))
            #expect(review.html.contains("aussi : Illustration"))
            #expect(review.html.contains("antenne Lyon"))
            #expect(review.html.contains("Zoé Absente — indisponible"), "staff see who was filtered out, and why")
            let theo = try #require(review.html.range(of: "Théo Dev")), ines = try #require(review.html.range(of: "Inès Graphiste"))
            #expect(theo.lowerBound < ines.lowerBound, "both required skills first")

            let organisation = try await contact.get("/missions/\(id)")
            #expect(organisation.html.contains("Théo Dev"))
            #expect(!organisation.html.contains("Zoé Absente"), "nobody learns they were filtered out")
            try await ambassador.post("/missions/\(id)/move", ["to": "published"])
            let (_, member) = try await signedInBrowser(ctx)
            let page = try await member.get("/missions/\(id)")
            #expect(page.status == .ok && !page.html.contains("Qui correspond"))
        }
    }

    @Test("The daily job expires published missions past their deadline and completes delivered ones after 30 days, once across instances")
    func deadlinesJob() async throws {
        try await withTwoInstances { first, second in
            let (_, contact, _) = try await makeOrganisation(first)
            let organisation = try #require(try await Organisation.query(on: first.db).first()?.requireID())
            let workflow = MissionWorkflow(application: first.app, database: first.db, now: first.time.now())
            let input = MissionInput(values: missionForm(chapter: nil, now: first.time.now()), chapters: [], now: first.time.now())
            let open = try await workflow.create(input, for: organisation, by: contact)
            try await workflow.move(open, to: .submitted, as: .organisation, by: contact, reason: nil)
            try await workflow.move(open, to: .published, as: .staff, by: nil, reason: nil)
            let delivered = try await workflow.create(input, for: organisation, by: contact)
            delivered.status = .delivered
            try await delivered.save(on: first.db)
            first.time.advance(by: 31 * 86400)
            for instance in [first, second] {
                try await MissionDeadlinesJob().run(JobContext(application: instance.app, logger: instance.app.logger, jobID: UUID()))
            }
            #expect(try await Mission.find(open.id, on: first.db)?.status == .expired)
            #expect(try await Mission.find(delivered.id, on: first.db)?.status == .completed)
            #expect(try await MissionEvent.query(on: first.db).filter(\.$toStatus == .expired).count() == 1)
            #expect(try await MissionEvent.query(on: first.db).filter(\.$toStatus == .completed).count() == 1)
        }
    }

    @Test("An organisation contact's data: exported, and erased without taking the organisation's missions along")
    func contactPrivacy() async throws {
        try await withMaillon { ctx in
            let (_, contact, browser) = try await makeOrganisation(ctx)
            try await browser.get("/missions/new")
            try await browser.post("/missions/new", missionForm(chapter: nil, now: ctx.time.now()))
            let export = try await browser.get("/account/export")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(export.body.readableBytesView)) as? [String: Any])
            let section = try #require(json["organisations"] as? [String: Any])
            #expect(section["contact_of"] as? [String] == ["Les Jardins Partagés"])
            #expect((section["missions_written"] as? [Any])?.count == 1)
            // Their preferences offer what concerns them.
            let preferences = try await browser.get("/account/notifications")
            #expect(preferences.html.contains("mission_status") && !preferences.html.contains("event_reminder"))

            try await browser.get("/account/delete")
            #expect(try await browser.post("/account/delete", ["current_password": goodPassword, "confirm": "SUPPRIMER"]).status == .seeOther)
            let stored = try await everyStoredValue(ctx.db)
            for trace in ["Nadia Asso", "asso@example.org", try contact.requireID().uuidString] {
                #expect(!stored.contains { $0.contains(trace) }, "\(trace) remains")
            }
            #expect(try await Mission.query(on: ctx.db).count() == 1, "the organisation's mission stays")
            #expect(try await Mission.query(on: ctx.db).first()?.$createdBy.id == nil)
        }
    }

    @Test("Mission pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let (organisation, _, _) = try await makeOrganisation(ctx)
            let contact = ctx.browser(language: language)
            try await signIn(contact, email: "asso@example.org")
            for path in ["/missions", "/missions/new", "/organisations/\(organisation.slug)"] {
                #expect(try await contact.get(path).status == .ok, "\(path)")
            }
            let home = try await contact.get("/")
            #expect(!home.html.contains("next-steps"), "an organisation's contact is not asked to apply")
            #expect(home.html.contains("href=\"/missions\""), "their way in is the missions")
            try await contact.post("/missions/new", missionForm(chapter: lyon, now: ctx.time.now()))
            let id = try #require(try await Mission.query(on: ctx.db).first()?.requireID())
            let page = try await contact.get("/missions/\(id)")
            #expect(page.status == .ok)
            #expect(page.html.contains(language == "fr" ? "Soumettre à l&#39;équipe" : "Submit to the team"))
            #expect(try await contact.get("/missions/\(id)/edit").status == .ok)
            #expect(try await ctx.browser(language: language).get("/organisations/new").status == .ok)
        }
    }
}

@Suite("Sharing opportunities")
struct SharingTests {
    @Test("Someone suggested often lately is nudged below an equal fit who was not; a clearly better fit stays ahead")
    func nudge() {
        let needs = Matcher.MissionNeeds(required: [.init(slug: "seo", label: "SEO"), .init(slug: "crm", label: "CRM"), .init(slug: "growth", label: "Growth")],
                                         startsOn: Date())
        let busy = Matcher.Candidate(userID: UUID(), skills: ["seo", "crm"])
        let fresh = Matcher.Candidate(userID: UUID(), skills: ["seo", "crm"])
        let weaker = Matcher.Candidate(userID: UUID(), skills: ["seo"])
        let strong = Matcher.Candidate(userID: UUID(), skills: ["seo", "crm", "growth"])
        #expect(Matcher.rank([busy, fresh, weaker], for: needs, recent: [busy.userID: 2]).matches.map(\.userID).prefix(2) == [fresh.userID, busy.userID])
        // The nudge is capped: the strongest fit, however often suggested, stays ahead of the weakest.
        let ranked = Matcher.rank([strong, weaker], for: needs, recent: [strong.userID: 50]).matches
        #expect(ranked.first?.userID == strong.userID)
        #expect(ranked.first.map { $0.fit - $0.score } == Matcher.maximumNudge)
    }

    @Test("The simulation: the nudge spreads the places over more members for little fit")
    func simulation() {
        var random = DemoCommunity.Generator(state: 7)
        let chapters = (0..<3).map { (id: UUID(), city: "Ville \($0)") }
        let skills = Taxonomy.curatedSkills.map(\.slug)
        let members = (0..<300).map { _ in
            let chapter = random.pick(chapters)
            return Matcher.Candidate(userID: UUID(), chapter: chapter.id, city: chapter.city,
                                     skills: Set((0..<3).map { _ in random.pick(skills) }), profession: random.pick(Profession.all))
        }
        let missions = FairnessSimulation.missions(80, chapters: chapters)
        let without = FairnessSimulation.run(members, missions: missions, nudge: 0)
        let with = FairnessSimulation.run(members, missions: missions, nudge: Matcher.nudgePerSuggestion)
        #expect(with.concentration < without.concentration)
        #expect(with.membersSuggested > without.membersSuggested)
        #expect(with.coverage >= without.coverage * 0.95, "under 5 % less coverage")
    }

    @Test("Publishing tells the top members why they fit, records it for the digest, and tells nobody else")
    func publicationTellsTopMembers() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeMember(ctx, "Inès Graphiste", email: "ines@example.org", chapter: lyon, headline: "Designer", skills: ["Identité visuelle"])
            try await makeMember(ctx, "Zoé Absente", email: "zoe@example.org", chapter: lyon, headline: "Designer", skills: ["Identité visuelle"], availability: "not")
            try await makeMember(ctx, "Paul Compta", email: "paul@example.org", chapter: lyon, headline: "Comptable", skills: ["Comptabilité"])
            let (organisation, contact, _) = try await makeOrganisation(ctx)
            let input = MissionInput(values: missionForm(chapter: lyon, now: ctx.time.now()), chapters: [try lyon.requireID()], now: ctx.time.now())
            let workflow = MissionWorkflow(application: ctx.app, database: ctx.db, now: ctx.time.now())
            let mission = try await workflow.create(input, for: try organisation.requireID(), by: contact)
            try await workflow.move(mission, to: .submitted, as: .organisation, by: contact, reason: nil)
            try await workflow.move(mission, to: .published, as: .staff, by: nil, reason: nil)
            await ctx.runJobs()
            let told = try #require(ctx.mailer.messages(to: "ines@example.org").first { $0.subject.contains("vous correspond") })
            #expect(told.text.contains("Identité visuelle"), "says why")
            #expect(ctx.mailer.messages(to: "zoe@example.org").isEmpty && ctx.mailer.messages(to: "paul@example.org").isEmpty, "nobody learns they were not suggested")
            #expect(try await MissionSuggestion.query(on: ctx.db).count() == 1)
            let ines = try #require(try await User.query(on: ctx.db).filter(\.$email == "ines@example.org").first())
            let context = JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID())
            let lines = try await MissionsForYouSection().lines(for: ines, since: ctx.time.now().addingTimeInterval(-86400), context: context,
                                                               t: Translator(catalogue: ctx.app.maillon.catalogue, locale: .fr))
            #expect(lines.count == 1 && lines[0].contains("Identité visuelle et site web"))
        }
    }
}

@Suite("Suggested teams")
struct TeamSuggestionTests {
    @Test("Teams cover every role with distinct people, and people who have met come first")
    func rules() {
        let (ana, ben, cid, dan) = (UUID(), UUID(), UUID(), UUID())
        let roles = [TeamSuggester.Role(title: "Design", skills: ["identite-visuelle"]), TeamSuggester.Role(title: "Web", skills: ["developpement-web"])]
        let shortlists: [[(UUID, Double)]] = [[(ana, 1), (ben, 1)], [(cid, 1), (dan, 1), (ana, 1)]]
        let teams = TeamSuggester.suggest(roles, shortlists: shortlists, met: [TeamSuggester.Pair(ben, dan)])
        #expect(teams.first?.members == [ben, dan], "the pair who met")
        #expect(teams.first?.acquaintances == 1)
        #expect(teams.allSatisfy { Set($0.members).count == $0.members.count }, "one person, one role")
        #expect(TeamSuggester.suggest(Array(roles.prefix(1)), shortlists: Array(shortlists.prefix(1)), met: []).isEmpty, "a team needs two roles")
    }

    @Test("The mission page suggests teams for its roles, those who checked in at the same meetup first")
    func onThePage() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ines = try await makeMember(ctx, "Inès Graphiste", email: "ines@example.org", chapter: lyon, headline: "Designer", skills: ["Identité visuelle"])
            try await makeMember(ctx, "Aline Graphiste", email: "aline@example.org", chapter: lyon, headline: "Designer", skills: ["Identité visuelle"])
            let theo = try await makeMember(ctx, "Théo Dev", email: "theo@example.org", chapter: lyon, headline: "Développeur", skills: ["Développement web"])
            // Inès and Théo came to the same lunch.
            let lunch = try await makeEvent(ctx, chapter: lyon, title: "Déjeuner", inDays: -3)
            for user in [ines, theo] {
                let registration = Registration()
                registration.$event.id = try lunch.requireID()
                registration.$user.id = try user.requireID()
                registration.status = .confirmed
                registration.note = ""
                registration.attendance = .attended
                registration.createdAt = ctx.time.now()
                registration.updatedAt = ctx.time.now()
                try await registration.create(on: ctx.db)
            }
            let (_, _, contact) = try await makeOrganisation(ctx)
            try await contact.get("/missions/new")
            try await contact.post("/missions/new", missionForm(chapter: lyon, now: ctx.time.now()))
            let id = try #require(try await Mission.query(on: ctx.db).first()?.requireID())
            try await contact.post("/missions/\(id)/move", ["to": "submitted"])
            let page = try await contact.get("/missions/\(id)")
            #expect(page.html.contains("Collectifs possibles"))
            let first = try #require(page.html.range(of: "Collectifs possibles")).upperBound
            let rest = String(page.html[first...])
            let firstTeam = String(rest.prefix(while: { $0 != "<" }) + (rest.components(separatedBy: "</li>").first ?? ""))
            #expect(firstTeam.contains("Inès Graphiste") && firstTeam.contains("Théo Dev"))
            #expect(firstTeam.contains("1 paire s&#39;est déjà rencontrée"))
        }
    }
}

@Suite("Impact figures")
struct ImpactTests {
    @Test("Visitors see the community's impact, computed from completed missions only")
    func figures() async throws {
        try await withMaillon { ctx in
            #expect(!(try await ctx.browser().get("/").html.contains("Ce que la communauté a déjà fait")), "nothing to show yet")
            let (organisation, contact, _) = try await makeOrganisation(ctx)
            let workflow = MissionWorkflow(application: ctx.app, database: ctx.db, now: ctx.time.now())
            for (index, status) in [Mission.Status.completed, .completed, .published].enumerated() {
                var values = missionForm(chapter: nil, now: ctx.time.now(), title: "Mission \(index)")
                values["duration_days"] = "10"
                values["cause_sdg\(index + 1)"] = "yes"
                let mission = try await workflow.create(MissionInput(values: values, chapters: [], now: ctx.time.now()), for: try organisation.requireID(), by: contact)
                mission.status = status
                try await mission.save(on: ctx.db)
            }
            let figures = try await ImpactFigures.compute(on: ctx.db)
            #expect(figures == ImpactFigures(missions: 2, days: 20, organisations: 1, causes: 3))
            let home = try await ctx.browser().get("/")
            #expect(home.html.contains("2 missions menées à bien") && home.html.contains("20 jours de travail"))
            #expect(home.html.contains("1 structure accompagnée") && home.html.contains("3 causes servies"))
        }
    }
}

@Suite("Matching commands")
struct MatchingCommandTests {
    @Test("simulate-matching and bench-matching report on a generated community")
    func commands() async throws {
        try await withMaillon { ctx in
            _ = try await DemoCommunity(database: ctx.db, now: ctx.time.now(), passwordHash: "x").seed(members: 60, applications: 0)
            for (command, arguments, expected) in [(SimulateMatchingCommand() as any AsyncCommand, ["--missions", "20"], "with the nudge"),
                                                   (BenchMatchingCommand(), ["--missions", "5"], "p99")] {
                let console = RecordingConsole()
                var context = CommandContext(console: console, input: CommandInput(arguments: ["maillon"] + arguments))
                context.application = ctx.app
                try await console.run(command, with: context)
                #expect(console.output.contains(expected), "\(console.output)")
            }
        }
    }
}

@Suite("Ranking in the database")
struct MatchingQueryTests {
    @Test("The database's best ten are exactly Matcher's best ten over every candidate: filters, places spelled differently, recent suggestions, reviews, small batches")
    func sameAsMatcher() async throws {
        try await withMaillon { ctx in
            _ = try await DemoCommunity(database: ctx.db, now: ctx.time.now(), passwordHash: "x").seed(members: 400, applications: 0)
            let members = try await Profile.query(on: ctx.db).sort(\.$user.$id).all(\.$user.$id)
            let missions = try await Mission.query(on: ctx.db).all()
            // Some members were suggested lately, some more than once; some have glowing published reviews.
            for (index, mission) in missions.enumerated() {
                for member in members.dropFirst(index * 7).prefix(40) {
                    let suggestion = MissionSuggestion()
                    suggestion.$mission.id = try mission.requireID()
                    suggestion.$user.id = member
                    suggestion.rank = 1
                    suggestion.createdAt = ctx.time.now()
                    try await suggestion.create(on: ctx.db)
                }
            }
            let completed = try #require(missions.first { $0.status == .completed })
            for member in members.suffix(60).enumerated().filter({ $0.offset % 3 == 0 }).map(\.element) {
                for direction in [MissionReview.Direction.ofFreelancer, .ofOrganisation] {
                    let review = MissionReview()
                    review.$mission.id = try completed.requireID()
                    review.direction = direction
                    review.$freelancer.id = member
                    review.$organisation.id = completed.$organisation.id
                    review.rating = 5
                    review.text = "Parfait"
                    review.createdAt = ctx.time.now()
                    try await review.create(on: ctx.db)
                }
            }
            let chapters = try await Chapter.query(on: ctx.db).all().map { (id: $0.id ?? UUID(), city: $0.name) }
            var needsList = FairnessSimulation.missions(40, chapters: chapters)
            // Places spelled otherwise than on profiles (case, accents), a mission without a chapter, one for a chapter only.
            for index in stride(from: 0, to: needsList.count, by: 5) {
                needsList[index].city = needsList[index].city.uppercased()
                needsList[index].workMode = .onsite
            }
            needsList[1].chapter = nil
            needsList[2].restrictedTo = needsList[2].chapter
            let query = MatchingQuery(database: ctx.db)
            let recent = MatchingQuery.Recent(since: ctx.time.now().addingTimeInterval(-Suggestions.memory), excluding: missions.first?.id)
            let counts = try await query.recentCounts(recent)
            #expect(!counts.isEmpty && counts.values.contains { $0 > 1 })
            var nonEmpty = 0
            for needs in needsList {
                let full = Matcher.rank(try await query.candidates(for: needs), for: needs, recent: counts)
                let expected = full.matches.prefix(10).map(\.userID)
                if !expected.isEmpty { nonEmpty += 1 }
                for batch in [3, 200] {
                    let best = try await query.best(needs, top: 10, recent: recent, batch: batch)
                    #expect(best.map(\.userID) == expected, "batch \(batch), \(needs.required.map(\.slug)) \(needs.workMode)")
                    #expect(best.map(\.factors) == full.matches.prefix(10).map(\.factors), "the same explanations, factor by factor")
                    #expect(best.map(\.score) == full.matches.prefix(10).map(\.score))
                }
                let excluded = try await query.excluded(for: needs, limit: 1000)
                #expect(excluded.map(\.0) == full.excluded.map(\.0).sorted { $0.uuidString < $1.uuidString })
                #expect(excluded.map(\.1) == full.excluded.sorted { $0.0.uuidString < $1.0.uuidString }.map(\.1))
            }
            #expect(nonEmpty > 30, "most generated missions have members who fit")
        }
    }
}
