import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Two-step sign-in for admins")
struct TwoStepTests {
    @Test("An admin turns on two-step sign-in; signing in then needs a code; the session rotates")
    func enableThenSignIn() async throws {
        try await withMaillon { ctx in
            let admin = try await makeUser(ctx, role: .admin)
            let browser = ctx.browser()
            try await signIn(browser)
            let setup = try await browser.get("/account/two-step")
            #expect(setup.status == .ok)
            let secret = try #require(try await User.find(admin.id, on: ctx.db)?.totpSecret)
            #expect(setup.html.contains(secret))

            let wrong = try await browser.post("/account/two-step/enable", ["code": "000000"])
            #expect(wrong.status == .unprocessableEntity || TwoStep.code(secret: secret, at: ctx.time.now()) == "000000")
            let before = browser.cookies["maillon_session"]
            let code = try #require(TwoStep.code(secret: secret, at: ctx.time.now()))
            #expect(try await browser.post("/account/two-step/enable", ["code": code]).status == .seeOther)
            #expect(browser.cookies["maillon_session"] != before, "privilege change rotates the session")
            #expect(try await User.find(admin.id, on: ctx.db)?.hasTwoStep == true)

            try await browser.post("/sign-out")
            let first = try await signIn(browser)
            #expect(first.location?.hasPrefix("/sign-in/two-step") == true)
            #expect(try await browser.get("/account").status == .seeOther, "not signed in yet")
            #expect(try await browser.get("/sign-in/two-step").status == .ok)
            #expect(try await browser.post("/sign-in/two-step", ["code": code]).status == .unauthorized, "a used code is refused")
            ctx.time.advance(by: 30)
            let next = try #require(TwoStep.code(secret: secret, at: ctx.time.now()))
            #expect(try await browser.post("/sign-in/two-step", ["code": next]).status == .seeOther)
            #expect(try await browser.get("/account").status == .ok)
        }
    }

    @Test("The two-step page cannot be reached without a correct password first")
    func noShortcut() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            #expect(try await browser.get("/sign-in/two-step").status == .seeOther)
            try await browser.get("/")
            #expect(try await browser.post("/sign-in/two-step", ["code": "123456"]).status == .seeOther)
        }
    }
}
