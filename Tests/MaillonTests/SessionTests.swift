import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Sessions")
struct SessionTests {
    @Test("Signing in replaces the session id; the old cookie no longer works")
    func rotationAtSignIn() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let browser = ctx.browser()
            try await browser.get("/sign-in")
            // A visitor's session exists once there is something to keep (here, a chosen language).
            try await browser.post("/language", ["locale": "fr", "back": "/sign-in"])
            try await browser.get("/sign-in")
            let before = try #require(browser.cookies["maillon_session"])
            let csrfBefore = try #require(browser.csrfToken)

            let result = try await signIn(browser)
            #expect(result.status == 303)
            let after = try #require(browser.cookies["maillon_session"])
            #expect(after != before)
            #expect(try await UserSession.query(on: ctx.db).filter(\.$tokenHash == Secret.digest(before)).count() == 0)

            // Someone who planted or kept the old id gets nothing.
            let fixated = ctx.browser()
            fixated.setCookie("maillon_session", before)
            let page = try await fixated.get("/account")
            #expect(page.status == .seeOther)

            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(browser.csrfToken != csrfBefore)
        }
    }

    @Test("Signing out destroys the session on the server")
    func signOutDestroys() async throws {
        try await withMaillon { ctx in
            let user = try await makeUser(ctx)
            let browser = ctx.browser()
            try await signIn(browser)
            let token = try #require(browser.cookies["maillon_session"])
            try await browser.get("/account")
            let out = try await browser.post("/sign-out")
            #expect(out.status == .seeOther)
            #expect(try await ctx.sessionCount(for: user) == 0)

            let replay = ctx.browser()
            replay.setCookie("maillon_session", token)
            #expect(try await replay.get("/account").status == .seeOther)
        }
    }

    @Test("A session idle longer than the idle timeout is over")
    func idleTimeout() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let browser = ctx.browser()
            try await signIn(browser)
            ctx.time.advance(by: 29 * 60)
            #expect(try await browser.get("/account").status == .ok)
            ctx.time.advance(by: 31 * 60)
            #expect(try await browser.get("/account").status == .seeOther)
        }
    }

    @Test("Activity does not extend a session past its absolute lifetime")
    func absoluteLifetime() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let browser = ctx.browser()
            try await signIn(browser)
            for _ in 0..<(11 * 3) {
                ctx.time.advance(by: 20 * 60)
                #expect(try await browser.get("/account").status == .ok)
            }
            ctx.time.advance(by: 61 * 60)
            #expect(try await browser.get("/account").status == .seeOther)
        }
    }

    @Test("The account lists active sessions and can sign out everywhere else")
    func signOutEverywhereElse() async throws {
        try await withMaillon { ctx in
            let user = try await makeUser(ctx)
            let laptop = ctx.browser(ip: "198.51.100.1")
            let phone = ctx.browser(ip: "198.51.100.2")
            try await signIn(laptop)
            try await signIn(phone)
            let page = try await laptop.get("/account")
            #expect(page.html.contains("198.51.100.2"))
            #expect(page.html.contains("cet appareil"))
            #expect(try await ctx.sessionCount(for: user) == 2)

            let response = try await laptop.post("/account/sessions/sign-out-others")
            #expect(response.status == .seeOther)
            #expect(try await ctx.sessionCount(for: user) == 1)
            #expect(try await phone.get("/account").status == .seeOther)
            #expect(try await laptop.get("/account").status == .ok)
        }
    }

    @Test("Changing the password rotates this session and ends the others")
    func passwordChangeRotates() async throws {
        try await withMaillon { ctx in
            let user = try await makeUser(ctx)
            let laptop = ctx.browser()
            let phone = ctx.browser()
            try await signIn(laptop)
            try await signIn(phone)
            try await laptop.get("/account")
            let before = try #require(laptop.cookies["maillon_session"])
            let response = try await laptop.post("/account/password", ["current_password": goodPassword, "password": "a brand new passphrase"])
            #expect(response.status == .seeOther)
            #expect(laptop.cookies["maillon_session"] != before)
            #expect(try await ctx.sessionCount(for: user) == 1)
            #expect(try await phone.get("/account").status == .seeOther)
            #expect(try await laptop.get("/account").status == .ok)
            #expect(ctx.mailer.messages(to: user.email).count == 1)
        }
    }
}
