import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Demo community")
struct SeedTests {
    @Test("The demo community has chapters with ambassadors, members in the directory, and pending applications; it is deterministic")
    func demo() async throws {
        var names: [[String]] = []
        for _ in 0..<2 {
            try await withMaillon { ctx in
                let hash = try await ctx.app.password.async(on: ctx.app.threadPool, hopTo: ctx.app.eventLoopGroup.next()).hash("demo demo demo")
                let report = try await DemoCommunity(database: ctx.db, now: ctx.time.now(), passwordHash: hash).seed(members: 60)
                #expect(report.chapters == DemoCommunity.chapters.count)
                #expect(report.members == 60)
                #expect(try await Ambassadorship.query(on: ctx.db).count() == 2 * DemoCommunity.chapters.count)
                #expect(try await MembershipApplication.query(on: ctx.db).filter(\.$status ~~ [.submitted, .inReview]).count() == report.applications)
                let lyon = try #require(try await Chapter.query(on: ctx.db).filter(\.$slug == "lyon").first())
                let lyonAmbassador = try #require(try await User.query(on: ctx.db).filter(\.$email == "membre1@maillon.example").first())
                #expect(try await Ambassadorship.query(on: ctx.db).filter(\.$user.$id == lyonAmbassador.requireID()).first()?.$chapter.id == lyon.id)
                var query = DirectoryQuery()
                query.text = "developp"
                let result = try await query.run(on: ctx.db)
                #expect(result.total > 0)
                names.append(try await User.query(on: ctx.db).sort(\.$email).all(\.$name))

                // Events: past ones with who came, coming ones with seats counted as the registrations say.
                #expect(report.events == 7 * DemoCommunity.chapters.count + 1)
                for event in try await Event.query(on: ctx.db).all() {
                    let confirmed = try await Registration.query(on: ctx.db).filter(\.$event.$id == event.requireID()).filter(\.$status == .confirmed).count()
                    #expect(event.confirmedCount == confirmed && confirmed <= event.capacity)
                }
                #expect(try await Registration.query(on: ctx.db).filter(\.$attendance == .attended).count() > 0)

                let browser = ctx.browser()
                try await signIn(browser, email: "membre@maillon.example", password: "demo demo demo")
                #expect(try await browser.get("/directory").status == .ok)
                #expect(try await browser.get("/review").status == .ok, "membre@ runs Paris")

                // Missions in several states, the open ones with members who fit.
                #expect(report.missions >= 6)
                #expect(Set(try await Mission.query(on: ctx.db).all(\.$status)).isSuperset(of: [.draft, .submitted, .published, .completed, .expired]))
                #expect(try await browser.get("/missions").html.contains("Identité visuelle et site web des jardins"))
                var fitting = 0
                for open in try await Mission.query(on: ctx.db).filter(\.$status == .published).all() {
                    let skills = try await MissionSkill.query(on: ctx.db).filter(\.$mission.$id == open.requireID()).all()
                    let matching = MatchingQuery(database: ctx.db)
                    let needs = matching.needs(open, skills: skills)
                    fitting += Matcher.rank(try await matching.candidates(for: needs), for: needs).matches.count
                }
                #expect(fitting > 0, "the open missions have members who fit")
                let organisation = ctx.browser()
                try await signIn(organisation, email: "structure1@maillon.example", password: "demo demo demo")
                #expect(try await organisation.get("/missions").html.contains("Formation des bénévoles"))

                // Trainings: four published programmes, the internal rules, a coming session with trainees.
                #expect(report.trainings == 4)
                #expect(try await Training.query(on: ctx.db).filter(\.$status == .published).count() == 4)
                #expect(try await TrainingRulesText.current(on: ctx.db)?.version == 1)
                let session = try #require(try await TrainingSession.query(on: ctx.db).first())
                #expect(try await TrainingHalfDay.query(on: ctx.db).filter(\.$session.$id == session.requireID()).count() == 4)
                #expect(try await Enrolment.query(on: ctx.db).filter(\.$session.$id == session.requireID()).count() == 6)
                #expect(try await browser.get("/trainings").html.contains("Masterclass mensuelle"))

                // Discussions: theme spaces, threads in French, a resolved help request and one waiting, conversations.
                #expect(report.threads >= 6)
                #expect(try await Space.query(on: ctx.db).filter(\.$chapter.$id == nil).count() == 4)
                #expect(try await DiscussionThread.query(on: ctx.db).filter(\.$isHelpRequest == true).filter(\.$answerPostID != nil).count() >= 1)
                #expect(try await DiscussionThread.query(on: ctx.db).filter(\.$isHelpRequest == true).filter(\.$answerPostID == nil).count() >= 1)
                #expect(try await Conversation.query(on: ctx.db).count() == 2)
                let lyonMember = ctx.browser()
                try await signIn(lyonMember, email: "membre1@maillon.example", password: "demo demo demo")
                #expect(try await lyonMember.get("/discussions/lyon").html.contains("Coworking jeudi"))
                #expect(try await lyonMember.get("/discussions/search?q=devis").html.contains("Relire mon devis"))
                #expect(try await lyonMember.get("/messages").html.contains("Avec plaisir, je passe à Lyon"))
            }
        }
        #expect(names[0] == names[1], "the same size gives the same community")
    }

    @Test("Generated members' handles never collide, however many share a name (50,000 for the benchmarks)")
    func generatedHandles() {
        let handles = (0..<50_000).map { DemoCommunity.handle("Adam Richard", number: $0) }
        #expect(Set(handles).count == 50_000)
        #expect(handles[0] == "adam-richard-0" && Mentions.handles(in: "merci @" + handles[46_655]) == [handles[46_655]])
    }

    @Test("seed --posts adds a 300-post thread in Lyon's space and threads of twenty elsewhere, indexed for search")
    func generatedPosts() async throws {
        try await withMaillon { ctx in
            let hash = try await ctx.app.password.async(on: ctx.app.threadPool, hopTo: ctx.app.eventLoopGroup.next()).hash("demo demo demo")
            let community = DemoCommunity(database: ctx.db, now: ctx.time.now(), passwordHash: hash)
            _ = try await community.seed(members: 40)
            let before = try await Post.query(on: ctx.db).count()
            #expect(try await community.seedPosts(700) == 700)
            #expect(try await Post.query(on: ctx.db).count() == before + 700)
            let long = try #require(try await DiscussionThread.find(DemoCommunity.longThreadID, on: ctx.db))
            #expect(long.replyCount == 299)
            #expect(try await Post.query(on: ctx.db).filter(\.$thread.$id == DemoCommunity.longThreadID).count() == 300)
            let lyonMember = ctx.browser()
            try await signIn(lyonMember, email: "membre1@maillon.example", password: "demo demo demo")
            let page = try await lyonMember.get("/discussions/threads/\(DemoCommunity.longThreadID)?page=last")
            #expect(page.status == .ok && page.html.contains("Page 10 sur 10"))
            #expect(try await lyonMember.get("/discussions/search?q=acompte").html.contains("messages trouvés"))
        }
    }
}
