import Fluent
import Foundation
@testable import Maillon
import SQLKit
import Testing
import Vapor
import VaporTesting

@Suite("Accounts: sign up, verify, sign in, reset")
struct AccountTests {
    @Test("Sign up, follow the mailed link, then sign in")
    func signUpVerifySignIn() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            try await browser.get("/sign-up")
            let response = try await browser.post("/sign-up", ["name": "Léa Dupont", "email": " Lea@Example.org ", "password": goodPassword])
            #expect(response.status == .seeOther)
            #expect(response.location == "/sign-up/sent")
            let user = try #require(try await User.query(on: ctx.db).first())
            #expect(user.email == "lea@example.org")
            #expect(user.role == .applicant)
            #expect(user.locale == .fr)
            #expect(!user.isEmailVerified)
            #expect(user.passwordHash.hasPrefix("$2"))

            // Unverified: the sign-in is refused with a new link.
            #expect(try await signIn(browser, email: "lea@example.org").status == 403)

            let link = try #require(ctx.mailer.localLink(to: "lea@example.org", path: "/verify-email"))
            let verified = try await browser.get(link)
            #expect(verified.status == .ok)
            #expect(verified.html.contains("Adresse confirmée"))
            #expect(try await browser.get(link).status == .badRequest, "the link works once")

            #expect(try await signIn(browser, email: "lea@example.org").status == 303)
            #expect(try await browser.get("/account").html.contains("Léa Dupont"))
        }
    }

    @Test("Parallel sign-ups with one address create exactly one account")
    func parallelSignUps() async throws {
        try await withMaillon { ctx in
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<6 {
                    let browser = ctx.browser(ip: "192.0.2.\(index)")
                    group.addTask {
                        try await browser.get("/sign-up")
                        return try await browser.post("/sign-up", ["name": "Twin \(index)", "email": "twin@example.org", "password": goodPassword]).status.code
                    }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 303 })
            #expect(try await User.query(on: ctx.db).filter(\.$email == "twin@example.org").count() == 1)
        }
    }

    @Test("A verification link expires after 24 hours")
    func verificationExpiry() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            try await browser.get("/sign-up")
            try await browser.post("/sign-up", ["name": "Léo", "email": "leo@example.org", "password": goodPassword])
            let link = try #require(ctx.mailer.localLink(to: "leo@example.org", path: "/verify-email"))
            ctx.time.advance(by: 24 * 3600 + 60)
            #expect(try await browser.get(link).status == .badRequest)
            #expect(try await User.query(on: ctx.db).filter(\.$email == "leo@example.org").first()?.isEmailVerified == false)
        }
    }

    @Test("Bad input is explained on the form, the input kept, and nothing is written")
    func signUpErrors() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            try await browser.get("/sign-up")
            let response = try await browser.post("/sign-up", ["name": "", "email": "not-an-address", "password": "short"])
            #expect(response.status == .unprocessableEntity)
            #expect(response.html.contains("Ce champ est obligatoire."))
            #expect(response.html.contains("Saisissez une adresse e-mail valide"))
            #expect(response.html.contains("au moins 12 caractères"))
            #expect(response.html.contains("value=\"not-an-address\""))
            #expect(!response.html.contains("value=\"short\""), "a password is never sent back")
            #expect(try await User.query(on: ctx.db).count() == 0)
        }
    }

    @Test("A password from the common list is refused")
    func commonPasswordRefused() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser(language: "en")
            try await browser.get("/sign-up")
            let response = try await browser.post("/sign-up", ["name": "Sam", "email": "sam@example.org", "password": "password1234"])
            #expect(response.status == .unprocessableEntity)
            #expect(response.html.contains("This password is too common"))
        }
    }

    @Test("Signing up with a registered address looks exactly like a new sign-up")
    func signUpNoEnumeration() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx, email: "taken@example.org")
            let first = ctx.browser()
            try await first.get("/sign-up")
            let existing = try await first.post("/sign-up", ["name": "X", "email": "taken@example.org", "password": goodPassword])
            let second = ctx.browser()
            try await second.get("/sign-up")
            let fresh = try await second.post("/sign-up", ["name": "Y", "email": "new@example.org", "password": goodPassword])
            #expect(existing.status == fresh.status)
            #expect(existing.location == fresh.location)
            #expect(try await User.query(on: ctx.db).count() == 2)
            // The owner of the address is told, instead of the page.
            #expect(ctx.mailer.messages(to: "taken@example.org").first?.subject.contains("déjà un compte") == true)
        }
    }

    @Test("Wrong password and unknown address give the same answer")
    func signInNoEnumeration() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let a = ctx.browser()
            try await a.get("/sign-in")
            let wrong = try await a.post("/sign-in", ["email": "camille@example.org", "password": "wrong password!"])
            let b = ctx.browser()
            try await b.get("/sign-in")
            let unknown = try await b.post("/sign-in", ["email": "nobody@example.org", "password": "wrong password!"])
            #expect(wrong.status == unknown.status)
            #expect(wrong.html.contains("Adresse e-mail ou mot de passe incorrect."))
            #expect(unknown.html.contains("Adresse e-mail ou mot de passe incorrect."))
        }
    }

    @Test("Sign in returns to the page that asked for it, never to another site")
    func signInNext() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let browser = ctx.browser()
            let redirect = try await browser.get("/account")
            #expect(redirect.location == "/sign-in?next=/account")
            try await browser.get("/sign-in?next=/account")
            let back = try await browser.post("/sign-in", ["email": "camille@example.org", "password": goodPassword, "next": "/account"])
            #expect(back.location == "/account")

            let other = ctx.browser()
            try await other.get("/sign-in")
            let evil = try await other.post("/sign-in", ["email": "camille@example.org", "password": goodPassword, "next": "//evil.example"])
            #expect(evil.location == "/")
        }
    }

    @Test("A reset link works once, sets the password and ends the old sessions")
    func resetSingleUse() async throws {
        try await withMaillon { ctx in
            let user = try await makeUser(ctx)
            let old = ctx.browser()
            try await signIn(old)

            let browser = ctx.browser()
            try await browser.get("/password/forgot")
            let asked = try await browser.post("/password/forgot", ["email": "camille@example.org"])
            #expect(asked.status == .ok)
            let link = try #require(ctx.mailer.localLink(to: "camille@example.org", path: "/password/reset"))
            let secret = String(try #require(link.split(separator: "=").last))
            let stored = try #require(try await UserToken.query(on: ctx.db).filter(\.$purpose == .resetPassword).first())
            #expect(stored.tokenHash == Secret.digest(secret), "stored hashed")

            #expect(try await browser.get(link).status == .ok)
            let done = try await browser.post("/password/reset", ["token": secret, "password": "a fresh new passphrase"])
            #expect(done.status == .seeOther)
            #expect(try await browser.post("/password/reset", ["token": secret, "password": "another passphrase!"]).status == .badRequest)
            #expect(try await browser.get(link).status == .badRequest)

            #expect(try await ctx.sessionCount(for: user) == 0)
            #expect(try await old.get("/account").status == .seeOther)
            #expect(try await signIn(ctx.browser(), password: "a fresh new passphrase").status == 303)
            #expect(try await signIn(ctx.browser(), password: goodPassword).status == 401)
        }
    }

    @Test("A reset link expires after one hour")
    func resetExpiry() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let browser = ctx.browser()
            let (secret, link) = try await requestReset(ctx, browser)
            ctx.time.advance(by: 59 * 60)
            #expect(try await browser.get(link).status == .ok)
            ctx.time.advance(by: 2 * 60)
            #expect(try await browser.get(link).status == .badRequest)
            #expect(try await browser.post("/password/reset", ["token": secret, "password": "a fresh new passphrase"]).status == .badRequest)
        }
    }

    @Test("Two parallel uses of one reset link: exactly one wins")
    func resetRace() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let browser = ctx.browser()
            let (secret, _) = try await requestReset(ctx, browser)
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<4 {
                    let client = ctx.browser()
                    group.addTask {
                        try await client.get("/")
                        return try await client.post("/password/reset", ["token": secret, "password": "parallel passphrase \(index)"]).status.code
                    }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 303 }.count == 1)
            #expect(statuses.filter { $0 == 400 }.count == 3)
        }
    }

    @Test("Asking for a reset says the same thing whether or not the address has an account")
    func resetNoEnumeration() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let a = try await ctx.browser().post("/password/forgot", ["email": "camille@example.org"])
            let b = try await ctx.browser().post("/password/forgot", ["email": "ghost@example.org"])
            #expect(a.status == b.status)
            let strip: (String) -> String = { $0.replacingOccurrences(of: #"value="[^"]*""#, with: "", options: .regularExpression) }
            #expect(strip(a.html) == strip(b.html))
            #expect(ctx.mailer.messages(to: "ghost@example.org").isEmpty)
            #expect(ctx.mailer.messages(to: "camille@example.org").count == 1)
        }
    }

    @Test("Changing the email keeps the old one until the new one is verified")
    func changeEmailReverifies() async throws {
        try await withMaillon { ctx in
            let (user, browser) = try await signedInBrowser(ctx)
            let wrong = try await browser.post("/account/email", ["email": "new@example.org", "current_password": "not my password"])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.html.contains("Le mot de passe actuel est incorrect."))
            #expect(wrong.html.contains("value=\"new@example.org\""))

            let response = try await browser.post("/account/email", ["email": "new@example.org", "current_password": goodPassword])
            #expect(response.status == .seeOther)
            #expect(try await User.find(user.id, on: ctx.db)?.email == "camille@example.org")
            #expect(ctx.mailer.messages(to: "camille@example.org").count == 1, "the old address is warned")
            let link = try #require(ctx.mailer.localLink(to: "new@example.org", path: "/verify-email"))
            #expect(try await browser.get(link).status == .ok)
            #expect(try await User.find(user.id, on: ctx.db)?.email == "new@example.org")
        }
    }

    @Test("Name and language are saved from the account page")
    func profileAndLanguage() async throws {
        try await withMaillon { ctx in
            let (user, browser) = try await signedInBrowser(ctx)
            let bad = try await browser.post("/account/profile", ["name": "  ", "locale": "de"])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.html.contains("Choisissez une option de la liste."))
            #expect(try await browser.post("/account/profile", ["name": "Camille M.", "locale": "en"]).status == .seeOther)
            let saved = try #require(try await User.find(user.id, on: ctx.db))
            #expect(saved.name == "Camille M.")
            #expect(saved.locale == .en)
            #expect(try await browser.get("/account").html.contains("<html lang=\"en\">"))
        }
    }
}

@Suite("Handles: unique however many people share a name")
struct HandleTests {
    @Test("A new account whose drawn handle someone already has gets another, instead of failing on the unique index")
    func newAccountClash() async throws {
        try await withMaillon { ctx in
            let first = User(email: "lea1@example.org", passwordHash: "x", name: "Léa Martin", role: .applicant)
            try await first.create(on: ctx.db)
            let second = User(email: "lea2@example.org", passwordHash: "x", name: "Léa Martin", role: .applicant)
            second.handle = first.handle  // the one-in-65,536 draw
            try await second.create(on: ctx.db)
            let handles = try await User.query(on: ctx.db).all().compactMap(\.handle)
            #expect(handles.count == 2 && Set(handles).count == 2)
            #expect(handles.allSatisfy { $0.range(of: #"^lea-martin-[0-9a-f]{4}$"#, options: .regularExpression) != nil }, "\(handles)")
        }
    }

    @Test("When every four-digit handle of a name is taken, the suffix grows to eight digits")
    func longerSuffix() async {
        let taken = Set((0..<65_536).map { "lea-martin-" + String(repeating: "0", count: 4 - String($0, radix: 16).count) + String($0, radix: 16) })
        let handle = await User.freeHandle("lea-martin-0000", name: "Léa Martin") { taken.contains($0) }
        #expect(!taken.contains(handle))
        #expect(handle.count == "lea-martin-".count + 8)
    }

    @Test("Migration 028 gives 3,000 people of one name 3,000 handles (a random four-digit suffix alone would clash)")
    func migrationWithNamesakes() async throws {
        try await withMaillon { ctx in
            let users = (0..<3_000).map { User(email: "adam\($0)@example.org", passwordHash: "x", name: "Adam Richard", role: .member) }
            for (number, user) in users.enumerated() { user.handle = DemoCommunity.handle(user.name, number: number) }
            try await users.create(on: ctx.db)
            // Back to before 028, on one connection (SQLite's other connections would not see the dropped
            // column before their next read; Fluent's SQLite driver skips dropping a column, so SQL does).
            try await ctx.db.withConnection { db in
                let sql = db as! any SQLDatabase
                try await sql.drop(index: "users_handle_idx").run()
                try await sql.raw("ALTER TABLE users DROP COLUMN handle").run()
                try await Migrations028.AddUserHandles().prepare(on: db)
            }
            let handles = try await User.query(on: ctx.db).all().compactMap(\.handle)
            #expect(handles.count == 3_000 && Set(handles).count == 3_000)
        }
    }
}
