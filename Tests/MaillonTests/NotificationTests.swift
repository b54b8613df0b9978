import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

let phoneAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1"
let tabletAgent = "Mozilla/5.0 (Linux; Android 15) Chrome/130.0 Mobile"

func notifications(_ ctx: TestContext, for user: User, kind: String) async throws -> [AppNotification] {
    try await AppNotification.query(on: ctx.db).filter(\.$user.$id == user.requireID()).filter(\.$kind == kind).all()
}

@Suite("Notifications")
struct NotificationTests {
    @Test("A sign-in from a new device notifies as the member chose; off suppresses the email and the notice")
    func preferenceOffSuppressesEmail() async throws {
        try await withMaillon { ctx in
            let (user, browser) = try await signedInBrowser(ctx)
            #expect(try await notifications(ctx, for: user, kind: "new_sign_in").isEmpty, "the very first sign-in is not news")
            try await signIn(ctx.browser(userAgent: "Mozilla/5.0 (Windows NT 10.0) Edg/130.0"))
            #expect(try await notifications(ctx, for: user, kind: "new_sign_in").count == 1, "a second device, in the app only by default")
            #expect(ctx.mailer.messages(to: user.email).isEmpty)

            try await browser.get("/account/notifications")
            let saved = try await browser.post("/account/notifications", ["new_sign_in": "email", "weekly_digest": "email"])
            #expect(saved.status == .seeOther)
            try await signIn(ctx.browser(userAgent: phoneAgent))
            let mail = try #require(ctx.mailer.messages(to: user.email).last)
            #expect(mail.subject == "Maillon : nouvelle connexion à votre compte")
            #expect(mail.text.contains("Safari · iOS"))
            #expect(mail.unsubscribeURL?.contains("/unsubscribe?token=") == true)
            #expect(try await notifications(ctx, for: user, kind: "new_sign_in").count == 2)

            try await browser.get("/account/notifications")
            try await browser.post("/account/notifications", ["new_sign_in": "off"])
            try await signIn(ctx.browser(userAgent: tabletAgent))
            #expect(ctx.mailer.messages(to: user.email).count == 1, "no second email")
            #expect(try await notifications(ctx, for: user, kind: "new_sign_in").count == 2, "no notice either")

            // The same browser signing in again is not news.
            try await browser.post("/sign-out")
            try await browser.get("/account/notifications")
        }
    }

    @Test("A choice a kind does not offer is refused on the form")
    func invalidChoice() async throws {
        try await withMaillon { ctx in
            let (user, browser) = try await signedInBrowser(ctx)
            try await browser.get("/account/notifications")
            let refused = try await browser.post("/account/notifications", ["weekly_digest": "in_app", "new_sign_in": "email"])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("Choisissez une option de la liste."))
            #expect(try await NotificationPreference.query(on: ctx.db).filter(\.$user.$id == user.requireID()).count() == 0, "nothing half-saved")
            #expect(!(try await browser.get("/account/notifications").html.contains("job_dead")), "admin kinds are for admins")
        }
    }

    @Test("The centre lists notifications, counts unread ones in the header, and marks them read")
    func centre() async throws {
        try await withMaillon { ctx in
            let (user, browser) = try await signedInBrowser(ctx)
            try await signIn(ctx.browser(userAgent: tabletAgent))
            try await signIn(ctx.browser(userAgent: phoneAgent))
            let home = try await browser.get("/")
            #expect(home.html.contains("badge-count\">2<"))
            let page = try await browser.get("/notifications")
            #expect(page.status == .ok)
            #expect(page.html.contains("Nouvelle connexion à votre compte depuis Safari · iOS"))

            let first = try #require(try await notifications(ctx, for: user, kind: "new_sign_in").first)
            #expect(try await browser.post("/notifications/\(try first.requireID())/read").status == .seeOther)
            #expect(try await AppNotification.find(first.id, on: ctx.db)?.readAt != nil)
            #expect(try await browser.get("/").html.contains("badge-count\">1<"))

            // Someone else's notification is not found, and stays unread.
            let other = try await makeUser(ctx, email: "other@example.org")
            let intruder = ctx.browser()
            try await signIn(intruder, email: "other@example.org")
            try await intruder.get("/notifications")
            let mine = try #require(try await notifications(ctx, for: user, kind: "new_sign_in").first { $0.readAt == nil })
            #expect(try await intruder.post("/notifications/\(try mine.requireID())/read").status == .notFound)
            #expect(try await AppNotification.find(mine.id, on: ctx.db)?.readAt == nil)
            #expect(try await intruder.post("/notifications/not-a-uuid/read").status == .notFound)
            _ = other

            #expect(try await browser.post("/notifications/read-all").status == .seeOther)
            #expect(!(try await browser.get("/").html.contains("badge-count")))
        }
    }

    @Test("The unsubscribe link asks first, then turns the kind off with one click, without a session")
    func unsubscribe() async throws {
        try await withMaillon { ctx in
            let (user, browser) = try await signedInBrowser(ctx)
            try await browser.post("/account/notifications", ["new_sign_in": "email"])
            try await signIn(ctx.browser(userAgent: phoneAgent))
            let link = try #require(ctx.mailer.messages(to: user.email).last?.unsubscribeURL)
            let path = try #require(URLComponents(string: link)).path + "?" + (try #require(URLComponents(string: link)?.query))
            let token = String(path.split(separator: "=", maxSplits: 1).last ?? "")

            let stranger = ctx.browser()
            let confirm = try await stranger.get(path)
            #expect(confirm.status == .ok)
            #expect(confirm.html.contains("Connexion depuis un nouvel appareil"))
            #expect(try await Notifier.channel(for: .newSignIn, userID: user.requireID(), on: ctx.db) == .email, "a GET changes nothing")

            // The mail client's one-click POST (RFC 8058) has no session nor CSRF token.
            let response = try await ctx.app.testing().sendRequest(.POST, path, headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                                                   body: ByteBuffer(string: "List-Unsubscribe=One-Click"))
            #expect(response.status == .ok)
            #expect(try await Notifier.channel(for: .newSignIn, userID: user.requireID(), on: ctx.db) == .off)

            let forged = token.dropLast(3) + "abc"
            #expect(try await stranger.get("/unsubscribe?token=\(forged)").status == .badRequest)
            #expect(try await stranger.post("/unsubscribe", ["token": "\(user.requireID()).new_sign_in.xyz"], csrf: false).status == .badRequest)
        }
    }

    @Test("The weekly digest gathers waiting notifications and new members, once per week, and respects opting out")
    func weeklyDigest() async throws {
        try await withMaillon { ctx in
            let (user, browser) = try await signedInBrowser(ctx)
            try await browser.post("/account/notifications", ["new_sign_in": "digest"])
            try await signIn(ctx.browser(userAgent: phoneAgent))
            try await makeUser(ctx, email: "nouvelle@example.org", name: "Inès Nouvelle")
            let quiet = try await makeUser(ctx, email: "quiet@example.org", name: "Quiet One")
            try await NotificationsController.setPreference(userID: quiet.requireID(), kind: "weekly_digest", channel: .off, on: ctx.db)
            #expect(ctx.mailer.messages(to: user.email).isEmpty, "digest notices wait for the digest")

            // Move to the next Monday 08:00 in Paris, when the periodic job is due.
            let monday = Schedule.weekly(weekday: 2, hour: 8, minute: 0).latestOccurrence(atOrBefore: ctx.time.now().addingTimeInterval(7 * 86400))
            ctx.time.advance(by: monday.timeIntervalSince(ctx.time.now()) + 60)
            for _ in 0..<2 {
                try await JobQueue(database: ctx.db, now: ctx.time.now()).schedulePeriodic(ctx.app.jobRegistry)
                await ctx.runJobs()
            }
            let digests = ctx.mailer.messages(to: user.email).filter { $0.subject.contains("résumé") }
            #expect(digests.count == 1)
            let digest = try #require(digests.first)
            #expect(digest.text.contains("Nouvelle connexion à votre compte depuis Safari · iOS"))
            #expect(digest.text.contains("Inès Nouvelle"))
            #expect(digest.unsubscribeURL != nil)
            #expect(ctx.mailer.messages(to: "quiet@example.org").isEmpty)
            #expect(try await notifications(ctx, for: user, kind: "new_sign_in").allSatisfy { $0.digestedAt != nil || !$0.inDigest })
        }
    }

    @Test("A member's digest lists the newcomers of their own chapter")
    func digestNewcomersOfMyChapter() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let paris = try await makeChapter(ctx, "Paris")
            let reader = try await makeMember(ctx, "Lectrice", email: "reader@example.org", chapter: lyon, headline: "Juriste")
            try await makeMember(ctx, "Nouvelle Lyonnaise", email: "ly@example.org", chapter: lyon, headline: "Graphiste")
            try await makeMember(ctx, "Nouveau Parisien", email: "pa@example.org", chapter: paris, headline: "Développeur")
            try await SendDigestJob(userID: reader.requireID(), weekStart: ctx.time.now()).run(
                JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            await ctx.runJobs()
            let digest = try #require(ctx.mailer.messages(to: "reader@example.org").first)
            #expect(digest.text.contains("Nouvelle Lyonnaise — Graphiste"))
            #expect(!digest.text.contains("Nouveau Parisien"))
        }
    }
}
