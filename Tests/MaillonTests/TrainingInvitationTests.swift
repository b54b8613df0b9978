import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

/// Two sessions of a published training (the second a week after the first), the admin's browser, and their ids.
private func twoSessions(_ ctx: TestContext) async throws -> (TestBrowser, UUID, UUID) {
    let (training, admin) = try await publishedTraining(ctx)
    try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
    try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now()))
    try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now().addingTimeInterval(7 * 86400)))
    let sessions = try await TrainingSession.query(on: ctx.db).join(Event.self, on: \TrainingSession.$event.$id == \Event.$id)
        .sort(Event.self, \.$startsAt).all()
    try #require(sessions.count == 2)
    return (admin, try sessions[0].requireID(), try sessions[1].requireID())
}

/// The invited person chooses a password from the mailed link and signs in.
private func acceptInvitation(_ ctx: TestContext, email: String) async throws -> TestBrowser {
    let link = try #require(ctx.mailer.localLink(to: email, path: "/password/reset"))
    let secret = String(try #require(link.split(separator: "=").last))
    let browser = ctx.browser()
    #expect(try await browser.get(link).status == .ok)
    #expect(try await browser.post("/password/reset", ["token": secret, "password": goodPassword]).status == .seeOther)
    #expect(try await signIn(browser, email: email).status == 303)
    return browser
}

@Suite("Outside trainees and trainers")
struct TrainingInvitationTests {
    @Test("An admin invites someone from outside: bad input kept; a guest account; they enrol in that session only and reach nothing of the community")
    func outsideTrainee() async throws {
        try await withMaillon { ctx in
            let (admin, sessionID, otherSessionID) = try await twoSessions(ctx)
            let member = try await secondBrowser(ctx, email: "membre@example.org", role: .member)
            let usersBefore = try await User.query(on: ctx.db).count()

            let invalid = try await admin.post("/trainings/sessions/\(sessionID)/invitations", ["name": "", "email": "pas-une-adresse", "kind": "trainee"])
            #expect(invalid.status == .unprocessableEntity)
            #expect(invalid.html.contains("pas-une-adresse") && invalid.html.contains("Ce champ est obligatoire"))
            let isMember = try await admin.post("/trainings/sessions/\(sessionID)/invitations", ["name": "Membre", "email": "membre@example.org", "kind": "trainee"])
            #expect(isMember.status == .unprocessableEntity && isMember.html.contains("Cette adresse est celle d"))
            #expect(try await admin.post("/trainings/sessions/\(sessionID)/invitations", ["name": "X", "email": "x@dehors.example", "kind": "boss"]).status
                == .unprocessableEntity)
            #expect(try await User.query(on: ctx.db).count() == usersBefore, "nothing half-written")
            #expect(try await TrainingInvitation.query(on: ctx.db).count() == 0)

            // Only admins invite: not a member, not the session's trainer.
            let trainer = ctx.browser()
            try await signIn(trainer, email: "formatrice@example.org")
            for browser in [member, trainer] {
                #expect(try await browser.post("/trainings/sessions/\(sessionID)/invitations", ["name": "Paul", "email": "paul@dehors.example", "kind": "trainee"])
                    .status == .forbidden)
            }

            let invited = try await admin.post("/trainings/sessions/\(sessionID)/invitations",
                                               ["name": "Paul Dehors", "email": " Paul@Dehors.example ", "kind": "trainee"])
            #expect(invited.status == .seeOther)
            let guest = try #require(try await User.query(on: ctx.db).filter(\.$email == "paul@dehors.example").first())
            #expect(guest.role == .guest && guest.name == "Paul Dehors")
            #expect(try await admin.get("/trainings/sessions/\(sessionID)/trainees").html.contains("Paul Dehors (paul@dehors.example)"))
            let mail = try #require(ctx.mailer.messages(to: "paul@dehors.example").last)
            #expect(mail.text.contains("/trainings/sessions/\(sessionID)"))
            let again = try await admin.post("/trainings/sessions/\(sessionID)/invitations", ["name": "Paul Dehors", "email": "paul@dehors.example", "kind": "trainee"])
            #expect(again.status == .unprocessableEntity && again.html.contains("déjà invitée"))

            let paul = try await acceptInvitation(ctx, email: "paul@dehors.example")
            let home = try await paul.get("/")
            #expect(home.html.contains("/trainings/sessions/\(sessionID)") && home.html.contains("/trainings/mine") && !home.html.contains("href=\"/directory\""))
            #expect(try await paul.get("/trainings/sessions/\(sessionID)").html.contains("/trainings/sessions/\(sessionID)/enrol"))
            #expect(!(try await paul.get("/trainings/sessions/\(otherSessionID)").html.contains("/enrol")))
            #expect(try await paul.post("/trainings/sessions/\(otherSessionID)/enrol", enrolmentForm).status == .forbidden)
            #expect(try await paul.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm).status == .seeOther)
            let enrolment = try #require(try await Enrolment.query(on: ctx.db).filter(\.$user.$id == guest.requireID()).first())
            #expect(enrolment.funding == .opco && enrolment.$session.id == sessionID)
            #expect(try await paul.get("/trainings/mine").html.contains("/trainings/sessions/\(sessionID)"))

            // The account reaches its trainings and itself, nothing of the community.
            for path in ["/directory", "/profile", "/members/\(try guest.requireID())", "/trainings/sessions/\(sessionID)/trainees", "/admin/trainings",
                         "/missions/new"] {
                let status = try await paul.get(path).status
                #expect(status == .forbidden || status == .notFound, "\(path): \(status)")
            }
            #expect(try await paul.post("/trainings/sessions/\(sessionID)/invitations", ["name": "Ami", "email": "ami@dehors.example", "kind": "trainee"])
                .status == .forbidden)
            #expect(try await paul.get("/account").status == .ok)
            for path in ["/events", "/chapters", "/missions", "/apply", "/application", "/notifications", "/account/notifications", "/charter",
                         "/trainings", "/review", "/organisations/new"] {
                let status = try await paul.get(path).status
                #expect(status.code < 500, "\(path): \(status)")
            }

            // Erasure takes the invitation with the account.
            try await paul.get("/account/delete")
            #expect(try await paul.post("/account/delete", ["current_password": goodPassword, "confirm": "SUPPRIMER"]).status == .seeOther)
            await ctx.runJobs()
            #expect(try await TrainingInvitation.query(on: ctx.db).count() == 0)
            let stored = try await everyStoredValue(ctx.db)
            #expect(!stored.contains { $0.localizedCaseInsensitiveContains("paul@dehors.example") })
        }
    }

    @Test("An outside trainer runs the session they were invited to, and no other; a member invited as trainer keeps their account")
    func outsideTrainer() async throws {
        try await withMaillon { ctx in
            let (admin, sessionID, otherSessionID) = try await twoSessions(ctx)
            #expect(try await admin.post("/trainings/sessions/\(sessionID)/invitations", ["name": "Ines Extérieure", "email": "ines@dehors.example", "kind": "trainer"])
                .status == .seeOther)
            let ines = try #require(try await User.query(on: ctx.db).filter(\.$email == "ines@dehors.example").first())
            #expect(ines.role == .guest)
            #expect(try await TrainingTrainer.query(on: ctx.db).filter(\.$session.$id == sessionID).filter(\.$user.$id == ines.requireID()).count() == 1)
            #expect(ctx.mailer.messages(to: "ines@dehors.example").last?.subject.contains("vous animez") == true)

            let browser = try await acceptInvitation(ctx, email: "ines@dehors.example")
            #expect(try await browser.get("/trainings/sessions/\(sessionID)/trainees").status == .ok)
            #expect(try await browser.get("/trainings/sessions/\(sessionID)/attendance").status == .ok)
            #expect(try await browser.get("/trainings/sessions/\(sessionID)/assessment").status == .ok)
            #expect(try await browser.get("/trainings/sessions/\(otherSessionID)/trainees").status == .forbidden)
            #expect(try await browser.get("/trainings/sessions/\(otherSessionID)/attendance").status == .forbidden)
            let halfDay = try #require(try await TrainingHalfDay.query(on: ctx.db).filter(\.$session.$id == otherSessionID).first())
            #expect(try await browser.post("/trainings/sessions/\(otherSessionID)/attendance/\(halfDay.requireID())/countersign", ["signature_name": "Ines"])
                .status == .forbidden)
            // A trainer does not enrol as a trainee, and sees nothing of the community.
            #expect(try await browser.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm).status == .forbidden)
            #expect(try await browser.get("/directory").status == .forbidden)

            // An outside trainer with an account can be named when scheduling; a member invited as trainer just joins.
            let training = try #require(try await Training.query(on: ctx.db).first())
            var form = sessionForm(now: ctx.time.now().addingTimeInterval(14 * 86400))
            form["trainers"] = "ines@dehors.example"
            #expect(try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", form).status == .seeOther)
            #expect(try await TrainingTrainer.query(on: ctx.db).filter(\.$user.$id == ines.requireID()).count() == 2)
            let usersBefore = try await User.query(on: ctx.db).count()
            #expect(try await admin.post("/trainings/sessions/\(otherSessionID)/invitations", ["name": "F", "email": "formatrice@example.org", "kind": "trainer"])
                .status == .unprocessableEntity, "already its trainer")
            try await makeUser(ctx, email: "expert@example.org", name: "Eva Experte")
            #expect(try await admin.post("/trainings/sessions/\(otherSessionID)/invitations", ["name": "Eva", "email": "expert@example.org", "kind": "trainer"])
                .status == .seeOther)
            #expect(try await User.query(on: ctx.db).count() == usersBefore + 1)
            #expect(try await User.query(on: ctx.db).filter(\.$email == "expert@example.org").first()?.role == .member)
            #expect(ctx.mailer.localLink(to: "expert@example.org", path: "/password/reset") == nil, "an existing account is asked to sign in")
        }
    }

    @Test("The trainees page with its invitation form renders in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin, locale: language == "fr" ? .fr : .en)
            try await admin.post("/admin/trainings/new", trainingForm())
            let training = try #require(try await Training.query(on: ctx.db).first())
            try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now()))
            let sessionID = try #require(try await TrainingSession.query(on: ctx.db).first()?.requireID())
            try await admin.post("/trainings/sessions/\(sessionID)/invitations", ["name": "Paul Dehors", "email": "paul@dehors.example", "kind": "trainee"])
            let page = try await admin.get("/trainings/sessions/\(sessionID)/trainees")
            #expect(page.status == .ok && page.html.contains("id=\"invitation\""))
            #expect(page.html.range(of: #"(invitation|trainees)\.[a-z]"#, options: .regularExpression) == nil)
            let paul = try await acceptInvitation(ctx, email: "paul@dehors.example")
            for path in ["/", "/trainings/mine", "/trainings/sessions/\(sessionID)", "/trainings/sessions/\(sessionID)/enrol", "/account"] {
                let guestPage = try await paul.get(path)
                #expect(guestPage.status == .ok, "\(path)")
                #expect(guestPage.html.range(of: #"(home|nav|invitation)\.[a-z_]+\.?"#, options: .regularExpression) == nil, "\(path)")
            }
        }
    }
}
