import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

/// A member, signed in, with their account.
private func member(_ ctx: TestContext, _ name: String, _ email: String) async throws -> (User, TestBrowser) {
    let user = try await makeMember(ctx, name, email: email, chapter: nil, headline: "Freelance")
    let browser = ctx.browser()
    try await signIn(browser, email: email)
    return (user, browser)
}

@Suite("Direct messages")
struct MessagesTests {
    @Test("A member writes to another from their profile, never seeing an address; unread counter; only the conversation's members read it")
    func conversation() async throws {
        try await withMaillon { ctx in
            let (_, lea) = try await member(ctx, "Léa Martin", "lea@example.org")
            let (marc, marcBrowser) = try await member(ctx, "Marc Durand", "marc@example.org")
            let (_, zoe) = try await member(ctx, "Zoé Petit", "zoe@example.org")
            ctx.time.advance(by: 40 * 86400)
            for (browser, email) in [(lea, "lea@example.org"), (marcBrowser, "marc@example.org"), (zoe, "zoe@example.org")] { try await signIn(browser, email: email) }
            let profile = try await lea.get("/members/\(marc.requireID())")
            #expect(profile.html.contains("/messages/new?to=\(try marc.requireID())") && !profile.html.contains("marc@example.org"))
            let form = try await lea.get("/messages/new?to=\(try marc.requireID())")
            #expect(form.status == .ok && form.html.contains("Écrire à Marc Durand") && !form.html.contains("marc@example.org"))
            let empty = try await lea.post("/messages/new", ["to": try marc.requireID().uuidString, "body": " "])
            #expect(empty.status == .unprocessableEntity)
            #expect(try await Conversation.query(on: ctx.db).count() == 0)
            let sent = try await lea.post("/messages/new", ["to": try marc.requireID().uuidString, "body": "Bonjour Marc, un café ?"])
            #expect(sent.status == .seeOther)
            let conversation = try #require(try await Conversation.query(on: ctx.db).first())
            let path = "/messages/\(try conversation.requireID())"
            #expect(ctx.mailer.messages(to: "marc@example.org").contains { $0.text.contains("Léa Martin vous a écrit") && !$0.text.contains("lea@example.org") })
            #expect(try await marcBrowser.get("/messages").html.contains("badge-count\">1<"))
            let read = try await marcBrowser.get(path)
            #expect(read.status == .ok && read.html.contains("un café ?") && !read.html.contains("lea@example.org"))
            #expect(!(try await marcBrowser.get("/messages").html.contains("badge-count\">1<")), "read")
            #expect(try await marcBrowser.post(path, ["body": "Avec plaisir"]).status == .seeOther)
            #expect(try await lea.get(path).html.contains("Avec plaisir"))
            // Others cannot read nor write; visitors sign in; non-members do not get in.
            #expect(try await zoe.get(path).status == .forbidden)
            #expect(try await zoe.post(path, ["body": "Intrus"]).status == .forbidden)
            #expect(try await zoe.post(path + "/leave").status == .forbidden)
            #expect(try await ctx.browser().get("/messages").status == .seeOther)
            let applicant = try await secondBrowser(ctx, email: "candidate@example.org", role: .applicant)
            #expect(try await applicant.get("/messages").status == .forbidden)
            #expect(try await applicant.post("/messages/new", ["to": try marc.requireID().uuidString, "body": "x"]).status == .forbidden)
            #expect(try await lea.get("/messages/\(UUID())").status == .notFound)
            #expect(try await DirectMessage.query(on: ctx.db).count() == 2)
        }
    }

    @Test("Groups of up to eight by handle; refusing messages and blocking stop new conversations alike; a block is never told")
    func groupsRefusalsAndBlocks() async throws {
        try await withMaillon { ctx in
            ctx.time.advance(by: 0)
            var people: [User] = []
            for index in 0..<9 { people.append(try await makeMember(ctx, "Membre \(index)", email: "m\(index)@example.org", chapter: nil, headline: "x")) }
            ctx.time.advance(by: 40 * 86400)
            let writer = ctx.browser()
            try await signIn(writer, email: "m0@example.org")
            let handles = people.dropFirst().map { "@" + ($0.handle ?? "") }
            let tooMany = try await writer.post("/messages/new", ["others": handles.joined(separator: ", "), "body": "Tous ensemble"])
            #expect(tooMany.status == .unprocessableEntity && tooMany.html.contains("Huit personnes au plus"))
            #expect(try await writer.post("/messages/new", ["others": handles.prefix(7).joined(separator: ", "), "body": "À huit"]).status == .seeOther)
            #expect(try await ConversationMember.query(on: ctx.db).count() == 8)

            // Marc (m1) refuses messages; Zoé (m2) blocks the writer: the writer reads the same words for both.
            let marc = ctx.browser()
            try await signIn(marc, email: "m1@example.org")
            try await marc.post("/messages/settings", ["accepts": ""])
            let zoe = ctx.browser()
            try await signIn(zoe, email: "m2@example.org")
            #expect(try await zoe.post("/members/\(people[0].requireID())/block").status == .seeOther)
            let refused = try await writer.post("/messages/new", ["to": people[1].requireID().uuidString, "body": "Coucou"])
            let blocked = try await writer.post("/messages/new", ["to": people[2].requireID().uuidString, "body": "Coucou"])
            #expect(refused.status == .unprocessableEntity && blocked.status == .unprocessableEntity)
            #expect(refused.html.contains("ne reçoit pas de messages privés") && blocked.html.contains("ne reçoit pas de messages privés"))
            #expect(!(try await writer.get("/members/\(people[1].requireID())").html.contains("/messages/new?to=")), "no button when messages are refused")
            // Either way: the one who blocked cannot start a conversation with the one they blocked either (and is told why).
            let back = try await zoe.post("/messages/new", ["to": people[0].requireID().uuidString, "body": "Finalement…"])
            #expect(back.status == .unprocessableEntity && back.html.contains("Vous avez bloqué ce membre"))

            // In the group, the writer still writes; Zoé sees nothing of it and is not told; the others are.
            let group = try #require(try await Conversation.query(on: ctx.db).first())
            let before = try await AppNotification.query(on: ctx.db).filter(\.$kind == "direct_message").filter(\.$user.$id == people[2].requireID()).count()
            #expect(try await writer.post("/messages/\(group.requireID())", ["body": "Message après le blocage"]).status == .seeOther)
            #expect(try await AppNotification.query(on: ctx.db).filter(\.$kind == "direct_message").filter(\.$user.$id == people[2].requireID()).count() == before)
            #expect(!(try await zoe.get("/messages/\(group.requireID())").html.contains("Message après le blocage")))
            #expect(try await marc.get("/messages/\(group.requireID())").html.contains("Message après le blocage"))
            // Unblocking from the settings.
            try await zoe.post("/messages/settings", ["accepts": "yes", "unblock_\(try people[0].requireID().uuidString)": "yes"])
            #expect(try await MemberBlock.query(on: ctx.db).count() == 0)
        }
    }

    @Test("New members start at most five conversations a day, even all at once, on either database")
    func newMemberCap() async throws {
        try await withMaillon { ctx in
            var people: [User] = []
            for index in 0..<9 { people.append(try await makeMember(ctx, "Membre \(index)", email: "m\(index)@example.org", chapter: nil, headline: "x")) }
            let newcomer = ctx.browser()
            try await signIn(newcomer, email: "m0@example.org")
            try await withThrowingTaskGroup(of: UInt.self) { group in
                for person in people.dropFirst() {
                    group.addTask { try await newcomer.post("/messages/new", ["to": person.requireID().uuidString, "body": "Bonjour"]).status.code }
                }
                var codes: [UInt] = []
                for try await code in group { codes.append(code) }
                #expect(codes.filter { $0 == 303 }.count == 5 && codes.filter { $0 == 429 }.count == 3, "\(codes)")
            }
            #expect(try await Conversation.query(on: ctx.db).count() == 5)
            ctx.time.advance(by: 86400 + 60)
            try await signIn(newcomer, email: "m0@example.org")
            #expect(try await newcomer.post("/messages/new", ["to": people[8].requireID().uuidString, "body": "Le lendemain"]).status == .seeOther)
        }
    }

    @Test("A member's messages are in their export; erased, their side goes and the others' stays")
    func exportAndErase() async throws {
        try await withMaillon { ctx in
            let (_, lea) = try await member(ctx, "Léa Effacée", "lea@example.org")
            let (marc, marcBrowser) = try await member(ctx, "Marc Durand", "marc@example.org")
            try await lea.post("/messages/new", ["to": try marc.requireID().uuidString, "body": "Mon numéro est le 06 12 34 56 78"])
            let conversation = try #require(try await Conversation.query(on: ctx.db).first())
            try await marcBrowser.post("/messages/\(conversation.requireID())", ["body": "Bien reçu"])
            await ctx.runJobs()
            let export = try await lea.get("/account/export")
            #expect(export.body.string.contains("06 12 34 56 78"))
            try await lea.get("/account/delete")
            #expect(try await lea.post("/account/delete", ["current_password": goodPassword, "confirm": "SUPPRIMER"]).status == .seeOther)
            await ctx.runJobs()
            #expect(try await DirectMessage.query(on: ctx.db).count() == 1)
            #expect(try await marcBrowser.get("/messages/\(conversation.requireID())").html.contains("Bien reçu"))
            let stored = try await everyStoredValue(ctx.db)
            for trace in ["Léa Effacée", "lea@example.org", "06 12 34 56 78"] {
                #expect(!stored.contains { $0.localizedCaseInsensitiveContains(trace) }, "\(trace) remains")
            }
        }
    }

    @Test("Message pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin, locale: language == "fr" ? .fr : .en)
            let marc = try await makeMember(ctx, "Marc Durand", email: "marc@example.org", chapter: nil, headline: "x")
            try await admin.post("/messages/new", ["to": try marc.requireID().uuidString, "body": "Bonjour"])
            try await admin.post("/members/\(try marc.requireID())/block")
            let conversation = try #require(try await Conversation.query(on: ctx.db).first())
            for path in ["/messages", "/messages/new?to=\(try marc.requireID())", "/messages/settings", "/messages/\(try conversation.requireID())",
                         "/members/\(try marc.requireID())"] {
                let page = try await admin.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.html.range(of: #"(messages|nav|profile)\.[a-z_]+"#, options: .regularExpression) == nil, "\(path)")
            }
        }
    }
}
