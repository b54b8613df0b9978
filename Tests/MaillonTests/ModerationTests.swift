import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

private func notifications(_ ctx: TestContext, _ email: String) async throws -> [String] {
    guard let user = try await User.query(on: ctx.db).filter(\.$email == email).first() else { return [] }
    let t = Translator(catalogue: ctx.app.maillon.catalogue, locale: .fr)
    return try await AppNotification.query(on: ctx.db).filter(\.$user.$id == user.requireID()).filter(\.$kind == "moderation").all().map { $0.text(t) }
}

/// Sam, a Lyon member, opens a thread in Lyon's space with a promotion.
private func samsPromotion(_ ctx: TestContext) async throws -> (Chapter, TestBrowser, DiscussionThread, Post) {
    let lyon = try await makeChapter(ctx, "Lyon")
    let sam = try await member(ctx, "Sam Spam", "sam@example.org", lyon)
    try await sam.post("/discussions/lyon/new", ["title": "Promo", "body": "Encore une promo"])
    return (lyon, sam, try #require(try await DiscussionThread.query(on: ctx.db).first()), try #require(try await Post.query(on: ctx.db).first()))
}

@Suite("Moderation")
struct ModerationTests {
    @Test("Two members' reports hide a post until reviewed, its author told; the ambassador restores or deletes it; the queue is scoped to one's chapter")
    func reportsHideAndTheQueue() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let paris = try await makeChapter(ctx, "Paris")
            let spammer = try await member(ctx, "Sam Spam", "sam@example.org", lyon)
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            let marc = try await member(ctx, "Marc Lyon", "marc@example.org", lyon)
            try await spammer.post("/discussions/lyon/new", ["title": "Promo", "body": "Achetez mes formations miracles"])
            let thread = try #require(try await DiscussionThread.query(on: ctx.db).first())
            let post = try #require(try await Post.query(on: ctx.db).first())
            let postID = try post.requireID()

            #expect(try await lea.get("/discussions/posts/\(postID)/report").status == .ok)
            #expect(try await lea.post("/discussions/posts/\(postID)/report", ["reason": "boring"]).status == .unprocessableEntity)
            try await spammer.post("/discussions/posts/\(postID)/report", ["reason": "spam"])
            #expect(try await PostReport.query(on: ctx.db).count() == 0, "one does not report oneself")
            try await lea.post("/discussions/posts/\(postID)/report", ["reason": "spam"])
            try await lea.post("/discussions/posts/\(postID)/report", ["reason": "spam"])
            #expect(try await PostReport.query(on: ctx.db).count() == 1, "once per member")
            #expect(try await Post.find(postID, on: ctx.db)?.hiddenAt == nil, "one report does not hide")
            try await marc.post("/discussions/posts/\(postID)/report", ["reason": "inappropriate"])
            #expect(try await Post.find(postID, on: ctx.db)?.hiddenAt != nil)
            #expect(try await notifications(ctx, "sam@example.org").first?.contains("masqué") == true)
            let seenByOthers = try await lea.get("/discussions/threads/\(thread.requireID())").html
            #expect(seenByOthers.contains("Message masqué") && !seenByOthers.contains("formations miracles"))
            #expect(try await spammer.get("/discussions/threads/\(thread.requireID())").html.contains("formations miracles"), "its author still reads it")

            // The queue: Lyon's ambassador sees it, Paris's does not and cannot act; members do not get in.
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            try await makeAmbassador(ctx, of: paris, email: "ambp@example.org", name: "Paul Paris")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            let other = ctx.browser()
            try await signIn(other, email: "ambp@example.org")
            let queue = try await ambassador.get("/moderation")
            #expect(queue.status == .ok && queue.html.contains("formations miracles") && queue.html.contains("1 signalement : spam"))
            #expect(!(try await other.get("/moderation").html.contains("formations miracles")))
            #expect(try await other.post("/moderation/posts/\(postID)", ["action": "restore", "reason": ""]).status == .forbidden)
            #expect(try await lea.get("/moderation").status == .forbidden)
            #expect(try await lea.post("/moderation/posts/\(postID)", ["action": "restore"]).status == .forbidden)

            // Deleting needs a reason; then "message deleted", the author told why, the log keeps it.
            let refused = try await ambassador.post("/moderation/posts/\(postID)", ["action": "delete", "reason": ""])
            #expect(refused.status == .unprocessableEntity && refused.html.contains("Ce champ est obligatoire"))
            #expect(try await ModerationEntry.query(on: ctx.db).filter(\.$action == .delete).count() == 0)
            #expect(try await ambassador.post("/moderation/posts/\(postID)", ["action": "delete", "reason": "Publicité"]).status == .seeOther)
            #expect(try await Post.find(postID, on: ctx.db)?.deletedAt != nil)
            #expect(try await notifications(ctx, "sam@example.org").contains { $0.contains("supprimé par un modérateur : Publicité") })
            #expect(try await PostReport.query(on: ctx.db).filter(\.$closedAt == nil).count() == 0)
            let log = try await ambassador.get("/moderation/log").html
            #expect(log.contains("Publicité") && log.contains("signalé par deux membres") && log.contains("Ambre Lyon"))
            #expect(!(try await other.get("/moderation/log").html.contains("Publicité")), "Paris's ambassador reads Paris's log only")

            // A moderator's own report hides at once; restoring shows it again.
            try await lea.post("/discussions/lyon/new", ["title": "Vif", "body": "Un ton un peu vif"])
            let lively = try #require(try await Post.query(on: ctx.db).filter(\.$body == "Un ton un peu vif").first())
            try await ambassador.post("/discussions/posts/\(lively.requireID())/report", ["reason": "inappropriate"])
            #expect(try await Post.find(lively.requireID(), on: ctx.db)?.hiddenAt != nil)
            #expect(try await ambassador.post("/moderation/posts/\(lively.requireID())", ["action": "restore", "reason": ""]).status == .seeOther)
            #expect(try await Post.find(lively.requireID(), on: ctx.db)?.hiddenAt == nil)
            #expect(try await marc.get("/discussions/lyon").status == .ok)
        }
    }

    @Test("A warned member is told; a suspended one reads but neither writes nor registers until the end of the suspension")
    func warnAndSuspend() async throws {
        try await withMaillon { ctx in
            let (lyon, sam, thread, post) = try await samsPromotion(ctx)
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            try await admin.post("/discussions/posts/\(post.requireID())/report", ["reason": "spam"])
            #expect(try await admin.post("/moderation/posts/\(post.requireID())", ["action": "warn", "reason": "Pas de publicité ici"]).status == .seeOther)
            #expect(try await notifications(ctx, "sam@example.org").contains { $0.contains("Pas de publicité ici") })
            let badDays = try await admin.post("/moderation/posts/\(post.requireID())", ["action": "suspend", "reason": "Récidive", "days": "0"])
            #expect(badDays.status == .unprocessableEntity)
            #expect(try await Suspension.query(on: ctx.db).count() == 0)
            #expect(try await admin.post("/moderation/posts/\(post.requireID())", ["action": "suspend", "reason": "Récidive", "days": "7"]).status == .seeOther)
            #expect(try await notifications(ctx, "sam@example.org").contains { $0.contains("suspendu jusqu") })

            #expect(try await sam.get("/discussions/threads/\(thread.requireID())").status == .ok, "reads")
            let refused = try await sam.post("/discussions/threads/\(thread.requireID())/reply", ["body": "Et encore"])
            #expect(refused.status == .forbidden && refused.html.contains("Compte suspendu"))
            #expect(try await sam.post("/discussions/lyon/new", ["title": "x", "body": "y"]).status == .forbidden)
            #expect(try await sam.post("/discussions/posts/\(post.requireID())/react", ["kind": "thanks"]).status == .forbidden)
            let event = try await makeEvent(ctx, chapter: lyon)
            let registration = try await sam.post("/events/\(event.requireID())/register", ["note": ""])
            #expect(registration.status == .forbidden)
            #expect(try await Registration.query(on: ctx.db).count() == 0)
            #expect(try await ModerationEntry.query(on: ctx.db).count() == 3, "hide, warn, suspend")

            ctx.time.advance(by: 8 * 86400)
            try await signIn(sam, email: "sam@example.org")
            #expect(try await sam.post("/discussions/threads/\(thread.requireID())/reply", ["body": "Promis, c'est fini"]).status == .seeOther)
        }
    }

    @Test("An admin lifts a suspension early, with a reason the member reads; not an ambassador, not a member; a reason is needed")
    func liftEarly() async throws {
        try await withMaillon { ctx in
            let (lyon, sam, thread, post) = try await samsPromotion(ctx)
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            #expect(try await ambassador.post("/moderation/posts/\(post.requireID())", ["action": "suspend", "reason": "Récidive", "days": "30"]).status == .seeOther)
            let suspension = try #require(try await Suspension.query(on: ctx.db).first())
            let lift = "/moderation/suspensions/\(try suspension.requireID())/lift"

            // The ambassador and members do not lift it (a suspension holds everywhere); nor do they see the list.
            #expect(!(try await ambassador.get("/moderation").html.contains(lift)))
            #expect(try await ambassador.post(lift, ["reason": "Erreur"]).status == .forbidden)
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            #expect(try await lea.post(lift, ["reason": "Erreur"]).status == .forbidden)
            #expect(try await sam.post(lift, ["reason": "Erreur"]).status == .forbidden)

            // The admin sees it running, with its end and reason; a reason is needed, the form keeps nothing half-done.
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            let queue = try await admin.get("/moderation").html
            #expect(queue.contains("Suspensions en cours") && queue.contains("Sam Spam") && queue.contains("Récidive") && queue.contains(lift))
            let missing = try await admin.post(lift, ["reason": "  "])
            let formID = "lift-\(try suspension.requireID())"
            #expect(missing.status == .unprocessableEntity && missing.html.contains(formID) && missing.html.contains("Ce champ est obligatoire"))
            let stillRunning = try await Suspension.find(suspension.requireID(), on: ctx.db)?.until
            #expect((stillRunning ?? .distantPast) > ctx.time.now())
            #expect(try await admin.post("/moderation/suspensions/\(UUID())/lift", ["reason": "x"]).status == .notFound)

            // In English too (the admin's language is theirs: set last in this test).
            #expect(try await admin.post("/language", ["locale": "en", "back": "/moderation"]).status == .seeOther)
            let inEnglish = try await admin.get("/moderation")
            #expect(inEnglish.status == .ok && inEnglish.html.contains("Suspensions in force") && inEnglish.html.contains("Lift the suspension now"))
            #expect(try await admin.post("/language", ["locale": "fr", "back": "/moderation"]).status == .seeOther)

            #expect(try await admin.post(lift, ["reason": "Malentendu, toutes nos excuses"]).status == .seeOther)
            #expect(try await admin.post(lift, ["reason": "Deux fois"]).status == .seeOther, "lifting again changes nothing")
            #expect(try await ModerationEntry.query(on: ctx.db).filter(\.$action == .lift).all().map(\.reason) == ["Malentendu, toutes nos excuses"])
            #expect(try await notifications(ctx, "sam@example.org").filter { $0.contains("suspension est levée") }.count == 1)
            #expect(!(try await admin.get("/moderation").html.contains(lift)), "no longer running")
            #expect(try await admin.get("/moderation/log").html.contains("suspension levée"))

            // Sam writes again at once, without waiting for the 30 days.
            try await signIn(sam, email: "sam@example.org")
            #expect(try await sam.post("/discussions/threads/\(thread.requireID())/reply", ["body": "Merci"]).status == .seeOther)
        }
    }

    @Test("A moderator hides a post with one report until deciding; a reason is needed")
    func moderatorHides() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let sam = try await member(ctx, "Sam Spam", "sam@example.org", lyon)
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            try await sam.post("/discussions/lyon/new", ["title": "Douteux", "body": "Un lien douteux"])
            let post = try #require(try await Post.query(on: ctx.db).first())
            try await lea.post("/discussions/posts/\(post.requireID())/report", ["reason": "spam"])
            #expect(try await Post.find(post.requireID(), on: ctx.db)?.hiddenAt == nil)
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            #expect(try await ambassador.post("/moderation/posts/\(post.requireID())", ["action": "hide", "reason": ""]).status == .unprocessableEntity)
            #expect(try await ambassador.post("/moderation/posts/\(post.requireID())", ["action": "hide", "reason": "Je vérifie le lien"]).status == .seeOther)
            #expect(try await Post.find(post.requireID(), on: ctx.db)?.hiddenAt != nil)
            #expect(try await notifications(ctx, "sam@example.org").contains { $0.contains("masqué") })
            #expect(try await ModerationEntry.query(on: ctx.db).filter(\.$action == .hide).first()?.reason == "Je vérifie le lien")
        }
    }

    @Test("A direct message is reported by a member of its conversation; the admins (not the ambassadors) review it")
    func reportedMessages() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let zoe = try await member(ctx, "Zoé Rude", "zoe@example.org", lyon)
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            let marc = try await member(ctx, "Marc Lyon", "marc@example.org", lyon)
            let leaUser = try #require(try await User.query(on: ctx.db).filter(\.$email == "lea@example.org").first())
            try await zoe.post("/messages/new", ["to": try leaUser.requireID().uuidString, "body": "Tu es nulle"])
            let conversation = try #require(try await Conversation.query(on: ctx.db).first())
            let message = try #require(try await DirectMessage.query(on: ctx.db).first())
            let path = "/messages/\(try conversation.requireID())/report/\(try message.requireID())"
            #expect(try await lea.get("/messages/\(try conversation.requireID())").html.contains(path))
            #expect(try await marc.get(path).status == .forbidden, "not his conversation")
            #expect(try await lea.post(path, ["reason": ""]).status == .unprocessableEntity)
            try await zoe.post(path, ["reason": "spam"])
            #expect(try await MessageReport.query(on: ctx.db).count() == 0, "one does not report oneself")
            #expect(try await lea.post(path, ["reason": "inappropriate"]).status == .seeOther)
            #expect(try await MessageReport.query(on: ctx.db).count() == 1)

            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            #expect(!(try await ambassador.get("/moderation").html.contains("Tu es nulle")))
            #expect(try await ambassador.post("/moderation/messages/\(try message.requireID())", ["action": "delete", "reason": "x"]).status == .forbidden)
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            #expect(try await admin.get("/moderation").html.contains("Tu es nulle"))
            #expect(try await admin.post("/moderation/messages/\(try message.requireID())", ["action": "delete", "reason": ""]).status == .unprocessableEntity)
            #expect(try await admin.post("/moderation/messages/\(try message.requireID())", ["action": "delete", "reason": "Propos insultants"]).status == .seeOther)
            #expect(try await DirectMessage.query(on: ctx.db).count() == 0)
            #expect(try await notifications(ctx, "zoe@example.org").contains { $0.contains("Propos insultants") })
            #expect(try await admin.get("/moderation/log").html.contains("Propos insultants"))
        }
    }

    @Test("Moderation pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let sam = try await member(ctx, "Sam Spam", "sam@example.org", lyon)
            try await sam.post("/discussions/lyon/new", ["title": "Promo", "body": "Promo"])
            let post = try #require(try await Post.query(on: ctx.db).first())
            let (_, admin) = try await signedInBrowser(ctx, role: .admin, locale: language == "fr" ? .fr : .en)
            try await admin.post("/discussions/posts/\(post.requireID())/report", ["reason": "spam"])
            for path in ["/moderation", "/moderation/log", "/discussions/posts/\(try post.requireID())/report", "/discussions"] {
                let page = try await admin.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.html.range(of: #"(moderation|discussion)\.[a-z_]+"#, options: .regularExpression) == nil, "\(path)")
            }
        }
    }
}
