import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Surveys and results")
struct SurveyTests {
    @Test("At the end, those who attended and the trainer are asked once; answers are kept apart from names; reminded once; the cold survey comes later")
    func surveys() async throws {
        try await withMaillon { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            let trainer = try await secondBrowser(ctx, email: "formatrice@example.org", role: .member)
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now()))
            let session = try #require(try await TrainingSession.query(on: ctx.db).first())
            let sessionID = try session.requireID()
            var trainees: [TestBrowser] = []
            for name in ["une", "deux"] {
                let browser = try await secondBrowser(ctx, email: "\(name)@example.org", role: .member)
                try await browser.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm)
                trainees.append(browser)
            }
            let halfDays = try await TrainingHalfDay.query(on: ctx.db).filter(\.$session.$id == sessionID).sort(\.$startsAt).all()
            // Only "une" attends (every half-day); "deux" never comes.
            let une = try #require(try await Enrolment.query(on: ctx.db).filter(\.$user.$id == User.query(on: ctx.db).filter(\.$email == "une@example.org").first()?.id).first())
            for halfDay in halfDays {
                _ = try await Attending(database: ctx.db, now: halfDay.startsAt).sign(halfDay, une, drawing: "", typed: "Une", ip: "", device: "")
            }
            let job = JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID())
            try await SurveysJob().run(job)
            #expect(try await SurveyRequest.query(on: ctx.db).count() == 0, "not before the end")
            ctx.time.advance(by: halfDays.last!.endsAt.timeIntervalSince(ctx.time.now()) + 3600)
            try await SurveysJob().run(job)
            try await SurveysJob().run(job)
            await ctx.runJobs()
            let requests = try await SurveyRequest.query(on: ctx.db).all()
            #expect(Set(requests.map(\.kind)) == [.hot, .trainer] && requests.count == 2, "one each: the trainee who came, the trainer")
            #expect(ctx.mailer.messages(to: "une@example.org").filter { $0.subject.contains("Votre avis") }.count == 1)
            #expect(ctx.mailer.messages(to: "deux@example.org").filter { $0.subject.contains("Votre avis") }.isEmpty)

            try await signIn(trainees[0], email: "une@example.org")
            try await signIn(trainees[1], email: "deux@example.org")
            let path = "/trainings/sessions/\(sessionID)/survey/hot"
            #expect(try await trainees[1].get(path).status == .notFound, "not asked")
            #expect(try await trainees[0].post(path, ["satisfaction": "9", "objectives_met": "4"]).status == .unprocessableEntity)
            #expect(try await trainees[0].post(path, ["satisfaction": "5", "objectives_met": "4", "recommends": "yes", "comment": "Très utile"]).status == .ok)
            #expect(try await trainees[0].post(path, ["satisfaction": "1", "objectives_met": "1", "recommends": "no"]).status == .ok)
            let responses = try await SurveyResponse.query(on: ctx.db).all()
            #expect(responses.count == 1 && responses[0].satisfaction == 5 && responses[0].recommends == true)

            // The trainer is reminded once, a week on.
            ctx.time.advance(by: 8 * 86400)
            try await SurveysJob().run(job)
            try await SurveysJob().run(job)
            await ctx.runJobs()
            #expect(ctx.mailer.messages(to: "formatrice@example.org").filter { $0.subject.hasPrefix("Rappel") }.count == 1)
            #expect(ctx.mailer.messages(to: "une@example.org").filter { $0.subject.hasPrefix("Rappel") }.isEmpty, "she answered")
            // The cold survey, COLD_SURVEY_DAYS after the end.
            ctx.time.advance(by: 53 * 86400)
            try await SurveysJob().run(job)
            #expect(try await SurveyRequest.query(on: ctx.db).filter(\.$kind == .cold).count() == 1)
            _ = trainer
        }
    }

    @Test("Results are computed from ended sessions: people trained, completion (every half-day), satisfaction (hot surveys)")
    func results() async throws {
        try await withMaillon { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now()))
            let session = try #require(try await TrainingSession.query(on: ctx.db).first())
            let sessionID = try session.requireID()
            for name in ["une", "deux", "trois"] {
                let browser = try await secondBrowser(ctx, email: "\(name)@example.org", role: .member)
                try await browser.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm)
            }
            let halfDays = try await TrainingHalfDay.query(on: ctx.db).filter(\.$session.$id == sessionID).sort(\.$startsAt).all()
            let enrolments = try await Enrolment.query(on: ctx.db).sort(\.$createdAt).all()
            // "une" comes to everything, "deux" to the first half-day only, "trois" never.
            for (enrolment, count) in zip(enrolments, [4, 1, 0]) {
                for halfDay in halfDays.prefix(count) {
                    _ = try await Attending(database: ctx.db, now: halfDay.startsAt).sign(halfDay, enrolment, drawing: "", typed: "x", ip: "", device: "")
                }
            }
            for rating in [5, 4] {
                let response = SurveyResponse()
                response.$session.id = sessionID
                response.kind = .hot
                response.satisfaction = rating
                response.comment = ""
                response.createdAt = ctx.time.now()
                try await response.create(on: ctx.db)
            }
            #expect(try await TrainingResults.compute(for: training, now: ctx.time.now(), on: ctx.db) == TrainingResults(), "nothing has ended yet")
            ctx.time.advance(by: 30 * 86400)
            let results = try await TrainingResults.compute(for: training, now: ctx.time.now(), on: ctx.db)
            #expect(results == TrainingResults(trained: 2, completion: 0.5, satisfaction: 4.5))
            let page = try await ctx.browser().get("/trainings/\(training.slug)").html
            #expect(page.contains("50 %") && page.contains("4,5 sur 5"))
        }
    }

    @Test("Survey pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now()))
            let sessionID = try #require(try await TrainingSession.query(on: ctx.db).first()?.requireID())
            let member = try await secondBrowser(ctx, email: "une@example.org", role: .member)
            try await member.post("/language", ["locale": language, "back": "/"])
            let userID = try #require(try await User.query(on: ctx.db).filter(\.$email == "une@example.org").first()?.id)
            for kind in SurveyRequest.Kind.allCases {
                let request = SurveyRequest()
                request.$session.id = sessionID
                request.kind = kind
                request.$user.id = userID
                request.sentAt = ctx.time.now()
                try await request.create(on: ctx.db)
                let page = try await member.get("/trainings/sessions/\(sessionID)/survey/\(kind.rawValue)")
                #expect(page.status == .ok)
                #expect(page.html.range(of: #"survey\.[a-z]"#, options: .regularExpression) == nil, "\(kind)")
            }
        }
    }
}
