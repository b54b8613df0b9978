import Fluent
import Foundation
@testable import Maillon
import NIOConcurrencyHelpers
import Testing
import Vapor
import VaporTesting

/// A published mission of a fresh organisation (its contact signed in), for answering.
func publishedMission(_ ctx: TestContext, budget: String = "day_rate") async throws -> (Mission, User, TestBrowser) {
    let (organisation, contact, browser) = try await makeOrganisation(ctx)
    var form = missionForm(chapter: nil, now: ctx.time.now())
    form["budget"] = budget
    form["total"] = "5000"
    let input = MissionInput(values: form, chapters: [], now: ctx.time.now())
    #expect(input.errors.isEmpty)
    let workflow = MissionWorkflow(application: ctx.app, database: ctx.db, now: ctx.time.now())
    let mission = try await workflow.create(input, for: try organisation.requireID(), by: contact)
    try await workflow.move(mission, to: .submitted, as: .organisation, by: contact, reason: nil)
    try await workflow.move(mission, to: .published, as: .staff, by: nil, reason: nil)
    return (mission, contact, browser)
}

private let answer = ["message": "Je connais bien les jardins partagés.", "approach": "Deux ateliers, puis un site simple.",
                      "availability": "Deux jours par semaine", "price": "day_rate", "day_rate": "420", "days": "12"]

func signedInMember(_ ctx: TestContext, _ name: String, _ email: String) async throws -> (User, TestBrowser) {
    let user = try await makeMember(ctx, name, email: email, chapter: nil, headline: "Freelance", skills: ["Identité visuelle", "Développement web"])
    let browser = ctx.browser()
    try await signIn(browser, email: email)
    return (user, browser)
}

@Suite("Proposals")
struct ProposalTests {
    @Test("A member answers alone: errors kept, the organisation told, one open proposal per member and mission")
    func answerAlone() async throws {
        try await withMaillon { ctx in
            let (mission, _, _) = try await publishedMission(ctx)
            let id = try mission.requireID()
            let (_, member) = try await signedInMember(ctx, "Inès Graphiste", "ines@example.org")
            let page = try await member.get("/missions/\(id)")
            #expect(page.html.contains("Répondre à cette mission"))
            var bad = answer
            bad["day_rate"] = ""
            let refused = try await member.post("/missions/\(id)/answer", bad)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("Je connais bien les jardins partagés."), "input kept")
            #expect(try await Proposal.query(on: ctx.db).count() == 0)
            let sent = try await member.post("/missions/\(id)/answer", answer)
            #expect(sent.status == .seeOther)
            let proposal = try #require(try await Proposal.query(on: ctx.db).first())
            #expect(proposal.status == .submitted)
            #expect(ctx.mailer.messages(to: "asso@example.org").contains { $0.subject.contains("une proposition") })
            #expect(try await member.post("/missions/\(id)/answer", answer).status == .conflict)
            #expect(try await Proposal.query(on: ctx.db).count() == 1)
            #expect(try await member.get("/missions/\(id)").html.contains("voir votre proposition"))
            let export = try await member.get("/account/export")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(export.body.readableBytesView)) as? [String: Any])
            #expect(((json["proposals"] as? [String: Any])?["proposals"] as? [Any])?.count == 1, "my proposals are in my data")
        }
    }

    @Test("The same member answering twice at once, and two teams claiming the same member: one open proposal each, on either database")
    func parallelAnswers() async throws {
        try await withMaillon { ctx in
            let (mission, _, _) = try await publishedMission(ctx)
            let member = try await makeMember(ctx, "Inès Graphiste", email: "ines@example.org", chapter: nil, headline: "Designer")
            let terms = Proposals.Terms(message: "m", approach: "a", availability: "now", price: .dayRate, dayRate: 400, days: 10)
            let accepted = NIOLockedValueBox(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        do {
                            _ = try await ctx.db.transaction { db in
                                try await Proposals(application: ctx.app, database: db, now: ctx.time.now()).answer(mission, lead: member, terms: terms)
                            }
                            accepted.withLockedValue { $0 += 1 }
                        } catch Proposals.Refusal.alreadyAnswered {}
                    }
                }
                try await group.waitForAll()
            }
            #expect(accepted.withLockedValue { $0 } == 1)
            #expect(try await ProposalMember.query(on: ctx.db).filter(\.$active == true).count() == 1)

            // Two leads invite the same teammate at the same moment: one team gets them.
            let mate = try await makeMember(ctx, "Théo Dev", email: "theo@example.org", chapter: nil, headline: "Développeur")
            let leads = [try await makeMember(ctx, "Léa Lead", email: "lea@example.org", chapter: nil, headline: "Designer"),
                         try await makeMember(ctx, "Hugo Lead", email: "hugo@example.org", chapter: nil, headline: "Designer")]
            let teams = NIOLockedValueBox(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lead in leads {
                    group.addTask {
                        do {
                            _ = try await ctx.db.transaction { db in
                                try await Proposals(application: ctx.app, database: db, now: ctx.time.now())
                                    .answer(mission, lead: lead, terms: terms, leadRole: "Design", leadShare: 50, team: [.init(userID: try mate.requireID(), role: "Web", share: 50)])
                            }
                            teams.withLockedValue { $0 += 1 }
                        } catch Proposals.Refusal.alreadyAnswered {}
                    }
                }
                try await group.waitForAll()
            }
            #expect(teams.withLockedValue { $0 } == 1)
            #expect(try await ProposalMember.query(on: ctx.db).filter(\.$user.$id == mate.requireID()).filter(\.$active == true).count() == 1)
        }
    }

    @Test("A team: shares make exactly 100 %, each member confirms, the proposal reaches the organisation only then; any change asks again")
    func team() async throws {
        try await withMaillon { ctx in
            let (mission, _, organisation) = try await publishedMission(ctx)
            let id = try mission.requireID()
            let (_, lead) = try await signedInMember(ctx, "Léa Lead", "lea@example.org")
            let (designer, designerBrowser) = try await signedInMember(ctx, "Inès Graphiste", "ines@example.org")
            let (developer, developerBrowser) = try await signedInMember(ctx, "Théo Dev", "theo@example.org")
            #expect(try await lead.get("/missions/\(id)/team").status == .ok)
            var form = answer.merging(["lead_role": "Coordination", "lead_share": "20", "member1": try designer.requireID().uuidString, "role1": "Designer de marque",
                                       "share1": "50", "member2": try developer.requireID().uuidString, "role2": "Développeur web", "share2": "40"]) { $1 }
            let over = try await lead.post("/missions/\(id)/team", form)
            #expect(over.status == .unprocessableEntity)
            #expect(over.html.contains("Les parts doivent faire exactement 100 %."))
            #expect(try await Proposal.query(on: ctx.db).count() == 0, "nothing half-written")
            form["share2"] = "30"
            #expect(try await lead.post("/missions/\(id)/team", form).status == .seeOther)
            let proposal = try #require(try await Proposal.query(on: ctx.db).first())
            let proposalID = try proposal.requireID()
            #expect(proposal.status == .forming)
            #expect(try await organisation.get("/proposals/\(proposalID)").status == .notFound, "not the organisation's yet")
            #expect(ctx.mailer.messages(to: "ines@example.org").contains { $0.subject.contains("collectif") })

            // The designer confirms; the lead changes the shares: everyone confirms again.
            let invited = try await designerBrowser.get("/proposals/\(proposalID)")
            #expect(invited.html.contains("Confirmer ma part (50 %)"))
            #expect(try await designerBrowser.post("/proposals/\(proposalID)/confirm").status == .seeOther)
            try await lead.get("/proposals/\(proposalID)/team")
            var changed = form
            changed["share1"] = "60"
            changed["share2"] = "20"
            #expect(try await lead.post("/proposals/\(proposalID)/team", changed).status == .seeOther)
            #expect(try await ProposalMember.query(on: ctx.db).filter(\.$proposal.$id == proposalID).filter(\.$confirmedAt == nil).count() == 2)
            for browser in [designerBrowser, developerBrowser] {
                try await browser.get("/proposals/\(proposalID)")
                #expect(try await browser.post("/proposals/\(proposalID)/confirm").status == .seeOther)
            }
            let sent = try #require(try await Proposal.find(proposalID, on: ctx.db))
            #expect(sent.status == .submitted)
            let shares = try await ProposalMember.query(on: ctx.db).filter(\.$proposal.$id == proposalID).all(\.$share)
            #expect(shares.reduce(0, +) == 100)
            #expect(try await organisation.get("/proposals/\(proposalID)").html.contains("Designer de marque"))
            // Someone in a team cannot also answer alone.
            #expect(try await designerBrowser.post("/missions/\(id)/answer", answer).status == .conflict)
        }
    }

    @Test("The organisation shortlists, talks to the lead without addresses, and chooses: the mission is awarded, the others kindly declined")
    func organisationChooses() async throws {
        try await withMaillon { ctx in
            let (mission, _, organisation) = try await publishedMission(ctx)
            let id = try mission.requireID()
            let (_, first) = try await signedInMember(ctx, "Inès Graphiste", "ines@example.org")
            let (_, second) = try await signedInMember(ctx, "Théo Dev", "theo@example.org")
            try await first.post("/missions/\(id)/answer", answer)
            try await second.post("/missions/\(id)/answer", answer)
            let proposals = try await Proposal.query(on: ctx.db).with(\.$lead).all()
            let ines = try #require(proposals.first { $0.lead?.name == "Inès Graphiste" })
            let theo = try #require(proposals.first { $0.lead?.name == "Théo Dev" })
            let missionPage = try await organisation.get("/missions/\(id)")
            #expect(missionPage.html.contains("Propositions reçues") && missionPage.html.contains("Inès Graphiste"))

            try await organisation.get("/proposals/\(try ines.requireID())")
            #expect(try await organisation.post("/proposals/\(try ines.requireID())/decide", ["to": "shortlisted"]).status == .seeOther)
            #expect(try await organisation.post("/proposals/\(try ines.requireID())/messages", ["body": "Pouvez-vous commencer en janvier ?"]).status == .seeOther)
            let thread = try await first.get("/proposals/\(try ines.requireID())")
            #expect(thread.html.contains("Pouvez-vous commencer en janvier ?"))
            #expect(!thread.html.contains("asso@example.org"), "no address shown")
            #expect(try await first.post("/proposals/\(try ines.requireID())/messages", ["body": "Oui, dès le 6."]).status == .seeOther)
            #expect(ctx.mailer.messages(to: "asso@example.org").contains { $0.subject.contains("nouveau message") })

            #expect(try await organisation.post("/proposals/\(try ines.requireID())/decide", ["to": "awarded"]).status == .seeOther)
            #expect(try await Mission.find(id, on: ctx.db)?.status == .awarded)
            #expect(try await Proposal.find(theo.id, on: ctx.db)?.status == .declined)
            #expect(ctx.mailer.messages(to: "theo@example.org").contains { $0.subject.contains("merci") })
            #expect(try await organisation.post("/proposals/\(try theo.requireID())/decide", ["to": "awarded"]).status != .seeOther, "one awarded per mission")

            // The lead reports delivery; the organisation completes.
            try await first.get("/proposals/\(try ines.requireID())")
            #expect(try await first.post("/proposals/\(try ines.requireID())/delivered").status == .seeOther)
            #expect(try await Mission.find(id, on: ctx.db)?.status == .delivered)
            try await organisation.get("/missions/\(id)")
            #expect(try await organisation.post("/missions/\(id)/move", ["to": "completed"]).status == .seeOther)
            #expect(try await Mission.find(id, on: ctx.db)?.status == .completed)
        }
    }

    @Test("Choosing two proposals at once: exactly one is awarded, on either database")
    func parallelAwards() async throws {
        try await withMaillon { ctx in
            let (mission, contact, _) = try await publishedMission(ctx)
            var ids: [UUID] = []
            let terms = Proposals.Terms(message: "m", approach: "a", availability: "now", price: .total, total: 3000)
            for index in 0..<8 {
                let member = try await makeMember(ctx, "Membre \(index)", email: "m\(index)@example.org", chapter: nil, headline: "Freelance")
                let proposal = try await Proposals(application: ctx.app, database: ctx.db, now: ctx.time.now()).answer(mission, lead: member, terms: terms)
                ids.append(try proposal.requireID())
            }
            let awarded = NIOLockedValueBox(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids {
                    group.addTask {
                        do {
                            try await ctx.db.transaction { db in
                                try await Proposals(application: ctx.app, database: db, now: ctx.time.now()).decide(id, of: try mission.requireID(), to: .awarded, by: contact, reason: nil)
                            }
                            awarded.withLockedValue { $0 += 1 }
                        } catch is Proposals.Refusal {
                        } catch let error as any DatabaseError where error.isConstraintFailure {}
                    }
                }
                try await group.waitForAll()
            }
            #expect(awarded.withLockedValue { $0 } == 1)
            #expect(try await Proposal.query(on: ctx.db).filter(\.$status == .awarded).count() == 1)
            #expect(try await Mission.find(mission.id, on: ctx.db)?.status == .awarded)
        }
    }

    @Test("Forbidden paths: another member, another organisation, a teammate acting as lead")
    func forbidden() async throws {
        try await withMaillon { ctx in
            let (mission, _, _) = try await publishedMission(ctx)
            let id = try mission.requireID()
            let (_, lead) = try await signedInMember(ctx, "Léa Lead", "lea@example.org")
            let (mate, mateBrowser) = try await signedInMember(ctx, "Inès Graphiste", "ines@example.org")
            try await lead.get("/missions/\(id)/team")
            try await lead.post("/missions/\(id)/team", answer.merging(["lead_role": "Coordination", "lead_share": "50", "member1": try mate.requireID().uuidString,
                                                                          "role1": "Design", "share1": "50"]) { $1 })
            let proposalID = try #require(try await Proposal.query(on: ctx.db).first()?.requireID())
            let (_, stranger) = try await signedInMember(ctx, "Zoé Autre", "zoe@example.org")
            #expect(try await stranger.get("/proposals/\(proposalID)").status == .notFound)
            #expect(try await stranger.post("/proposals/\(proposalID)/confirm").status == .notFound)
            try await mateBrowser.get("/proposals/\(proposalID)")
            #expect(try await mateBrowser.post("/proposals/\(proposalID)/withdraw", ["reason": "non"]).status == .forbidden)
            #expect(try await mateBrowser.post("/proposals/\(proposalID)/team", [:]).status == .forbidden)
            let (_, _, rival) = try await makeOrganisation(ctx, name: "Autre Asso", email: "autre@example.org")
            #expect(try await rival.get("/proposals/\(proposalID)").status == .notFound)
            #expect(try await rival.post("/proposals/\(proposalID)/decide", ["to": "awarded"]).status == .notFound)
            #expect(TeamShares.problem([60, 40]) == nil && TeamShares.problem([60, 41]) == "proposal.shares_not_100" && TeamShares.problem([100]) == "proposal.team_too_small")
        }
    }

    @Test("Proposal pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let (mission, _, _) = try await publishedMission(ctx, budget: "pro_bono")
            try await makeMember(ctx, "Léa Lead", email: "lea@example.org", chapter: nil, headline: "Freelance", skills: ["Identité visuelle"])
            let browser = ctx.browser(language: language)
            try await signIn(browser, email: "lea@example.org")
            let page = try await browser.get("/missions/\(try mission.requireID())")
            #expect(page.html.contains(language == "fr" ? "Répondre à cette mission" : "Answer this mission"))
            #expect(!page.html.contains("name=\"day_rate\""), "pro bono: no price")
            #expect(try await browser.get("/missions/\(try mission.requireID())/team").status == .ok)
            #expect(try await browser.post("/missions/\(try mission.requireID())/answer", ["message": "m", "approach": "a", "availability": "now"]).status == .seeOther)
            let proposal = try #require(try await Proposal.query(on: ctx.db).first())
            #expect(proposal.price == .none)
            #expect(try await browser.get("/proposals/\(try proposal.requireID())").status == .ok)
        }
    }
}

@Suite("Reviews after a mission")
struct ReviewTests {
    /// A mission completed by Inès alone: (mission, contact's browser, Inès's browser, Inès).
    private func completedMission(_ ctx: TestContext) async throws -> (Mission, TestBrowser, TestBrowser, User) {
        let (mission, contact, organisation) = try await publishedMission(ctx)
        let (ines, inesBrowser) = try await signedInMember(ctx, "Inès Graphiste", "ines@example.org")
        let terms = Proposals.Terms(message: "m", approach: "a", availability: "now", price: .total, total: 4000)
        let proposals = Proposals(application: ctx.app, database: ctx.db, now: ctx.time.now())
        let proposal = try await proposals.answer(mission, lead: ines, terms: terms)
        try await proposals.decide(try proposal.requireID(), of: try mission.requireID(), to: .awarded, by: contact, reason: nil)
        let workflow = MissionWorkflow(application: ctx.app, database: ctx.db, now: ctx.time.now())
        let awarded = try #require(try await Mission.find(mission.id, on: ctx.db))
        try await workflow.move(awarded, to: .delivered, as: .freelancer, by: ines, reason: nil)
        try await workflow.move(awarded, to: .completed, as: .organisation, by: contact, reason: nil)
        await ctx.runJobs()
        return (awarded, organisation, inesBrowser, ines)
    }

    @Test("Double-blind: a review shows once both sides have written; one public reply each; the window closes after 14 days")
    func doubleBlind() async throws {
        try await withMaillon { ctx in
            let (mission, organisation, ines, inesUser) = try await completedMission(ctx)
            let id = try mission.requireID()
            #expect(ctx.mailer.messages(to: "ines@example.org").contains { $0.subject.contains("votre avis") }, "invited to review")
            let form = try await organisation.get("/missions/\(id)/reviews")
            #expect(form.html.contains("Publier mon avis sur Inès Graphiste"))
            #expect(try await organisation.post("/missions/\(id)/reviews", ["freelancer": try inesUser.requireID().uuidString, "rating": "5",
                                                                            "text": "Travail soigné, à l'écoute."]).status == .seeOther)
            // Inès does not see it before writing hers.
            let before = try await ines.get("/missions/\(id)/reviews")
            #expect(!before.html.contains("Travail soigné") && before.html.contains("1 avis attend"))
            #expect(try await ines.post("/missions/\(id)/reviews", ["rating": "4", "text": "Une équipe accueillante."]).status == .seeOther)
            let after = try await ines.get("/missions/\(id)/reviews")
            #expect(after.html.contains("Travail soigné") && after.html.contains("Une équipe accueillante."))
            // One public reply, once.
            let review = try #require(try await MissionReview.query(on: ctx.db).filter(\.$direction == .ofFreelancer).first())
            let replyURL = "/missions/\(id)/reviews/\(try review.requireID())/reply"
            #expect(try await ines.post(replyURL, ["reply": "Merci beaucoup !"]).status == .seeOther)
            #expect(try await ines.post(replyURL, ["reply": "Encore merci"]).status == .forbidden)
            #expect(try await MissionReview.find(review.id, on: ctx.db)?.reply == "Merci beaucoup !")
            #expect(try await organisation.post(replyURL, ["reply": "Pas à vous"]).status == .forbidden, "only the reviewed side replies")
            // Published reviews show on the profile and the organisation's page.
            let (_, member) = try await signedInBrowser(ctx)
            #expect(try await member.get("/members/\(try inesUser.requireID())").html.contains("Travail soigné"))
            #expect(try await member.get("/organisations/les-jardins-partages").html.contains("Une équipe accueillante."))
            // …and feed the matching.
            #expect(try await Reviewing(database: ctx.db, now: ctx.time.now()).averages()[try inesUser.requireID()] == 5)
            #expect(try await member.get("/missions/\(id)/reviews").status == .notFound, "only those who took part")
        }
    }

    @Test("A lone review shows when the window closes; writing after it is refused")
    func windowCloses() async throws {
        try await withMaillon { ctx in
            let (mission, organisation, ines, inesUser) = try await completedMission(ctx)
            let id = try mission.requireID()
            try await organisation.get("/missions/\(id)/reviews")
            try await organisation.post("/missions/\(id)/reviews", ["freelancer": try inesUser.requireID().uuidString, "rating": "3", "text": "Correct."])
            #expect(!(try await ines.get("/missions/\(id)/reviews").html.contains("Correct.")))
            ctx.time.advance(by: ReviewRules.window + 60)
            try await signIn(ines, email: "ines@example.org")
            let late = try await ines.get("/missions/\(id)/reviews")
            #expect(late.html.contains("Correct."))
            #expect(!late.html.contains("Publier mon avis"))
            #expect(try await ines.post("/missions/\(id)/reviews", ["rating": "1", "text": "Trop tard"]).status == .forbidden)
            #expect(ReviewRules.matchingBonus(average: 5) == 8 && ReviewRules.matchingBonus(average: 2) == 0)
        }
    }

    @Test("Erasing a reviewer keeps the review, unsigned")
    func erasure() async throws {
        try await withMaillon { ctx in
            let (mission, _, ines, _) = try await completedMission(ctx)
            let id = try mission.requireID()
            try await ines.get("/missions/\(id)/reviews")
            try await ines.post("/missions/\(id)/reviews", ["rating": "5", "text": "Formidable."])
            try await ines.get("/account/delete")
            #expect(try await ines.post("/account/delete", ["current_password": goodPassword, "confirm": "SUPPRIMER"]).status == .seeOther)
            let review = try #require(try await MissionReview.query(on: ctx.db).first())
            #expect(review.text == "Formidable." && review.$author.id == nil && review.$freelancer.id == nil)
            let stored = try await everyStoredValue(ctx.db)
            #expect(!stored.contains { $0.contains("Inès Graphiste") || $0.contains("ines@example.org") })
        }
    }
}

@Suite("Contribution volontaire")
struct ContributionTests {
    @Test("After completion the organisation may contribute what it wants: suggested 5 %, zero allowed, pledged once, received once with a receipt, totals per year")
    func contribution() async throws {
        try await withMaillon { ctx in
            let (mission, contact, organisation) = try await publishedMission(ctx)
            let (ines, _) = try await signedInMember(ctx, "Inès Graphiste", "ines@example.org")
            let proposals = Proposals(application: ctx.app, database: ctx.db, now: ctx.time.now())
            let proposal = try await proposals.answer(mission, lead: ines, terms: .init(message: "m", approach: "a", availability: "now", price: .dayRate, dayRate: 400, days: 10))
            let id = try mission.requireID()
            #expect(try await organisation.get("/missions/\(id)/contribution").status == .notFound, "not before completion")
            try await proposals.decide(try proposal.requireID(), of: id, to: .awarded, by: contact, reason: nil)
            let workflow = MissionWorkflow(application: ctx.app, database: ctx.db, now: ctx.time.now())
            let current = try #require(try await Mission.find(id, on: ctx.db))
            try await workflow.move(current, to: .delivered, as: .freelancer, by: ines, reason: nil)
            try await workflow.move(current, to: .completed, as: .organisation, by: contact, reason: nil)

            let page = try await organisation.get("/missions/\(id)/contribution")
            #expect(page.html.contains("Montant suggéré : 200 €"), "5 % of 10 days at 400 €")
            #expect(try await organisation.post("/missions/\(id)/contribution", ["amount": "-3"]).status == .unprocessableEntity)
            let pledged = try await organisation.post("/missions/\(id)/contribution", ["amount": "150"])
            #expect(pledged.html.contains("CV-") && pledged.html.contains("150 €"))
            #expect(try await organisation.post("/missions/\(id)/contribution", ["amount": "999"]).status == .ok)
            #expect(try await Contribution.query(on: ctx.db).all().map(\.amount) == [150], "pledged once")
            let (_, member) = try await signedInBrowser(ctx)
            #expect(try await member.get("/missions/\(id)/contribution").status == .notFound)
            #expect(try await member.get("/admin/contributions").status == .forbidden)

            let admin = ctx.browser()
            try await makeUser(ctx, email: "admin@example.org", name: "Alix Admin", role: .admin)
            try await signIn(admin, email: "admin@example.org")
            let list = try await admin.get("/admin/contributions")
            #expect(list.html.contains("Les Jardins Partagés") && list.html.contains("150 €"))
            let contribution = try #require(try await Contribution.query(on: ctx.db).first())
            #expect(try await admin.post("/admin/contributions/\(try contribution.requireID())/received").status == .seeOther)
            #expect(try await admin.post("/admin/contributions/\(try contribution.requireID())/received").status == .seeOther)
            await ctx.runJobs()
            #expect(ctx.mailer.messages(to: "asso@example.org").filter { $0.subject.contains("reçu") }.count == 1, "one receipt")
            #expect(try await Contribution.find(contribution.id, on: ctx.db)?.status == .received)
            #expect(ContributionRules.suggested(price: nil, percent: 5) == nil && ContributionRules.suggested(price: 4500, percent: 5) == 225)
        }
    }
}
