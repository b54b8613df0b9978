import Fluent
import Foundation
@testable import Maillon
import SQLKit
import Testing
import Vapor
import VaporTesting

/// What an attacker tried (issue 13), each shown not to work any more.
@Suite("Hardening")
struct HardeningTests {
    @Test("A password reset revokes an address-change link asked for with the old password, and tells the owner")
    func resetRevokesEmailChange() async throws {
        try await withMaillon { ctx in
            let (user, attacker) = try await signedInBrowser(ctx)
            // Someone who knew the password asks to move the account to their address.
            let asked = try await attacker.post("/account/email", ["email": "attacker@evil.example", "current_password": goodPassword])
            #expect(asked.status == .seeOther)
            let stolenLink = try #require(ctx.mailer.localLink(to: "attacker@evil.example", path: "/verify-email"))
            #expect(try await User.find(user.id, on: ctx.db)?.pendingEmail == "attacker@evil.example")

            // The owner resets the password.
            let owner = ctx.browser(ip: "198.51.100.20")
            let reset = try await requestReset(ctx, owner)
            try await owner.get(reset.path)
            #expect(try await owner.post("/password/reset", ["token": reset.secret, "password": "a brand new passphrase"]).status == .seeOther)
            let told = try #require(ctx.mailer.messages(to: "camille@example.org").last)
            #expect(told.text.contains("attacker@evil.example"), "the owner is told which change was cancelled")

            // The old link is dead: the address stays the owner's.
            let followed = try await attacker.get(stolenLink)
            #expect(followed.status == .badRequest)
            let after = try #require(try await User.find(user.id, on: ctx.db))
            #expect(after.email == "camille@example.org")
            #expect(after.pendingEmail == nil)
            #expect(try await UserToken.query(on: ctx.db).filter(\.$user.$id == user.requireID()).filter(\.$usedAt == nil).count() == 0)
        }
    }

    @Test("Changing the password also revokes outstanding links; a confirmed change keeps the former address for erasure")
    func passwordChangeRevokes() async throws {
        try await withMaillon { ctx in
            let (user, browser) = try await signedInBrowser(ctx)
            try await browser.post("/account/email", ["email": "new@example.org", "current_password": goodPassword])
            let link = try #require(ctx.mailer.localLink(to: "new@example.org", path: "/verify-email"))
            try await browser.get("/account")
            #expect(try await browser.post("/account/password", ["current_password": goodPassword, "password": "another fine passphrase"]).status == .seeOther)
            #expect(try await browser.get(link).status == .badRequest)

            // Asked again and confirmed: the address moves, the old one is remembered.
            try await browser.get("/account")
            try await browser.post("/account/email", ["email": "new@example.org", "current_password": "another fine passphrase"])
            let fresh = try #require(ctx.mailer.localLink(to: "new@example.org", path: "/verify-email"))
            #expect(try await browser.get(fresh).status == .ok)
            let moved = try #require(try await User.find(user.id, on: ctx.db))
            #expect(moved.email == "new@example.org")
            #expect(moved.formerEmails == ["camille@example.org"])
        }
    }

    @Test("Re-typing the current password is throttled on the password, address and deletion forms")
    func recheckThrottled() async throws {
        try await withMaillon { ctx in
            let (user, browser) = try await signedInBrowser(ctx)
            for attempt in 1...5 {
                let form = ["/account/password", "/account/email", "/account/delete"][attempt % 3]
                try await browser.get(form == "/account/delete" ? "/account/delete" : "/account")
                let response = try await browser.post(form, ["current_password": "not it \(attempt)", "password": "whatever passphrase here",
                                                             "email": "x\(attempt)@example.org", "confirm": "SUPPRIMER"])
                #expect(response.status == .unprocessableEntity)
            }
            try await browser.get("/account")
            let refused = try await browser.post("/account/password", ["current_password": goodPassword, "password": "another fine passphrase"])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("Trop de tentatives"))
            #expect(try await User.find(user.id, on: ctx.db)?.passwordHash == user.passwordHash, "nothing changed")
        }
    }

    @Test("Address-change mails are limited: three an hour, not eight in a row to eight strangers")
    func emailChangeMailsThrottled() async throws {
        try await withMaillon { ctx in
            let (_, browser) = try await signedInBrowser(ctx)
            var statuses: [HTTPStatus] = []
            for index in 1...8 {
                try await browser.get("/account")
                statuses.append(try await browser.post("/account/email", ["email": "stranger\(index)@example.org", "current_password": goodPassword]).status)
            }
            #expect(statuses.filter { $0 == .seeOther }.count == 3)
            let mailed = ctx.mailer.messages.filter { $0.to.hasPrefix("stranger") }
            #expect(mailed.count == 3)
        }
    }

    @Test("Mail to an address not yet verified carries nothing the sender typed; names take no line breaks")
    func noTypedTextToStrangers() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            try await browser.get("/sign-up")
            let lure = "ALERTE: reconnectez-vous sur https://evil.example"
            #expect(try await browser.post("/sign-up", ["name": lure, "email": "stranger@example.org", "password": goodPassword]).status == .seeOther)
            let mail = try #require(ctx.mailer.messages(to: "stranger@example.org").first)
            #expect(!mail.text.contains("evil.example"))
            #expect(!(mail.html ?? "").contains("evil.example"))

            try await browser.get("/sign-up")
            let twoLines = try await browser.post("/sign-up", ["name": "Camille\nMartin", "email": "two@example.org", "password": goodPassword])
            #expect(twoLines.status == .unprocessableEntity)
            #expect(twoLines.html.contains("sur une ligne"))
        }
    }

    @Test("Asking for a reset does the same work with or without an account: one job, the mail only for a real one")
    func forgotSameWork() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let browser = ctx.browser(runsJobs: false)
            try await browser.get("/password/forgot")
            let known = try await browser.post("/password/forgot", ["email": "camille@example.org"])
            let unknown = try await browser.post("/password/forgot", ["email": "nobody@example.org"])
            #expect(known.status == .ok && unknown.status == .ok)
            #expect(known.html.replacingOccurrences(of: "camille@example.org", with: "") == unknown.html.replacingOccurrences(of: "nobody@example.org", with: ""))
            let queued = try await JobRecord.query(on: ctx.db).filter(\.$kind == PasswordResetRequestJob.kind).count()
            #expect(queued == 2)
            #expect(try await UserToken.query(on: ctx.db).count() == 0, "nothing about the account is touched while answering")
            await ctx.runJobs()
            #expect(ctx.mailer.messages(to: "camille@example.org").count == 1)
            #expect(ctx.mailer.messages(to: "nobody@example.org").isEmpty)
        }
    }

    @Test("A member who has not accepted the new charter cannot post either: nothing is done, they are sent to the charter")
    func charterGateOnPosts() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            try await publishCharter(ctx)
            let member = try await makeMember(ctx, "Inès Roux", email: "camille@example.org", chapter: lyon, headline: "Graphiste")
            try await CharterController.recordAcceptance(member, try #require(try await CharterController.current(ctx.db)), on: ctx.db, now: ctx.time.now())
            let browser = ctx.browser()
            try await signIn(browser)
            try await browser.get("/chapters/lyon")
            try await publishCharter(ctx, version: 2)
            let posted = try await browser.post("/chapters/lyon/follow")
            #expect(posted.status == .seeOther)
            #expect(posted.location == "/charter")
            #expect(try await ChapterFollow.query(on: ctx.db).count() == 0)
        }
    }

    @Test("A forged post with a huge form is refused before its fields are decoded")
    func hugeForgedForm() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            try await browser.get("/sign-in")
            var body = "_csrf=wrong"
            for index in 0..<100_000 { body += "&f\(index)=x" }
            let forged = try await browser.send(.POST, "/sign-in", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: ByteBuffer(string: body))
            #expect(forged.status == .forbidden)
            // With the right token, a form with far more fields than any page has is refused too.
            let token = try #require(browser.csrfToken)
            var many = "_csrf=\(token)"
            for index in 0..<2_000 { many += "&f\(index)=x" }
            let crowded = try await browser.send(.POST, "/sign-in", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: ByteBuffer(string: many))
            #expect(crowded.status == .payloadTooLarge)
        }
    }

    @Test("Visitors' page views write no session row; their forms still work and forged ones do not")
    func noSessionRowForVisitors() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let browser = ctx.browser()
            for path in ["/", "/sign-in", "/events", "/chapters", "/sign-up"] { #expect(try await browser.get(path).status == .ok) }
            #expect(try await UserSession.query(on: ctx.db).count() == 0)
            // The visitor's token is tied to their own cookie: another browser's token is refused.
            let other = ctx.browser(ip: "198.51.100.30")
            try await other.get("/sign-in")
            let stolen = try #require(other.csrfToken)
            #expect(try await browser.post("/sign-in", ["email": "camille@example.org", "password": goodPassword, "_csrf": stolen]).status == .forbidden)
            #expect(try await signIn(browser).status == 303)
            #expect(try await UserSession.query(on: ctx.db).count() == 1)
        }
    }

    @Test("Limits count Unicode scalars after NFC: combining accents cannot swell a name or a search")
    func scalarLimits() async throws {
        try await withMaillon { ctx in
            let (_, browser) = try await signedInBrowser(ctx)
            let swollen = "Ana" + String(repeating: "\u{301}", count: 5_000)
            #expect(swollen.count == 3, "three grapheme clusters")
            let refused = try await browser.post("/account/profile", ["name": swollen, "locale": "fr"])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("trop long") || refused.html.contains("Trop long"))
            // A decomposed "é" is stored composed.
            try await browser.get("/account")
            #expect(try await browser.post("/account/profile", ["name": "Rene\u{301}e", "locale": "fr"]).status == .seeOther)
            #expect(try await User.query(on: ctx.db).first()?.name == "Ren\u{E9}e")
            // A search query past the limit is not echoed back.
            let search = try await browser.get("/directory?q=" + String(repeating: "%CC%81", count: 3_000))
            #expect(search.body.readableBytes < 60_000)
        }
    }
}
