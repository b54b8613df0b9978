import Fluent
import SQLKit
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

/// Leaf resolves templates at run time, so every page is rendered here, in both languages.
@Suite("Pages")
struct PageTests {
    static let publicPages = ["/", "/sign-up", "/sign-up/sent", "/sign-in", "/password/forgot"]

    @Test("Every public page renders in French and English with the switcher, landmarks and one h1",
          arguments: ["fr", "en"])
    func publicPagesRender(language: String) async throws {
        try await withMaillon { ctx in
            for path in Self.publicPages {
                let page = try await ctx.browser(language: language).get(path)
                #expect(page.status == .ok, "\(path)")
                Self.expectWellFormedPage(page.html, lang: language, path: path)
            }
        }
    }

    @Test("Every signed-in page renders, admin pages included", arguments: ["fr", "en"])
    func signedInPagesRender(language: String) async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx, role: .admin, locale: AppLocale(rawValue: language))
            for index in 0..<30 { try await makeUser(ctx, email: "m\(index)@example.org", name: "Membre \(index)") }
            let browser = ctx.browser()
            try await signIn(browser)
            try await ctx.app.maillon.mailer.send(MailMessage(to: "x@example.org", subject: "Été", text: "Bonjour"), logger: ctx.app.logger)
            for path in ["/", "/account", "/account/two-step", "/admin/users", "/admin/users?page=2", "/admin/users?page=abc",
                         "/notifications", "/account/notifications", "/admin/jobs", "/admin/mail"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                Self.expectWellFormedPage(page.html, lang: language, path: path)
            }
            let second = try await browser.get("/admin/users?page=2")
            #expect(second.html.contains(language == "fr" ? "Page 2 sur 2" : "Page 2 of 2"))
            #expect(second.html.contains("rel=\"prev\""))
        }
    }

    @Test("Error pages explain without leaking internals", arguments: [("fr", "Page introuvable"), ("en", "Page not found")])
    func errorPages(language: String, heading: String) async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser(language: language)
            let notFound = try await browser.get("/nowhere/at/all")
            #expect(notFound.status == .notFound)
            #expect(notFound.html.contains(heading))
            Self.expectWellFormedPage(notFound.html, lang: language, path: "404")

            let forbidden = try await browser.post("/sign-in", ["_csrf": "forged"])
            #expect(forbidden.status == .forbidden)
            Self.expectWellFormedPage(forbidden.html, lang: language, path: "403")
        }
    }

    @Test("A body over the limit gets the 413 page")
    func payloadTooLarge() async throws {
        try await withMaillon(.init(maxBodySize: "16kb")) { ctx in
            let browser = ctx.browser()
            try await browser.get("/sign-up")
            let response = try await browser.post("/sign-up", ["name": String(repeating: "a", count: 40_000)])
            #expect(response.status == .payloadTooLarge)
            #expect(response.html.contains("Envoi trop volumineux"))
        }
    }

    @Test("An unexpected failure gives the 500 page with a reference and no details")
    func internalError() async throws {
        try await withMaillon { ctx in
            ctx.app.get("boom") { _ -> String in
                struct Secretive: Error { let detail = "SELECT password_hash FROM users" }
                throw Secretive()
            }
            let response = try await ctx.browser().get("/boom")
            #expect(response.status == .internalServerError)
            #expect(response.html.contains("Erreur interne"))
            #expect(response.html.contains(try #require(response.headers.first(name: .xRequestId))))
            #expect(!response.html.contains("password_hash"))
            #expect(!response.html.contains("Secretive"))
        }
    }

    @Test("The 429 page has its own explanation")
    func tooManyRequestsPage() async throws {
        try await withMaillon { ctx in
            ctx.app.get("limited") { _ -> String in throw PageError.tooManyRequests }
            let response = try await ctx.browser(language: "en").get("/limited")
            #expect(response.status == .tooManyRequests)
            #expect(response.html.contains("Too many requests"))
        }
    }

    @Test("Malformed requests get a 4xx, never a 500")
    func malformedRequests() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            try await browser.get("/sign-in")
            let token = try #require(browser.csrfToken)
            let cases: [(HTTPMethod, String, String, String)] = [
                (.POST, "/sign-in", "application/json", "{\"email\": [1,2]"),
                (.POST, "/sign-in", "application/x-www-form-urlencoded", "%%%&&&==&email[]=1&email[x]=2&_csrf=\(token)"),
                (.POST, "/sign-up", "multipart/form-data; boundary=zzz", "--zzz\r\nnonsense"),
                (.POST, "/sign-up", "text/plain", "hello"),
                (.PUT, "/account", "application/x-www-form-urlencoded", "_csrf=\(token)"),
                (.POST, "/language", "application/x-www-form-urlencoded", "_csrf=\(token)&locale=xx&back=https://evil.example"),
                (.GET, "/password/reset?token=%ZZ", "text/plain", ""),
                (.GET, "/verify-email?token=" + String(repeating: "x", count: 5000), "text/plain", ""),
                (.GET, "/admin/users?page=-5", "text/plain", ""),
                // A NUL byte in a path's slug (PostgreSQL refuses it in text) and other shapes of non-slug.
                (.GET, "/trainings/%00", "text/plain", ""), (.GET, "/trainings/\u{0}%ZZ", "text/plain", ""),
                (.GET, "/chapters/%00", "text/plain", ""), (.GET, "/chapters/%00/calendar.ics", "text/plain", ""),
                (.GET, "/organisations/%00", "text/plain", ""), (.GET, "/organisations/%C3%A9t%C3%A9", "text/plain", ""),
                (.GET, "/directory?q=%00", "text/plain", ""), (.GET, "/events?chapter=%00", "text/plain", ""),
                (.GET, "/missions?skill=%00&cause=%00", "text/plain", ""),
            ]
            for (method, path, type, body) in cases {
                let response = try await browser.send(method, path, headers: [("Content-Type", type), ("X-CSRF-Token", token)], body: ByteBuffer(string: body))
                #expect((200..<500).contains(response.status.code), "\(method) \(path) gave \(response.status.code)")
            }
        }
    }

    @Test("The language follows the account, else the session's choice, else Accept-Language, else French")
    func languageResolution() async throws {
        try await withMaillon { ctx in
            #expect(try await ctx.browser().get("/").html.contains("<html lang=\"fr\">"))
            #expect(try await ctx.browser(language: "en-GB,en;q=0.9").get("/").html.contains("<html lang=\"en\">"))
            #expect(try await ctx.browser(language: "de-DE, en;q=0.5").get("/").html.contains("<html lang=\"en\">"))

            let switcher = ctx.browser(language: "en")
            try await switcher.get("/sign-in")
            let switched = try await switcher.post("/language", ["locale": "fr", "back": "/sign-in"])
            #expect(switched.location == "/sign-in")
            #expect(try await switcher.get("/sign-in").html.contains("<html lang=\"fr\">"))

            try await makeUser(ctx, locale: .en)
            let member = ctx.browser(language: "fr")
            try await signIn(member)
            #expect(try await member.get("/").html.contains("<html lang=\"en\">"))
        }
    }

    @Test("Health: /healthz answers, /readyz checks the database")
    func health() async throws {
        try await withMaillon { ctx in
            let browser = ctx.browser()
            let live = try await browser.get("/healthz")
            let ready = try await browser.get("/readyz")
            #expect(live.status == .ok)
            #expect(ready.status == .ok)
        }
    }

    @Test("The community's colours come from settings through a stylesheet")
    func theme() async throws {
        try await withMaillon { ctx in
            let css = try await ctx.browser().get("/theme.css")
            #expect(css.headers.contentType?.subType == "css")
            #expect(css.body.string.contains("--brand: #1d5c4d"))
        }
    }

    static func expectWellFormedPage(_ html: String, lang: String, path: String) {
        #expect(html.contains("<html lang=\"\(lang)\">"), "\(path)")
        #expect(html.contains("<main id=\"main\""), "\(path)")
        #expect(html.contains("<header"), "\(path)")
        #expect(html.contains("<footer"), "\(path)")
        #expect(html.contains("class=\"skip-link\""), "\(path)")
        #expect(html.components(separatedBy: "<h1").count == 2, "\(path) has one h1")
        #expect(!html.contains("<script>") && !html.contains("style=\""), "\(path) has no inline script or style")
        #expect(!html.contains("#t("), "\(path) left a tag unrendered")
        // Every catalogue key used is translated: a missing key would show as `word.word`.
        #expect(html.range(of: #">[a-z_]+\.[a-z_.]+<"#, options: .regularExpression) == nil, "\(path) shows a raw key")
    }
}

@Suite("Test harness")
struct HarnessTests {
    @Test("The suite runs on PostgreSQL when TEST_DATABASE_URL is set, without JIT compilation, else on SQLite in WAL mode, every connection reading through a memory map")
    func databaseUnderTest() async throws {
        try await withMaillon { ctx in
            let sql = ctx.db as! any SQLDatabase
            if TestDatabase.isPostgres {
                #expect(sql.dialect.name == "postgresql")
                let jit = try await sql.raw("SHOW jit").first()?.decode(column: "jit", as: String.self)
                #expect(jit == "off", "no JIT compilation on the app's connections")
            } else {
                #expect(sql.dialect.name == "sqlite")
                let mode = try await sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
                #expect(mode == "wal")
                for loop in ctx.app.eventLoopGroup.makeIterator() {
                    let connection = try #require(ctx.app.databases.database(logger: ctx.app.logger, on: loop) as? any SQLDatabase)
                    let size = try await connection.raw("PRAGMA mmap_size").first()?.decode(column: "mmap_size", as: Int.self)
                    #expect(size == DatabaseSetup.mmapBytes)
                }
            }
        }
    }
}
