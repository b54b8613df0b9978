import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

/// A published training and its admin's browser.
func publishedTraining(_ ctx: TestContext) async throws -> (Training, TestBrowser) {
    let (_, admin) = try await signedInBrowser(ctx, role: .admin)
    try await admin.post("/admin/trainings/new", trainingForm())
    return (try #require(try await Training.query(on: ctx.db).first()), admin)
}

/// The scheduling form: two full days three weeks ahead, in person.
func sessionForm(now: Date, capacity: Int = 12, trainers: String = "formatrice@example.org") -> [String: String] {
    func day(_ offset: Double) -> String { String(FormReader.localDateTimeValue(now.addingTimeInterval(offset * 86400)).prefix(10)) }
    return ["day1": day(21), "day1_part": "both", "day2": day(22), "day2_part": "both", "morning_start": "09:00", "morning_end": "12:30",
            "afternoon_start": "13:30", "afternoon_end": "17:00", "venue_name": "La Ruche", "venue_address": "24 rue de l'Est, Paris",
            "capacity": String(capacity), "price": "450", "trainers": trainers]
}

let enrolmentForm = ["expectations": "Oser annoncer mon prix", "level": "practising", "adaptation": "", "trainee_status": "other", "funding": "opco",
                     "ack_programme": "yes", "ack_rules": "yes"]

@Suite("Training sessions")
struct TrainingSessionTests {
    @Test("An admin schedules a session: bad input kept with its errors; then four half-days, seats, trainer, version and rules recorded")
    func scheduling() async throws {
        try await withMaillon { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            let trainingID = try training.requireID()
            try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
            try await admin.post("/admin/trainings/rules", ["body": "Article 1 — Assiduité."])
            var form = sessionForm(now: ctx.time.now())
            form["day2"] = form["day1"]
            form["afternoon_start"] = "11:00"
            form["trainers"] = "inconnu@example.org"
            form["venue_name"] = ""
            let refused = try await admin.post("/admin/trainings/\(trainingID)/sessions/new", form)
            #expect(refused.status == .unprocessableEntity)
            for text in ["Ce jour est déjà donné plus haut.", "L&#39;après-midi commence avant la fin de la matinée.", "Chaque formateur doit être un membre"] {
                #expect(refused.html.contains(text) || refused.html.contains(text.replacingOccurrences(of: "&#39;", with: "'")), "\(text)")
            }
            #expect(refused.html.contains("24 rue de l"), "the input is kept")
            #expect(try await TrainingSession.query(on: ctx.db).count() == 0)
            #expect(try await Event.query(on: ctx.db).count() == 0, "nothing half-written")

            let created = try await admin.post("/admin/trainings/\(trainingID)/sessions/new", sessionForm(now: ctx.time.now()))
            #expect(created.status == .seeOther)
            let session = try #require(try await TrainingSession.query(on: ctx.db).first())
            #expect(session.trainingVersion == 1 && session.rulesVersion == 1 && session.price == 450)
            let halfDays = try await TrainingHalfDay.query(on: ctx.db).sort(\.$startsAt).all()
            #expect(halfDays.count == 4)
            #expect(halfDays.map(\.isMorning) == [true, false, true, false])
            #expect(SessionInput.hours(halfDays.map { ($0.startsAt, $0.endsAt) }) == 14)
            let event = try #require(try await Event.find(session.$event.id, on: ctx.db))
            #expect(event.kind == .training && event.capacity == 12 && event.startsAt == halfDays[0].startsAt && event.endsAt == halfDays[3].endsAt)
            #expect(try await TrainingTrainer.query(on: ctx.db).count() == 1)
            let page = try await ctx.browser().get(created.location ?? "")
            #expect(page.status == .ok && page.html.contains("09:00–12:30") && page.html.contains("14 heures") && page.html.contains("12 places restantes"))
            #expect(try await ctx.browser().get("/trainings/\(training.slug)").html.contains("/trainings/sessions/\(try session.requireID())"))
            // The seats are not a meetup: not listed, not organised, their page leads to the session.
            #expect(!(try await admin.get("/events").html.contains(training.title)))
            #expect(try await admin.get("/events/\(event.requireID())").location == "/trainings/sessions/\(try session.requireID())")
            #expect(try await admin.get("/events/\(event.requireID())/edit").status == .notFound)
            #expect(try await admin.post("/events/\(event.requireID())/register", ["note": ""]).status == .notFound)
        }
    }

    @Test("Members enrol with the needs analysis; a full session waitlists; withdrawing gives the seat to the first waiting, who is told")
    func enrolment() async throws {
        try await withMaillon { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now(), capacity: 1))
            let sessionID = try #require(try await TrainingSession.query(on: ctx.db).first()?.requireID())
            let first = try await secondBrowser(ctx, email: "une@example.org", role: .member)
            let second = try await secondBrowser(ctx, email: "deux@example.org", role: .member)

            var missing = enrolmentForm
            missing["ack_rules"] = ""
            missing["expectations"] = ""
            let refused = try await first.post("/trainings/sessions/\(sessionID)/enrol", missing)
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("À cocher pour s&#39;inscrire.") || refused.html.contains("À cocher pour s'inscrire."))
            #expect(try await Enrolment.query(on: ctx.db).count() == 0)
            #expect(try await Registration.query(on: ctx.db).count() == 0)

            #expect(try await first.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm).status == .seeOther)
            #expect(try await second.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm).status == .seeOther)
            #expect(try await first.get("/trainings/sessions/\(sessionID)").html.contains("Vous êtes inscrit·e"))
            let waiting = try await second.get("/trainings/sessions/\(sessionID)").html
            #expect(waiting.contains("liste d&#39;attente (position 1)") || waiting.contains("liste d'attente (position 1)"))
            let enrolments = try await Enrolment.query(on: ctx.db).all()
            #expect(enrolments.count == 2 && enrolments.allSatisfy { $0.funding == .opco && $0.programmeVersion == 1 })
            #expect(ctx.mailer.messages(to: "une@example.org").contains { $0.subject.contains("Inscription confirmée") })

            #expect(try await first.post("/trainings/sessions/\(sessionID)/withdraw").status == .seeOther)
            #expect(try await second.get("/trainings/sessions/\(sessionID)").html.contains("Vous êtes inscrit·e"))
            #expect(try await first.get("/trainings/sessions/\(sessionID)").html.contains("/trainings/sessions/\(sessionID)/enrol"))
            // Enrolling again reuses the seat's answers row.
            try await first.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm)
            #expect(try await Enrolment.query(on: ctx.db).count() == 2)
        }
    }

    @Test("Twenty members enrolling at once for five seats: five enrolled, fifteen waiting in order, one answers row each, on either database")
    func parallelEnrolments() async throws {
        try await withMaillon { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now(), capacity: 5))
            let session = try #require(try await TrainingSession.query(on: ctx.db).first())
            let sessionID = try session.requireID()
            var browsers: [TestBrowser] = []
            for index in 0..<20 { browsers.append(try await secondBrowser(ctx, email: "stagiaire\(index)@example.org", role: .member)) }
            try await withThrowingTaskGroup(of: UInt.self) { group in
                for browser in browsers { group.addTask { try await browser.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm).status.code } }
                for try await status in group { #expect(status == 303) }
            }
            let registrations = try await Registration.query(on: ctx.db).filter(\.$event.$id == session.$event.id).all()
            #expect(registrations.filter { $0.status == .confirmed }.count == 5)
            #expect(registrations.compactMap(\.waitlistNumber).sorted() == Array(1...15))
            #expect(try await Enrolment.query(on: ctx.db).count() == 20)
            #expect(try await Event.find(session.$event.id, on: ctx.db)?.confirmedCount == 5)
        }
    }

    @Test("Convocations go out once, CONVOCATION_DAYS before: each half-day, the place, the referent, the rules and a calendar file; the time is kept")
    func convocations() async throws {
        var options = TestOptions()
        options.disabilityReferent = ("Inès Robert", "handicap@maillon.example")
        try await withMaillon(options) { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now()))
            let sessionID = try #require(try await TrainingSession.query(on: ctx.db).first()?.requireID())
            let trainee = try await secondBrowser(ctx, email: "une@example.org", role: .member)
            try await trainee.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm)
            func convocations() -> [MailMessage] { ctx.mailer.messages(to: "une@example.org").filter { $0.subject.hasPrefix("Convocation") } }

            await ctx.runJobs()
            try await ConvocationsJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            #expect(convocations().isEmpty, "three weeks ahead: not yet")
            ctx.time.advance(by: 15 * 86400)
            try await ConvocationsJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            await ctx.runJobs()
            let mail = try #require(convocations().first)
            #expect(convocations().count == 1)
            for text in ["09:00–12:30", "13:30–17:00", "La Ruche, 24 rue de l'Est, Paris", "Inès Robert (handicap@maillon.example)", "/trainings/rules", "formation@maillon.example"] {
                #expect(mail.text.contains(text), "\(text)")
            }
            let calendar = try #require(mail.attachments.first { $0.filename.hasSuffix(".ics") })
            #expect(calendar.content.components(separatedBy: "BEGIN:VEVENT").count - 1 == 4)
            #expect(try await Enrolment.query(on: ctx.db).first()?.convocationSentAt != nil)
            try await ConvocationsJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            await ctx.runJobs()
            #expect(convocations().count == 1, "once")
            try await signIn(admin)
            #expect(try await admin.get("/trainings/sessions/\(sessionID)/trainees").html.contains("Convocation envoyée le"))
        }
    }

    @Test("Who may do what: only admins schedule; members enrol, others are refused; trainers see their trainees but not adaptations; admins see them")
    func forbiddenPaths() async throws {
        try await withMaillon { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            let trainingID = try training.requireID()
            let trainer = try await secondBrowser(ctx, email: "formatrice@example.org", role: .member)
            try await admin.post("/admin/trainings/\(trainingID)/sessions/new", sessionForm(now: ctx.time.now()))
            let sessionID = try #require(try await TrainingSession.query(on: ctx.db).first()?.requireID())
            let member = try await secondBrowser(ctx, email: "une@example.org", role: .member)
            var form = enrolmentForm
            form["adaptation"] = "Interprète LSF"
            try await member.post("/trainings/sessions/\(sessionID)/enrol", form)
            let other = try await secondBrowser(ctx, email: "autre@example.org", role: .member)
            let applicant = try await secondBrowser(ctx, email: "candidate@example.org", role: .applicant)
            let (_, _, organisation) = try await makeOrganisation(ctx)

            for browser in [member, trainer, organisation] {
                #expect(try await browser.get("/admin/trainings/\(trainingID)/sessions/new").status == .forbidden)
                #expect(try await browser.post("/admin/trainings/\(trainingID)/sessions/new", sessionForm(now: ctx.time.now())).status == .forbidden)
                #expect(try await browser.post("/admin/trainings/rules", ["body": "Pirate"]).status == .forbidden)
            }
            for browser in [applicant, organisation] {
                #expect(try await browser.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm).status == .forbidden)
            }
            #expect(try await ctx.browser().get("/trainings/sessions/\(sessionID)/enrol").status == .seeOther, "a visitor signs in first")
            #expect(try await other.get("/trainings/sessions/\(sessionID)/trainees").status == .forbidden)
            #expect(try await member.get("/trainings/sessions/\(sessionID)/trainees").status == .forbidden)
            let seenByTrainer = try await trainer.get("/trainings/sessions/\(sessionID)/trainees")
            #expect(seenByTrainer.status == .ok && seenByTrainer.html.contains("Oser annoncer mon prix") && !seenByTrainer.html.contains("Interprète LSF"))
            #expect(try await admin.get("/trainings/sessions/\(sessionID)/trainees").html.contains("Interprète LSF"))
            // Withdrawing someone else's seat is not a thing: one withdraws oneself only.
            #expect(try await other.post("/trainings/sessions/\(sessionID)/withdraw").status == .seeOther)
            #expect(try await Registration.query(on: ctx.db).filter(\.$status == .confirmed).count() == 1)
            #expect(try await ctx.browser().get("/trainings/sessions/\(UUID())").status == .notFound)
            #expect(try await ctx.browser().get("/trainings/sessions/nope").status == .notFound)
            // A crafted meetup of kind "training" is refused.
            var meetup = ["title": "Faux", "description": "x", "kind": "training", "chapter": "", "capacity": "5"]
            meetup["starts_at"] = FormReader.localDateTimeValue(ctx.time.now().addingTimeInterval(86400))
            meetup["ends_at"] = FormReader.localDateTimeValue(ctx.time.now().addingTimeInterval(90000))
            #expect(try await admin.post("/events/new", meetup).status == .unprocessableEntity)
        }
    }

    @Test("The disability referent's account reads the coming sessions' adaptations; trainers, trainees and other members do not")
    func referentReadsAdaptations() async throws {
        var options = TestOptions()
        options.disabilityReferentEmail = "referente@example.org"
        try await withMaillon(options) { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            let trainer = try await secondBrowser(ctx, email: "formatrice@example.org", role: .member)
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now()))
            let sessionID = try #require(try await TrainingSession.query(on: ctx.db).first()?.requireID())
            let trainee = try await secondBrowser(ctx, email: "une@example.org", role: .member)
            var form = enrolmentForm
            form["adaptation"] = "Interprète LSF"
            try await trainee.post("/trainings/sessions/\(sessionID)/enrol", form)
            try await secondBrowser(ctx, email: "deux@example.org", role: .member).post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm)
            let referent = try await secondBrowser(ctx, email: "referente@example.org", role: .member)

            let page = try await referent.get("/trainings/adaptations")
            #expect(page.status == .ok && page.html.contains("Interprète LSF") && page.html.contains("/trainings/sessions/\(sessionID)"))
            #expect(!page.html.contains("Oser annoncer mon prix"), "only the adaptation, not the rest of the needs analysis")
            #expect(try await referent.get("/trainings/mine").html.contains("/trainings/adaptations"))
            #expect(try await admin.get("/trainings/adaptations").html.contains("Interprète LSF"))
            for browser in [trainer, trainee, try await secondBrowser(ctx, email: "autre@example.org", role: .member)] {
                #expect(try await browser.get("/trainings/adaptations").status == .forbidden)
                #expect(!(try await browser.get("/trainings/mine").html.contains("/trainings/adaptations")))
            }
            #expect(try await ctx.browser().get("/trainings/adaptations").status == .seeOther, "a visitor signs in first")
            // Once the session has ended, its adaptations leave the list.
            ctx.time.advance(by: 30 * 86400)
            #expect(!(try await referent.get("/trainings/adaptations").html.contains("Interprète LSF")))
        }
    }

    @Test("Session, enrolment, trainees and rules pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let (_, admin) = try await signedInBrowser(ctx, role: .admin, locale: language == "fr" ? .fr : .en)
            try await admin.post("/admin/trainings/new", trainingForm())
            let training = try #require(try await Training.query(on: ctx.db).first())
            try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now()))
            let sessionID = try #require(try await TrainingSession.query(on: ctx.db).first()?.requireID())
            try await admin.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm)
            let trainingID = try training.requireID()
            for path in ["/admin/trainings/\(trainingID)/sessions/new", "/trainings/sessions/\(sessionID)", "/trainings/sessions/\(sessionID)/enrol",
                         "/trainings/sessions/\(sessionID)/trainees", "/trainings/rules", "/admin/trainings/rules", "/trainings/\(training.slug)",
                         "/trainings/adaptations", "/admin/trainings",
                         "/account/notifications"] {
                let page = try await admin.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.html.range(of: #"(session|enrolment|trainees|rules|convocation|adaptations)\.[a-z]"#, options: .regularExpression) == nil, "\(path)")
            }
        }
    }
}

@Suite("Trainees' personal data")
struct TraineePrivacyTests {
    @Test("A trainee's enrolments are in their export; erasing them frees the seat for the next in line and leaves no trace of them")
    func exportAndErase() async throws {
        try await withMaillon { ctx in
            let (training, admin) = try await publishedTraining(ctx)
            try await makeUser(ctx, email: "formatrice@example.org", name: "Fanny Formatrice")
            try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", sessionForm(now: ctx.time.now(), capacity: 1))
            let sessionID = try #require(try await TrainingSession.query(on: ctx.db).first()?.requireID())
            let erased = try await makeUser(ctx, email: "effacee@example.org", name: "Élise Effacée")
            let browser = ctx.browser()
            try await signIn(browser, email: "effacee@example.org")
            var form = enrolmentForm
            form["adaptation"] = "Élise a besoin d'un interprète"
            try await browser.post("/trainings/sessions/\(sessionID)/enrol", form)
            let next = try await secondBrowser(ctx, email: "suivante@example.org", role: .member)
            try await next.post("/trainings/sessions/\(sessionID)/enrol", enrolmentForm)
            await ctx.runJobs()

            let export = try await browser.get("/account/export")
            #expect(export.status == .ok && export.body.string.contains("training_enrolments") && export.body.string.contains("Oser annoncer mon prix"))

            try await browser.get("/account/delete")
            #expect(try await browser.post("/account/delete", ["current_password": goodPassword, "confirm": "SUPPRIMER"]).status == .seeOther)
            await ctx.runJobs()
            #expect(try await next.get("/trainings/sessions/\(sessionID)").html.contains("Vous êtes inscrit·e"), "the seat went to the next in line")
            let stored = try await everyStoredValue(ctx.db)
            for trace in ["Élise Effacée", "effacee@example.org", "interprète", try erased.requireID().uuidString] {
                #expect(!stored.contains { $0.localizedCaseInsensitiveContains(trace) }, "\(trace) remains")
            }
            #expect(try await Enrolment.query(on: ctx.db).count() == 2, "the enrolment stays, unsigned, for the yearly figures")
        }
    }
}
