import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Complaints and improvement")
struct ComplaintTests {
    @Test("Anyone complains from the footer or a training page: errors kept; a reference, and an acknowledgement that repeats nothing typed")
    func receiving() async throws {
        try await withMaillon { ctx in
            let (training, _) = try await publishedTraining(ctx)
            let visitor = ctx.browser()
            #expect(try await visitor.get("/").html.contains("/complaints/new"))
            #expect(try await visitor.get("/trainings/\(training.slug)").html.contains("/complaints/new?training=\(training.slug)"))
            let form = try await visitor.get("/complaints/new?training=\(training.slug)")
            #expect(form.status == .ok && form.html.contains("value=\"\(training.slug)\" selected"))
            let refused = try await visitor.post("/complaints/new", ["name": "Zoé", "email": "pas-une-adresse", "training": "nope", "body": "La salle était fermée."])
            #expect(refused.status == .unprocessableEntity && refused.html.contains("La salle était fermée."))
            #expect(try await Complaint.query(on: ctx.db).count() == 0)
            let sent = try await visitor.post("/complaints/new", ["name": "Zoé Zèle", "email": "zoe@example.org", "training": training.slug,
                                                                  "body": "La salle était fermée à notre arrivée. <script>alert(1)</script>"])
            #expect(sent.status == .ok)
            let complaint = try #require(try await Complaint.query(on: ctx.db).first())
            #expect(sent.html.contains(complaint.reference) && complaint.status == .received && complaint.$training.id == training.id)
            await ctx.runJobs()
            let ack = try #require(ctx.mailer.messages(to: "zoe@example.org").first)
            #expect(ack.subject.contains(complaint.reference))
            #expect(!ack.text.contains("fermée") && !ack.text.contains("Zoé"), "nothing the sender typed is mailed back")
        }
    }

    @Test("The desk: received → analysed → answered (the answer mailed) → closed, dated, with an owner; stale steps refused; improvement actions")
    func handling() async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await ctx.browser().post("/complaints/new", ["name": "Zoé Zèle", "email": "zoe@example.org", "body": "Pas de convocation reçue."])
            let complaint = try #require(try await Complaint.query(on: ctx.db).first())
            let id = try complaint.requireID()
            let adminID = try #require(try await User.query(on: ctx.db).filter(\.$role == .admin).first()?.id)
            #expect(try await admin.get("/admin/complaints").html.contains(complaint.reference))
            #expect(try await admin.post("/admin/complaints/\(id)/move", ["from": "received", "owner": adminID.uuidString]).status == .seeOther)
            let stale = try await admin.post("/admin/complaints/\(id)/move", ["from": "received"])
            #expect(stale.status == .conflict)
            let noAnswer = try await admin.post("/admin/complaints/\(id)/move", ["from": "analysed", "answer": "  "])
            #expect(noAnswer.status == .unprocessableEntity)
            #expect(try await admin.post("/admin/complaints/\(id)/move", ["from": "analysed", "answer": "Toutes nos excuses : un envoi a échoué.\nNous avons corrigé."]).status == .seeOther)
            await ctx.runJobs()
            #expect(ctx.mailer.messages(to: "zoe@example.org").contains { $0.text.contains("Nous avons corrigé.") })
            #expect(try await admin.post("/admin/complaints/\(id)/move", ["from": "answered"]).status == .seeOther)
            let done = try #require(try await Complaint.find(id, on: ctx.db))
            #expect(done.status == .closed && done.analysedAt != nil && done.answeredAt != nil && done.closedAt != nil && done.$owner.id == adminID)
            #expect(try await admin.post("/admin/complaints/\(id)/move", ["from": "closed"]).status == .conflict)

            #expect(try await admin.post("/admin/improvements", ["title": "Relancer les convocations non parties", "description": "Une alerte quand un envoi échoue.",
                                                                 "complaint": id.uuidString]).status == .seeOther)
            let action = try #require(try await ImprovementAction.query(on: ctx.db).first())
            #expect(action.$complaint.id == id && action.status == .open)
            let desk = try await admin.get("/admin/complaints")
            #expect(desk.html.contains("Relancer les convocations") && desk.html.contains("suite à \(complaint.reference)"))
            try await admin.post("/admin/improvements/\(action.requireID())/done")
            #expect(try await ImprovementAction.find(action.requireID(), on: ctx.db)?.status == .done)
        }
    }

    @Test("Two admins taking the same step at once: one moves it, the other is told, on either database")
    func parallelSteps() async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            let other = try await secondBrowser(ctx, email: "admin2@example.org", role: .admin)
            try await ctx.browser().post("/complaints/new", ["name": "Zoé", "email": "zoe@example.org", "body": "Retard."])
            let id = try #require(try await Complaint.query(on: ctx.db).first()?.requireID())
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for browser in [admin, other] { group.addTask { try await browser.post("/admin/complaints/\(id)/move", ["from": "received"]).status.code } }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [303, 409])
            #expect(try await Complaint.find(id, on: ctx.db)?.status == .analysed)
        }
    }

    @Test("Only admins reach the desk; a member's complaint is in their export and loses its name and address when they are erased")
    func authorisationAndPrivacy() async throws {
        try await withMaillon { ctx in
            let (member, browser) = try await signedInBrowser(ctx)
            #expect(try await browser.get("/complaints/new").html.contains(member.email), "prefilled for a member")
            try await browser.post("/complaints/new", ["name": member.name, "email": member.email, "body": "Mon certificat n'est pas arrivé."])
            let id = try #require(try await Complaint.query(on: ctx.db).first()?.requireID())
            let (_, _, organisation) = try await makeOrganisation(ctx)
            for other in [browser, organisation] {
                #expect(try await other.get("/admin/complaints").status == .forbidden)
                #expect(try await other.get("/admin/complaints/\(id)").status == .forbidden)
                #expect(try await other.post("/admin/complaints/\(id)/move", ["from": "received"]).status == .forbidden)
                #expect(try await other.post("/admin/improvements", ["title": "x", "description": "y"]).status == .forbidden)
            }
            #expect(try await ctx.browser().get("/admin/complaints").status == .seeOther)
            #expect(try await Complaint.find(id, on: ctx.db)?.status == .received)
            #expect(try await browser.get("/account/export").body.string.contains("Mon certificat"))
            try await browser.get("/account/delete")
            try await browser.post("/account/delete", ["current_password": goodPassword, "confirm": "SUPPRIMER"])
            let stored = try await everyStoredValue(ctx.db)
            for trace in [member.name, member.email, try member.requireID().uuidString] {
                #expect(!stored.contains { $0.localizedCaseInsensitiveContains(trace) }, "\(trace) remains")
            }
            #expect(try await Complaint.query(on: ctx.db).count() == 1, "the complaint stays as evidence")
        }
    }

    @Test("Complaint pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin, locale: language == "fr" ? .fr : .en)
            try await ctx.browser(language: language).post("/complaints/new", ["name": "Zoé", "email": "zoe@example.org", "body": "Retard."])
            let id = try #require(try await Complaint.query(on: ctx.db).first()?.requireID())
            for path in ["/complaints/new", "/admin/complaints", "/admin/complaints/\(id)"] {
                let page = try await admin.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.html.range(of: #"(complaint|improvement)\.[a-z]"#, options: .regularExpression) == nil, "\(path)")
            }
            #expect(try await ctx.browser(language: language).get("/complaints/new").status == .ok)
        }
    }
}
