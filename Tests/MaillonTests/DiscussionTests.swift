import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

/// The thread whose title is `title`.
private func thread(_ ctx: TestContext, _ title: String) async throws -> DiscussionThread {
    try #require(try await DiscussionThread.query(on: ctx.db).filter(\.$title == title).first())
}

private func posts(_ ctx: TestContext, _ thread: DiscussionThread) async throws -> [Post] {
    try await Post.query(on: ctx.db).filter(\.$thread.$id == thread.requireID()).sort(\.$createdAt).sort(\.$id).all()
}

@Suite("Discussions")
struct DiscussionTests {
    @Test("Each chapter has its space, for its members, ambassadors and admins; theme spaces are any member's to join; nothing is public")
    func spacesAndWhoReadsThem() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let bordeaux = try await makeChapter(ctx, "Bordeaux")
            #expect(try await Space.query(on: ctx.db).count() == 2, "a space per chapter, made with it")
            let (_, admin) = try await signedInBrowser(ctx, role: .admin)
            let refused = try await admin.post("/admin/spaces", ["name": "", "description": "Prix, devis, négociation"])
            #expect(refused.status == .unprocessableEntity && refused.html.contains("Prix, devis, négociation"))
            #expect(try await admin.post("/admin/spaces", ["name": "Tarifs et négociation", "description": "Prix, devis, négociation"]).status == .seeOther)
            let theme = try #require(try await Space.query(on: ctx.db).filter(\.$chapter.$id == nil).first())

            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            let bruno = try await member(ctx, "Bruno Bordeaux", "bruno@example.org", bordeaux)
            let spaces = try await lea.get("/discussions")
            #expect(spaces.status == .ok && spaces.html.contains("/discussions/lyon") && !spaces.html.contains("/discussions/bordeaux"))
            #expect(spaces.html.contains("/discussions/\(theme.slug)/membership"), "a theme space to join")
            #expect(try await lea.post("/discussions/lyon/new", ["title": "Devis", "body": "Combien facturer ?"]).status == .seeOther)
            let devis = try await thread(ctx, "Devis")

            // Another chapter's space, its threads and posts are closed to Bruno; the theme space is open.
            #expect(try await bruno.get("/discussions/lyon").status == .forbidden)
            #expect(try await bruno.get("/discussions/threads/\(devis.requireID())").status == .forbidden)
            #expect(try await bruno.post("/discussions/threads/\(devis.requireID())/reply", ["body": "Intrus"]).status == .forbidden)
            #expect(try await bruno.post("/discussions/lyon/new", ["title": "Intrus", "body": "x"]).status == .forbidden)
            let firstPost = try #require(try await posts(ctx, devis).first)
            for action in ["react", "accept", "delete", "edit"] {
                #expect(try await bruno.post("/discussions/posts/\(firstPost.requireID())/\(action)", ["kind": "thanks", "body": "x"]).status == .forbidden, "\(action)")
            }
            #expect(try await bruno.get("/discussions/posts/\(firstPost.requireID())").status == .forbidden)
            #expect(try await bruno.post("/discussions/\(theme.slug)/membership", ["action": "join"]).status == .seeOther)
            #expect(try await bruno.get("/discussions").html.contains("Tarifs et négociation"))
            #expect(try await bruno.post("/discussions/\(theme.slug)/new", ["title": "Mon TJM", "body": "450 € ?"]).status == .seeOther)
            #expect(try await lea.get("/discussions/\(theme.slug)").html.contains("Mon TJM"))
            // The ambassador of Lyon and the admins read Lyon's space.
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            #expect(try await ambassador.get("/discussions/threads/\(devis.requireID())").status == .ok)
            #expect(try await admin.get("/discussions/threads/\(devis.requireID())").status == .ok)
            // Visitors, applicants, organisations and guests do not get in; members make theme spaces only through admins.
            #expect(try await ctx.browser().get("/discussions").status == .seeOther)
            #expect(try await ctx.browser().get("/discussions/lyon").status == .seeOther)
            for role in [Role.applicant, .organisationContact, .guest] {
                let outsider = try await secondBrowser(ctx, email: "\(role.rawValue)@example.org", role: role)
                #expect(try await outsider.get("/discussions").status == .forbidden)
                #expect(try await outsider.get("/discussions/\(theme.slug)").status == .forbidden)
            }
            #expect(try await lea.post("/admin/spaces", ["name": "Pirate", "description": "x"]).status == .forbidden)
            #expect(try await lea.get("/discussions/nope").status == .notFound)
            #expect(try await lea.get("/discussions/threads/\(UUID())").status == .notFound)
            #expect(try await lea.get("/discussions/threads/pas-un-id").status == .notFound)
        }
    }

    @Test("A thread: bad input kept; replies quote; the author edits and deletes (\"message deleted\" stays); reactions toggle; raw HTML is text")
    func threadLife() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            let marc = try await member(ctx, "Marc Lyon", "marc@example.org", lyon)
            let refused = try await lea.post("/discussions/lyon/new", ["title": "", "body": "Mon **texte** gardé"])
            #expect(refused.status == .unprocessableEntity && refused.html.contains("Mon **texte** gardé"))
            #expect(try await DiscussionThread.query(on: ctx.db).count() == 0, "nothing half-written")
            #expect(try await Post.query(on: ctx.db).count() == 0)
            let tooLong = String(repeating: "é", count: PostText.maximumLength + 1)
            #expect(try await lea.post("/discussions/lyon/new", ["title": "Long", "body": tooLong]).status == .unprocessableEntity)

            try await lea.post("/discussions/lyon/new", ["title": "Outils de facturation", "body": "Vous utilisez quoi ? <script>alert(1)</script>"])
            let subject = try await thread(ctx, "Outils de facturation")
            let threadID = try subject.requireID()
            let first = try #require(try await posts(ctx, subject).first)
            let page = try await marc.get("/discussions/threads/\(threadID)")
            #expect(page.status == .ok && page.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !page.html.contains("<script>alert(1)"))

            let emptyReply = try await marc.post("/discussions/threads/\(threadID)/reply", ["body": "   "])
            #expect(emptyReply.status == .unprocessableEntity)
            ctx.time.advance(by: 60)
            let replied = try await marc.post("/discussions/threads/\(threadID)/reply", ["body": "Un tableur, *franchement*.", "quote": first.requireID().uuidString])
            #expect(replied.status == .seeOther && replied.location?.hasPrefix("/discussions/posts/") == true)
            let located = try await marc.get(replied.location ?? "")
            #expect(located.location?.hasPrefix("/discussions/threads/\(threadID)#post-") == true)
            let reply = try #require(try await posts(ctx, subject).last)
            #expect(reply.quoteID == first.id)
            let shown = try await lea.get("/discussions/threads/\(threadID)").html
            #expect(shown.contains("<em>franchement</em>") && shown.contains("Léa Lyon a écrit"))
            // A quote must come from the same thread.
            try await lea.post("/discussions/lyon/new", ["title": "Autre", "body": "Ailleurs"])
            let elsewhere = try #require(try await posts(ctx, try await thread(ctx, "Autre")).first)
            #expect(try await marc.post("/discussions/threads/\(threadID)/reply", ["body": "x", "quote": elsewhere.requireID().uuidString]).status == .unprocessableEntity)

            // Only the author edits; the edit shows.
            #expect(try await lea.post("/discussions/posts/\(reply.requireID())/edit", ["body": "Piraté"]).status == .forbidden)
            #expect(try await marc.post("/discussions/posts/\(reply.requireID())/edit", ["body": ""]).status == .unprocessableEntity)
            #expect(try await marc.post("/discussions/posts/\(reply.requireID())/edit", ["body": "Un tableur, puis un logiciel."]).status == .seeOther)
            #expect(try await lea.get("/discussions/threads/\(threadID)").html.contains("modifié"))

            // Reactions: one of each kind per member, a second click takes it back.
            try await lea.post("/discussions/posts/\(reply.requireID())/react", ["kind": "thanks"])
            try await marc.post("/discussions/posts/\(reply.requireID())/react", ["kind": "thanks"])
            try await lea.post("/discussions/posts/\(reply.requireID())/react", ["kind": "helpful"])
            #expect(try await PostReaction.query(on: ctx.db).count() == 3)
            try await lea.post("/discussions/posts/\(reply.requireID())/react", ["kind": "thanks"])
            #expect(try await PostReaction.query(on: ctx.db).filter(\.$kind == .thanks).count() == 1)
            #expect(try await lea.post("/discussions/posts/\(reply.requireID())/react", ["kind": "love"]).status == .badRequest)

            // Deleting the quoted first post leaves "message deleted"; the reply still reads.
            #expect(try await marc.post("/discussions/posts/\(first.requireID())/delete").status == .forbidden, "not his")
            #expect(try await lea.post("/discussions/posts/\(first.requireID())/delete").status == .seeOther)
            let after = try await marc.get("/discussions/threads/\(threadID)").html
            #expect(after.contains("Message supprimé") && !after.contains("Vous utilisez quoi") && after.contains("Un tableur, puis un logiciel."))
            #expect(try await Post.query(on: ctx.db).filter(\.$thread.$id == threadID).count() == 2)
        }
    }

    @Test("Followers hear of replies (not when muted, not of their own); unread markers; the ambassador moderates their chapter's space only")
    func followingUnreadAndModeration() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let paris = try await makeChapter(ctx, "Paris")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            let marc = try await member(ctx, "Marc Lyon", "marc@example.org", lyon)
            let zoe = try await member(ctx, "Zoé Lyon", "zoe@example.org", lyon)
            ctx.time.advance(by: 60)
            try await lea.post("/discussions/lyon/new", ["title": "Coworking", "body": "Qui vient jeudi ?"])
            let subject = try await thread(ctx, "Coworking")
            let threadID = try subject.requireID()
            #expect(try await zoe.get("/discussions/lyon").html.contains("nouveau"), "unread for Zoé")
            try await zoe.post("/discussions/threads/\(threadID)/follow", ["following": "muted"])
            ctx.time.advance(by: 60)
            try await marc.post("/discussions/threads/\(threadID)/reply", ["body": "Moi !"])
            let notified = try await AppNotification.query(on: ctx.db).filter(\.$kind == "discussion_reply").all()
            #expect(notified.map { $0.$user.id } == [try await User.query(on: ctx.db).filter(\.$email == "lea@example.org").first()?.id])
            #expect(notified.first?.text(Translator(catalogue: ctx.app.maillon.catalogue, locale: .fr)) == "Marc Lyon a répondu dans « Coworking »")
            // Marc now follows: Léa's answer reaches him, not her.
            ctx.time.advance(by: 60)
            try await lea.post("/discussions/threads/\(threadID)/reply", ["body": "Super"])
            #expect(try await AppNotification.query(on: ctx.db).filter(\.$kind == "discussion_reply").count() == 2)
            #expect(try await lea.get("/discussions/lyon").html.contains("nouveau") == false, "read by its author")
            #expect(try await zoe.post("/discussions/threads/\(threadID)/follow", ["following": "sideways"]).status == .badRequest)

            // Moderation: Lyon's ambassador deletes in Lyon's space, not in Paris's; a member deletes only their own.
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let ambassador = ctx.browser()
            try await signIn(ambassador, email: "amb@example.org")
            let marcPost = try #require(try await posts(ctx, subject).dropFirst().first)
            #expect(try await zoe.post("/discussions/posts/\(marcPost.requireID())/delete").status == .forbidden)
            #expect(try await ambassador.post("/discussions/posts/\(marcPost.requireID())/delete").status == .seeOther)
            #expect(try await Post.find(marcPost.requireID(), on: ctx.db)?.deletedAt != nil)
            let pierre = try await member(ctx, "Pierre Paris", "pierre@example.org", paris)
            try await pierre.post("/discussions/paris/new", ["title": "Paris", "body": "Bonjour"])
            let parisPost = try #require(try await posts(ctx, try await thread(ctx, "Paris")).first)
            #expect(try await ambassador.post("/discussions/posts/\(parisPost.requireID())/delete").status == .forbidden)
        }
    }

    @Test("A help request: only its author marks a reply (not the question) as the answer; filters; parallel marks leave one answer")
    func helpRequests() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            let marc = try await member(ctx, "Marc Lyon", "marc@example.org", lyon)
            try await lea.post("/discussions/lyon/new", ["title": "Relire mon devis", "body": "Quelqu'un peut relire ?", "help": "yes"])
            try await lea.post("/discussions/lyon/new", ["title": "Simple discussion", "body": "Bonjour"])
            let request = try await thread(ctx, "Relire mon devis")
            let requestID = try request.requireID()
            #expect(request.isHelpRequest && !request.isResolved)
            var replies: [Post] = []
            for text in ["Envoie-le", "Ajoute un acompte", "Précise la TVA"] {
                ctx.time.advance(by: 60)
                try await marc.post("/discussions/threads/\(requestID)/reply", ["body": text])
            }
            replies = Array(try await posts(ctx, request).dropFirst())
            let question = try #require(try await posts(ctx, request).first)
            #expect(try await lea.get("/discussions/lyon?filter=unanswered").html.contains("Relire mon devis"))
            #expect(!(try await lea.get("/discussions/lyon?filter=help").html.contains("Simple discussion")))

            #expect(try await marc.post("/discussions/posts/\(replies[0].requireID())/accept").status == .forbidden, "not his request")
            try await lea.post("/discussions/posts/\(question.requireID())/accept")
            #expect(try await DiscussionThread.find(requestID, on: ctx.db)?.answerPostID == nil, "the question is not its own answer")
            let simple = try #require(try await posts(ctx, try await thread(ctx, "Simple discussion")).first)
            try await lea.post("/discussions/posts/\(simple.requireID())/accept")
            #expect(try await DiscussionThread.query(on: ctx.db).filter(\.$answerPostID != nil).count() == 0)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for reply in replies { group.addTask { _ = try await lea.post("/discussions/posts/\(reply.requireID())/accept") } }
                try await group.waitForAll()
            }
            let resolved = try #require(try await DiscussionThread.find(requestID, on: ctx.db))
            #expect(resolved.isResolved && replies.compactMap(\.id).contains(resolved.answerPostID ?? UUID()))
            #expect(try await lea.get("/discussions/lyon?filter=resolved").html.contains("Relire mon devis"))
            #expect(!(try await lea.get("/discussions/lyon?filter=unanswered").html.contains("Relire mon devis")))
            #expect(try await lea.get("/discussions/threads/\(requestID)").html.contains("Réponse acceptée"))
        }
    }

    @Test("A help request unanswered after 48 hours reaches its chapter's ambassadors and the members with its skills, once; the digest lists what one missed and could answer")
    func unansweredHelpRequests() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let bordeaux = try await makeChapter(ctx, "Bordeaux")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Ambre Lyon")
            let juriste = try await makeMember(ctx, "Julie Juriste", email: "julie@example.org", chapter: lyon, headline: "Juriste", skills: ["Droit des contrats"])
            try await makeMember(ctx, "Bob Juriste", email: "bob@example.org", chapter: bordeaux, headline: "Juriste", skills: ["Droit des contrats"])
            try await makeMember(ctx, "Paul Graphiste", email: "paul@example.org", chapter: lyon, headline: "Graphiste", skills: ["Illustration"])
            let tooMany = try await lea.post("/discussions/lyon/new", ["title": "x", "body": "y", "help": "yes", "tags": "a, b, c, d, e, f"])
            #expect(tooMany.status == .unprocessableEntity && tooMany.html.contains("5 compétences au plus"))
            try await lea.post("/discussions/lyon/new", ["title": "Clause de non-concurrence", "body": "Est-ce légal ?", "help": "yes", "tags": "Droit des contrats"])
            try await lea.post("/discussions/lyon/new", ["title": "Déjà aidée", "body": "Merci d'avance", "help": "yes", "tags": "Droit des contrats"])
            let helped = try await thread(ctx, "Déjà aidée")
            let julie = ctx.browser()
            try await signIn(julie, email: "julie@example.org")
            try await julie.post("/discussions/threads/\(helped.requireID())/reply", ["body": "Voici"])
            func told() async throws -> [String] {
                let ids = try await AppNotification.query(on: ctx.db).filter(\.$kind == "help_request").all().map { $0.$user.id }
                return try await User.query(on: ctx.db).filter(\.$id ~~ ids).all().map(\.email).sorted()
            }
            let job = HelpRequestsJob()
            try await job.run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            #expect(try await told().isEmpty, "not before 48 hours")
            ctx.time.advance(by: 49 * 3600)
            try await job.run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            try await job.run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            #expect(try await told() == ["amb@example.org", "julie@example.org"], "the ambassador and Lyon's member with the skill, once; not Bordeaux's, not the answered one")

            // Julie's digest: the help request she could answer, and the discussion she missed.
            try await SendDigestJob(userID: juriste.requireID(), weekStart: ctx.time.now().addingTimeInterval(-7 * 86400)).run(
                JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            await ctx.runJobs()
            let digest = try #require(ctx.mailer.messages(to: "julie@example.org").last)
            #expect(digest.text.contains("Les demandes d'aide auxquelles vous pourriez répondre") && digest.text.contains("Clause de non-concurrence"))
            #expect(digest.text.contains("Les discussions que vous avez manquées"))
        }
    }

    @Test("A mention links to the member and tells them, when they can read the space; others are not told")
    func mentions() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let bordeaux = try await makeChapter(ctx, "Bordeaux")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            let marc = try await makeMember(ctx, "Marc Lyon", email: "marc@example.org", chapter: lyon, headline: "x")
            let bruno = try await makeMember(ctx, "Bruno Bordeaux", email: "bruno@example.org", chapter: bordeaux, headline: "x")
            let marcHandle = try #require(marc.handle), brunoHandle = try #require(bruno.handle)
            #expect(marcHandle.hasPrefix("marc-lyon-"))
            #expect(try await lea.get("/members/\(marc.requireID())").html.contains("@\(marcHandle)"))
            try await lea.post("/discussions/lyon/new", ["title": "Atelier", "body": "Tu viens @\(marcHandle) ? Et toi @\(brunoHandle), @personne-0000 ?"])
            let told = try await AppNotification.query(on: ctx.db).filter(\.$kind == "discussion_mention").all().map { $0.$user.id }
            #expect(told == [marc.id], "Bruno cannot read Lyon's space; nobody else exists")
            #expect(ctx.mailer.messages(to: "marc@example.org").contains { $0.subject.contains("on vous a mentionné") && $0.text.contains("Léa Lyon vous a mentionné") })
            let subject = try await thread(ctx, "Atelier")
            let page = try await lea.get("/discussions/threads/\(subject.requireID())").html
            #expect(page.contains("<a href=\"/members/\(try marc.requireID())\" class=\"mention\">@\(marcHandle)</a>"))
        }
    }

    @Test("Search finds posts and titles accent-insensitively, in one's own spaces only, by space and help status; deleted posts leave it")
    func search() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let bordeaux = try await makeChapter(ctx, "Bordeaux")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            let bruno = try await member(ctx, "Bruno Bordeaux", "bruno@example.org", bordeaux)
            try await lea.post("/discussions/lyon/new", ["title": "Équipe pour un appel d'offres", "body": "Qui monte une équipe ?", "help": "yes"])
            try await lea.post("/discussions/lyon/new", ["title": "Facturation", "body": "Mon logiciel de facturation préféré"])
            try await bruno.post("/discussions/bordeaux/new", ["title": "Équipe bordelaise", "body": "Une equipe à Bordeaux"])
            func found(_ browser: TestBrowser, _ query: String) async throws -> String {
                let page = try await browser.get("/discussions/search?\(query)")
                #expect(page.status == .ok)
                return page.html
            }
            let accents = try await found(lea, "q=EQUIPE")
            #expect(accents.contains("Équipe pour un appel d") && !accents.contains("Équipe bordelaise"), "accents and case aside; Bordeaux's space is not Léa's")
            #expect(try await found(lea, "q=appel+offres").contains("2 messages trouvés") == false)
            #expect(try await found(lea, "q=factur").contains("Facturation"), "a prefix matches")
            #expect(!(try await found(lea, "q=equipe&status=resolved").contains("Équipe pour")))
            #expect(try await found(lea, "q=equipe&status=open").contains("Équipe pour"))
            #expect(!(try await found(lea, "q=equipe&space=bordeaux").contains("Équipe bordelaise")), "a space one does not read is ignored")
            #expect(try await found(bruno, "q=equipe").contains("Équipe bordelaise"))
            let facturation = try #require(try await Post.query(on: ctx.db).filter(\.$body == "Mon logiciel de facturation préféré").first())
            try await lea.post("/discussions/posts/\(facturation.requireID())/delete")
            #expect(!(try await found(lea, "q=logiciel").contains("Facturation")))
            #expect(try await found(lea, "q=%3Cscript%3E").contains("&lt;script&gt;"), "the query is shown escaped")
            #expect(try await found(lea, "q=" + String(repeating: "a", count: 300)).contains("trouvé") == false, "an overlong query is dropped")
        }
    }

    @Test("Under parallel requests: one reaction of a kind per member, counts match the rows, replies all counted, on either database")
    func parallelInvariants() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            try await lea.post("/discussions/lyon/new", ["title": "Course", "body": "Prêts ?"])
            let subject = try await thread(ctx, "Course")
            let threadID = try subject.requireID()
            let first = try #require(try await posts(ctx, subject).first)
            var members: [TestBrowser] = []
            for index in 0..<8 { members.append(try await member(ctx, "Membre \(index)", "m\(index)@example.org", lyon)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for browser in members {
                    group.addTask { _ = try await browser.post("/discussions/threads/\(threadID)/reply", ["body": "Partant"]) }
                    group.addTask { _ = try await browser.post("/discussions/posts/\(first.requireID())/react", ["kind": "celebrate"]) }
                }
                // The same member's double click: one reaction, or none if the second took it back.
                for _ in 0..<4 { group.addTask { _ = try await lea.post("/discussions/posts/\(first.requireID())/react", ["kind": "agree"]) } }
                try await group.waitForAll()
            }
            #expect(try await PostReaction.query(on: ctx.db).filter(\.$kind == .celebrate).count() == 8)
            #expect(try await PostReaction.query(on: ctx.db).filter(\.$kind == .agree).count() <= 1)
            let counted = try #require(try await DiscussionThread.find(threadID, on: ctx.db))
            #expect(counted.replyCount == 8)
            #expect(try await Post.query(on: ctx.db).filter(\.$thread.$id == threadID).count() == 9)
            let page = try await lea.get("/discussions/threads/\(threadID)")
            #expect(page.html.contains("Bravo <span class=\"count\">8</span>"))
        }
    }

    @Test("A thread page and the spaces list make the same number of queries for 3 posts as for 300, on every page")
    func flatQueries() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let lea = try await member(ctx, "Léa Lyon", "lea@example.org", lyon)
            try await lea.post("/discussions/lyon/new", ["title": "Petit", "body": "Un"])
            try await lea.post("/discussions/lyon/new", ["title": "Grand", "body": "Un"])
            let small = try await thread(ctx, "Petit"), large = try await thread(ctx, "Grand")
            var authors: [User] = []
            for index in 0..<6 { authors.append(try await makeMember(ctx, "Auteur \(index)", email: "a\(index)@example.org", chapter: lyon, headline: "x")) }
            for index in 0..<300 {
                let target = index < 2 ? small : large
                let author = authors[index % authors.count]
                let post = try await ctx.db.transaction { db in
                    try await Discussing(application: ctx.app, database: db, now: ctx.time.now()).reply(to: target, by: author, body: "Réponse \(index)", quoting: nil)
                }
                if index % 3 == 0 {
                    try await ctx.db.transaction { db in try await Discussing(application: ctx.app, database: db, now: ctx.time.now()).toggle(.thanks, on: post, by: author) }
                }
            }
            ctx.app.logger.logLevel = .trace
            func queries(_ path: String) async throws -> Int {
                let response = try await lea.get(path)
                #expect(response.status == .ok)
                let id = try #require(response.headers.first(name: .xRequestId))
                return TestLogs.selects(of: id)
            }
            let few = try await queries("/discussions/threads/\(small.requireID())")
            let many = try await queries("/discussions/threads/\(large.requireID())")
            let last = try await queries("/discussions/threads/\(large.requireID())?page=10")
            #expect(few > 0 && few == many && many == last, "\(few) against \(many) and \(last)")
            let spacesBefore = try await queries("/discussions")
            try await lea.post("/discussions/lyon/new", ["title": "Encore", "body": "Un"])
            let spacesAfter = try await queries("/discussions")
            #expect(spacesAfter == spacesBefore, "\(spacesBefore) against \(spacesAfter)")
        }
    }

    @Test("A member's posts are in their export; erased, their posts stay by a former member and nothing else of them remains")
    func exportAndErase() async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let erased = try await member(ctx, "Élise Effacée", "elise@example.org", lyon)
            let marc = try await member(ctx, "Marc Lyon", "marc@example.org", lyon)
            try await erased.post("/discussions/lyon/new", ["title": "Mon devis", "body": "Relisez mon devis svp", "help": "yes"])
            let subject = try await thread(ctx, "Mon devis")
            let question = try #require(try await posts(ctx, subject).first)
            ctx.time.advance(by: 60)
            try await marc.post("/discussions/threads/\(subject.requireID())/reply", ["body": "Volontiers", "quote": question.requireID().uuidString])
            let answer = try #require(try await posts(ctx, subject).last)
            try await erased.post("/discussions/posts/\(answer.requireID())/react", ["kind": "thanks"])
            try await erased.post("/discussions/posts/\(answer.requireID())/accept")
            await ctx.runJobs()

            let export = try await erased.get("/account/export")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(export.body.readableBytesView)) as? [String: Any])
            let discussions = try #require(json["discussions"] as? [String: Any])
            #expect((discussions["posts"] as? [[String: Any]])?.first?["text"] as? String == "Relisez mon devis svp")
            #expect((discussions["reactions"] as? [[String: Any]])?.count == 1)

            try await erased.get("/account/delete")
            #expect(try await erased.post("/account/delete", ["current_password": goodPassword, "confirm": "SUPPRIMER"]).status == .seeOther)
            await ctx.runJobs()
            #expect(try await Post.query(on: ctx.db).filter(\.$thread.$id == subject.requireID()).count() == 2, "the posts stay")
            #expect(try await PostReaction.query(on: ctx.db).count() == 0)
            let page = try await marc.get("/discussions/threads/\(subject.requireID())").html
            #expect(page.contains("Relisez mon devis svp") && page.contains("un·e ancien·ne membre a écrit"), "the quote still reads")
            let stored = try await everyStoredValue(ctx.db)
            for trace in ["Élise Effacée", "elise@example.org"] {
                #expect(!stored.contains { $0.localizedCaseInsensitiveContains(trace) }, "\(trace) remains")
            }
        }
    }

    @Test("Discussion pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let lyon = try await makeChapter(ctx, "Lyon")
            let (_, admin) = try await signedInBrowser(ctx, role: .admin, locale: language == "fr" ? .fr : .en)
            try await admin.post("/admin/spaces", ["name": "Outils", "description": "Les outils du freelance"])
            try await makeMember(ctx, "Léa Lyon", email: "lea@example.org", chapter: lyon, headline: "x")
            try await admin.post("/discussions/lyon/new", ["title": "Bienvenue", "body": "Bonjour **à tous**", "help": "yes"])
            let subject = try await thread(ctx, "Bienvenue")
            try await admin.post("/discussions/threads/\(subject.requireID())/reply", ["body": "Merci"])
            let reply = try #require(try await posts(ctx, subject).last)
            for path in ["/discussions", "/discussions/lyon", "/discussions/lyon?filter=unanswered", "/discussions/outils", "/discussions/lyon/new",
                         "/discussions/threads/\(try subject.requireID())", "/discussions/threads/\(try subject.requireID())?quote=\(try reply.requireID())",
                         "/discussions/posts/\(try reply.requireID())/edit", "/admin/spaces", "/account/notifications"] {
                let page = try await admin.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.html.range(of: #"(discussion|notification_kind|nav)\.[a-z_]+"#, options: .regularExpression) == nil, "\(path)")
            }
        }
    }
}
