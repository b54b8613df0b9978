import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Security baseline")
struct SecurityTests {
    @Test("A form posted without a CSRF token is refused with a 403 page and changes nothing")
    func csrfMissingToken() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            try await browser.get("/sign-up")
            let response = try await browser.post("/sign-up", ["name": "Léa", "email": "lea@example.org", "password": goodPassword], csrf: false)
            #expect(response.status == .forbidden)
            #expect(response.html.contains("Ce formulaire a expiré"))
            #expect(try await User.query(on: ctx.db).count() == 0)
            #expect(ctx.mailer.messages.isEmpty)
        }
    }

    @Test("A wrong CSRF token, or one from another session, is refused")
    func csrfWrongToken() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let attacker = ctx.browser()
            try await attacker.get("/sign-in")
            let stolen = try #require(attacker.csrfToken)

            let victim = ctx.browser()
            try await victim.get("/sign-in")
            let wrong = try await victim.post("/sign-in", ["email": "camille@example.org", "password": goodPassword, "_csrf": "not-the-token"])
            #expect(wrong.status == .forbidden)
            let foreign = try await victim.post("/sign-in", ["email": "camille@example.org", "password": goodPassword, "_csrf": stolen])
            #expect(foreign.status == .forbidden)
            #expect(try await UserSession.query(on: ctx.db).filter(\.$user.$id != nil).count() == 0)

            let right = try await victim.post("/sign-in", ["email": "camille@example.org", "password": goodPassword])
            #expect(right.status == .seeOther)
        }
    }

    @Test("A request with no session at all cannot post")
    func csrfWithoutSession() async throws {
        try await withMaillon { ctx in
            let response = try await ctx.app.testing().sendRequest(.POST, "/language", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                                                   body: ByteBuffer(string: "locale=en&back=/"))
            #expect(response.status == .forbidden)
        }
    }

    @Test("Security headers are on pages, error pages and static files")
    func headers() async throws {
        try await withMaillon { ctx in
            for path in ["/", "/does-not-exist", "/css/maillon.css", "/sign-in"] {
                let response = try await ctx.browser().get(path)
                let csp = try #require(response.headers.first(name: "Content-Security-Policy"), "\(path)")
                #expect(csp.contains("default-src 'self'"))
                #expect(csp.contains("frame-ancestors 'none'"))
                #expect(!csp.contains("unsafe-inline"))
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(response.headers.first(name: "Referrer-Policy") == "strict-origin-when-cross-origin")
                #expect(response.headers.first(name: "Permissions-Policy")?.contains("camera=()") == true)
                #expect(response.headers.first(name: "Strict-Transport-Security") == nil, "no HSTS over http")
            }
        }
    }

    @Test("Stylesheets and scripts are kept an hour, then revalidated: an unchanged file answers 304 without its body")
    func staticFilesCache() async throws {
        try await withMaillon { ctx in
            for path in ["/css/maillon.css", "/js/maillon.js"] {
                let browser = ctx.browser()
                let first = try await browser.get(path)
                #expect(first.status == .ok)
                #expect(first.headers.first(name: .cacheControl) == "max-age=3600")
                let tag = try #require(first.headers.first(name: .eTag), "\(path)")
                let again = try await browser.get(path, headers: [("If-None-Match", tag)])
                #expect(again.status == .notModified)
                #expect(again.body.readableBytes == 0)
                #expect(try await browser.get(path, headers: [("If-None-Match", "\"stale\"")]).status == .ok)
            }
        }
    }

    @Test("HSTS is sent when the base URL is https")
    func hstsUnderHTTPS() async throws {
        try await withMaillon(.init(baseURL: "https://maillon.example.org")) { ctx in
            let response = try await ctx.browser().get("/")
            #expect(response.headers.first(name: "Strict-Transport-Security")?.contains("max-age=31536000") == true)
        }
    }

    @Test("Under http the session and CSRF cookies are HttpOnly and SameSite=Lax, without Secure")
    func cookieFlagsHTTP() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            let page = try await browser.get("/")
            let response = try await browser.post("/language", ["locale": "en", "back": "/"])
            for cookie in [try #require(page.headers[.setCookie].first { $0.hasPrefix("maillon_csrf=") }),
                           try #require(response.headers[.setCookie].first { $0.hasPrefix("maillon_session=") })] {
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.contains("SameSite=Lax"))
                #expect(cookie.contains("Path=/"))
                #expect(!cookie.contains("Secure"))
            }
        }
    }

    @Test("Under https the session and CSRF cookies are Secure with the __Host- prefix and no Domain")
    func cookieFlagsHTTPS() async throws {
        try await withMaillon(.init(baseURL: "https://maillon.example.org")) { ctx in
            let browser = ctx.browser()
            let page = try await browser.get("/")
            let response = try await browser.post("/language", ["locale": "en", "back": "/"])
            for cookie in [try #require(page.headers[.setCookie].first { $0.hasPrefix("__Host-maillon_csrf=") }),
                           try #require(response.headers[.setCookie].first { $0.hasPrefix("__Host-maillon_session=") })] {
                #expect(cookie.contains("Secure"))
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.contains("SameSite=Lax"))
                #expect(cookie.contains("Path=/"))
                #expect(!cookie.contains("Domain"))
            }
        }
    }

    @Test("A form's answer travels in a signed, HttpOnly cookie shown once; a forged or altered one shows nothing")
    func flashCookie() async throws {
        try await withMaillon { ctx in
            let (_, browser) = try await signedInBrowser(ctx)
            let saved = try await browser.post("/account/profile", ["name": "Camille M.", "locale": "fr"])
            #expect(saved.status == .seeOther)
            let header = try #require(saved.headers[.setCookie].first { $0.hasPrefix("maillon_flash=") })
            #expect(header.contains("HttpOnly") && header.contains("SameSite=Lax") && header.contains("Path=/"))
            let value = try #require(browser.cookies["maillon_flash"])
            #expect(try await browser.get("/account").html.contains("Modifications enregistrées."))
            #expect(browser.cookies["maillon_flash"] == nil, "cleared once shown")
            #expect(!(try await browser.get("/account").html.contains("Modifications enregistrées.")))

            // Another message with the same signature, a bare message, nonsense: nothing is shown.
            let other = Data(#"[{"kind":"error","key":"flash.already_decided"}]"#.utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let signature = String(value.split(separator: ".").last ?? "")
            for forged in [other + "." + signature, other, "%%%.!!!", String(repeating: "a", count: 5_000)] {
                browser.setCookie("maillon_flash", forged)
                let page = try await browser.get("/account")
                #expect(page.status == .ok)
                #expect(!page.html.contains("Quelqu&#39;un a pris une décision") && !page.html.contains("Quelqu'un a pris une décision"))
            }
        }
    }

    @Test("Only the digest of the session secret is stored")
    func sessionTokenStoredHashed() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            try await browser.post("/language", ["locale": "en", "back": "/"])
            let token = try #require(browser.cookies["maillon_session"])
            let stored = try #require(try await UserSession.query(on: ctx.db).first())
            #expect(stored.tokenHash == Secret.digest(token))
            #expect(stored.tokenHash != token)
        }
    }

    @Test("No password, token or session id appears in the logs of a full account journey")
    func noSecretsInLogs() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            let password = "une phrase de passe très secrète"
            try await browser.get("/sign-up")
            try await browser.post("/sign-up", ["name": "Noé", "email": "noe@example.org", "password": password])
            let verify = try #require(ctx.mailer.localLink(to: "noe@example.org", path: "/verify-email"))
            try await browser.get(verify)
            try await signIn(browser, email: "noe@example.org", password: password)
            try await browser.post("/password/forgot", ["email": "noe@example.org"])
            let reset = try #require(ctx.mailer.localLink(to: "noe@example.org", path: "/password/reset"))
            try await browser.get(reset)

            let logs = TestLogs.all
            let session = try #require(browser.cookies["maillon_session"])
            #expect(!logs.contains(password))
            #expect(!logs.contains(session))
            #expect(!logs.contains(String(verify.split(separator: "=").last ?? "x")))
            #expect(!logs.contains(String(reset.split(separator: "=").last ?? "x")))
            #expect(!logs.contains(try #require(browser.csrfToken)))
        }
    }
}
