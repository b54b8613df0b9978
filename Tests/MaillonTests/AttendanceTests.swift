import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting
import ZIPFoundation

/// A session three weeks ahead with its trainer and two enrolled trainees; the clock is then moved to
/// ten minutes into its first half-day.
private func sessionUnderway(_ ctx: TestContext, online: Bool = false) async throws
    -> (session: TrainingSession, halfDays: [TrainingHalfDay], trainer: TestBrowser, trainees: [TestBrowser], admin: TestBrowser) {
    let (training, admin) = try await publishedTraining(ctx)
    let trainer = try await secondBrowser(ctx, email: "formatrice@example.org", role: .member)
    var form = sessionForm(now: ctx.time.now())
    if online { form["online_url"] = "https://visio.example.org/salle" }
    try await admin.post("/admin/trainings/\(training.requireID())/sessions/new", form)
    let session = try #require(try await TrainingSession.query(on: ctx.db).first())
    var trainees: [TestBrowser] = []
    for name in ["une", "deux"] {
        let browser = try await secondBrowser(ctx, email: "\(name)@example.org", role: .member)
        try await browser.post("/trainings/sessions/\(session.requireID())/enrol", enrolmentForm)
        trainees.append(browser)
    }
    let halfDays = try await TrainingHalfDay.query(on: ctx.db).filter(\.$session.$id == session.requireID()).sort(\.$startsAt).all()
    ctx.time.advance(by: halfDays[0].startsAt.timeIntervalSince(ctx.time.now()) + 600)
    // Sessions expired while the clock moved: everyone signs in again.
    try await signIn(admin)
    try await signIn(trainer, email: "formatrice@example.org")
    for (browser, name) in zip(trainees, ["une", "deux"]) { try await signIn(browser, email: "\(name)@example.org") }
    return (session, halfDays, trainer, trainees, admin)
}

@Suite("Attendance (émargement)")
struct AttendanceTests {
    @Test("The trainer shows the half-day's code; a trainee signs on their phone (drawn or typed), once, with time, address and device kept")
    func signing() async throws {
        try await withMaillon { ctx in
            let (session, halfDays, trainer, trainees, _) = try await sessionUnderway(ctx)
            let sessionID = try session.requireID()
            let page = try await trainer.get("/trainings/sessions/\(sessionID)/attendance/\(halfDays[0].requireID())")
            #expect(page.status == .ok && page.html.contains(halfDays[0].code) && page.html.contains("/sign/\(halfDays[0].code)"))
            #expect(page.html.contains("<div class=\"attendance-qr\"><svg"), "the QR code (decoded in the Python suite)")
            #expect(!page.html.contains(halfDays[1].code), "the afternoon's code is not shown yet")

            let form = try await trainees[0].get("/sign/\(halfDays[0].code.lowercased())")
            #expect(form.status == .ok && form.html.contains("data-signature-pad"))
            let empty = try await trainees[0].post("/sign/\(halfDays[0].code)", ["drawing": "", "typed": " "])
            #expect(empty.status == .unprocessableEntity)
            let signed = try await trainees[0].post("/sign/\(halfDays[0].code)", ["drawing": "M10 20 L30 40 L50 45", "typed": ""])
            #expect(signed.status == .ok && signed.html.contains("Présence signée"))
            let attendance = try #require(try await Attendance.query(on: ctx.db).first())
            #expect(attendance.status == .present && attendance.signatureKind == .drawn && attendance.signature == "M10 20 L30 40 L50 45")
            #expect(attendance.signedAt == ctx.time.now() && attendance.ip == "203.0.113.10" && attendance.device.contains("Firefox"))
            #expect(try await trainees[0].post("/sign/\(halfDays[0].code)", ["typed": "Une"]).status == .conflict)
            // Anything but path data is not a drawing: the typed name signs instead.
            #expect(try await trainees[1].post("/sign/\(halfDays[0].code)", ["drawing": "<svg onload=alert(1)>", "typed": "Deux Stagiaire"]).status == .ok)
            let typed = try #require(try await Attendance.query(on: ctx.db).filter(\.$signatureKind == .typed).first())
            #expect(typed.signature == "Deux Stagiaire")
            #expect(try await trainer.get("/trainings/sessions/\(sessionID)/attendance").html.contains("2 sur 2"))
        }
    }

    @Test("Codes work during their half-day only, for those enrolled; visitors sign in first")
    func codeRules() async throws {
        try await withMaillon { ctx in
            let (_, halfDays, _, trainees, _) = try await sessionUnderway(ctx)
            #expect(try await trainees[0].get("/sign/\(halfDays[1].code)").status == .gone, "the afternoon's code, in the morning")
            #expect(try await trainees[0].get("/sign/ZZZZZZ").status == .notFound)
            #expect(try await trainees[0].get("/sign/%00%00").status == .notFound)
            let outsider = try await secondBrowser(ctx, email: "dehors@example.org", role: .member)
            #expect(try await outsider.get("/sign/\(halfDays[0].code)").status == .forbidden)
            #expect(try await outsider.post("/sign/\(halfDays[0].code)", ["typed": "Dehors"]).status == .forbidden)
            #expect(try await ctx.browser().get("/sign/\(halfDays[0].code)").status == .seeOther)
            #expect(try await trainees[0].get("/sign?code=\(halfDays[0].code.lowercased())").location == "/sign/\(halfDays[0].code)")
            ctx.time.advance(by: 6 * 3600)
            try await signIn(trainees[0], email: "une@example.org")
            #expect(try await trainees[0].get("/sign/\(halfDays[0].code)").status == .gone, "the morning is over")
            #expect(try await Attendance.query(on: ctx.db).count() == 0)
        }
    }

    @Test("The trainer marks an absence, countersigns (a signature is required), and the half-day is closed for everyone")
    func countersigning() async throws {
        try await withMaillon { ctx in
            let (session, halfDays, trainer, trainees, admin) = try await sessionUnderway(ctx)
            let sessionID = try session.requireID()
            let halfDayID = try halfDays[0].requireID()
            try await trainees[0].post("/sign/\(halfDays[0].code)", ["typed": "Une"])
            let absentee = try #require(try await Enrolment.query(on: ctx.db).filter(\.$user.$id == User.query(on: ctx.db).filter(\.$email == "deux@example.org").first()?.id).first())
            #expect(try await trainer.post("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)/mark", ["enrolment": absentee.requireID().uuidString, "action": "absent"]).status == .seeOther)
            #expect(try await Attendance.query(on: ctx.db).filter(\.$status == .absent).count() == 1)
            #expect(try await trainer.post("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)/countersign", ["typed": "", "drawing": ""]).status == .unprocessableEntity)
            #expect(try await TrainingHalfDay.find(halfDayID, on: ctx.db)?.closedAt == nil, "never closed without the trainer's signature")
            #expect(try await trainer.post("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)/countersign", ["typed": "Fanny Formatrice"]).status == .seeOther)
            let closed = try #require(try await TrainingHalfDay.find(halfDayID, on: ctx.db))
            #expect(closed.closedAt != nil && closed.trainerSignature == "Fanny Formatrice" && closed.trainerSignatureKind == .typed)
            #expect(try await trainees[1].post("/sign/\(halfDays[0].code)", ["typed": "Deux"]).status == .conflict, "closed")
            #expect(try await trainer.post("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)/mark", ["enrolment": absentee.requireID().uuidString, "action": "absent"]).status == .conflict)
            #expect(try await admin.post("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)/countersign", ["typed": "Autre"]).status == .conflict, "once")
            #expect(try await trainer.get("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)").html.contains("Demi-journée close le"))
        }
    }

    @Test("A remote half-day is proven by connection times")
    func remote() async throws {
        try await withMaillon { ctx in
            let (session, halfDays, trainer, _, _) = try await sessionUnderway(ctx, online: true)
            let sessionID = try session.requireID()
            let halfDayID = try halfDays[0].requireID()
            let enrolment = try #require(try await Enrolment.query(on: ctx.db).first())
            let bad = try await trainer.post("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)/mark",
                                             ["enrolment": enrolment.requireID().uuidString, "action": "connection", "from": "12:00", "until": "09:00"])
            #expect(bad.status == .unprocessableEntity)
            #expect(try await trainer.post("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)/mark",
                                           ["enrolment": enrolment.requireID().uuidString, "action": "connection", "from": "09:02", "until": "12:31"]).status == .seeOther)
            let attendance = try #require(try await Attendance.query(on: ctx.db).first())
            #expect(attendance.status == .present && attendance.signatureKind == .connection && attendance.connectedFrom != nil)
            #expect(try await trainer.get("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)").html.contains("Connecté·e de 09:02 à 12:31"))
        }
    }

    @Test("Only the session's trainers and admins run attendance; a trainee signing twice at once makes one signature, on either database")
    func authorisationAndConcurrency() async throws {
        try await withMaillon { ctx in
            let (session, halfDays, _, trainees, admin) = try await sessionUnderway(ctx)
            let sessionID = try session.requireID()
            let halfDayID = try halfDays[0].requireID()
            let otherTrainer = try await secondBrowser(ctx, email: "autre@example.org", role: .member)
            for browser in [trainees[0], otherTrainer] {
                #expect(try await browser.get("/trainings/sessions/\(sessionID)/attendance").status == .forbidden)
                #expect(try await browser.get("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)").status == .forbidden)
                #expect(try await browser.post("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)/countersign", ["typed": "Pirate"]).status == .forbidden)
            }
            #expect(try await admin.get("/trainings/sessions/\(sessionID)/attendance/\(halfDayID)").status == .ok)
            #expect(try await admin.get("/trainings/sessions/\(sessionID)/attendance/\(UUID())").status == .notFound)
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<4 { group.addTask { try await trainees[0].post("/sign/\(halfDays[0].code)", ["typed": "Une"]).status.code } }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1 && statuses.filter { $0 == 409 }.count == 3, "\(statuses)")
            #expect(try await Attendance.query(on: ctx.db).count() == 1)
        }
    }

    @Test("Attendance pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let (session, halfDays, trainer, trainees, _) = try await sessionUnderway(ctx)
            let sessionID = try session.requireID()
            try await trainer.post("/language", ["locale": language, "back": "/"])
            try await trainees[0].post("/language", ["locale": language, "back": "/"])
            for (browser, path) in [(trainer, "/trainings/sessions/\(sessionID)/attendance"), (trainer, "/trainings/sessions/\(sessionID)/attendance/\(try halfDays[0].requireID())"),
                                    (trainees[0], "/sign"), (trainees[0], "/sign/\(halfDays[0].code)")] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.html.range(of: #"attendance\.[a-z]"#, options: .regularExpression) == nil, "\(path)")
            }
        }
    }
}

@Suite("Training documents")
struct TrainingDocumentTests {
    @Test("The PDF writer: a well-formed file (each cross-reference points at its object), accents in Windows-1252, delimiters escaped, long text wrapped")
    func writer() throws {
        var pdf = PDFWriter()
        pdf.paragraph("Certificat de réalisation — 3,5 heures (été) € \\ ok")
        for index in 0..<80 { pdf.paragraph("Ligne \(index) " + String(repeating: "mot ", count: 40)) }
        pdf.signature("M10 20 L30 40 L50 45", x: 50, top: 100, width: 100, height: 30)
        let data = pdf.render()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix("%PDF-1.4") && text.hasSuffix("%%EOF\n"))
        #expect(PDFWriter.escape("réalisation (été) € \\") == #"r\351alisation \(\351t\351\) \200 \\"#)
        let bytes = [UInt8](data)
        let startxref = try #require(text.range(of: "startxref\n")).upperBound
        let xrefOffset = try #require(Int(text[startxref...].prefix { $0.isNumber }))
        let table = String(decoding: bytes[xrefOffset...], as: UTF8.self)
        let offsets = table.split(separator: "\n").dropFirst(3).prefix { $0.hasSuffix(" n ") || $0.hasSuffix(" n") }.compactMap { Int($0.prefix(10)) }
        #expect(offsets.count > 5)
        for (index, offset) in offsets.enumerated() {
            #expect(String(decoding: bytes[offset..<min(bytes.count, offset + 12)], as: UTF8.self).hasPrefix("\(index + 1) 0 obj"))
        }
        #expect(text.contains("/Count 3") || text.contains("/Count 4"), "the text ran onto several pages")
        #expect(PDFWriter.wrap(String(repeating: "a", count: 300), width: 100, size: 10).allSatisfy { $0.count <= 19 })
    }

    @Test("The attendance sheet (trainers, admins) and each trainee's certificate (once the session ended) with the hours actually signed")
    func sheetAndCertificate() async throws {
        try await withMaillon { ctx in
            let (session, halfDays, trainer, trainees, admin) = try await sessionUnderway(ctx)
            let sessionID = try session.requireID()
            try await trainees[0].post("/sign/\(halfDays[0].code)", ["drawing": "M10 20 L30 40 L50 45"])
            try await trainer.post("/trainings/sessions/\(sessionID)/attendance/\(halfDays[0].requireID())/countersign", ["typed": "Fanny Formatrice"])
            let sheet = try await trainer.get("/trainings/sessions/\(sessionID)/attendance.pdf")
            #expect(sheet.status == .ok && sheet.headers.contentType?.subType == "pdf")
            let body = String(decoding: sheet.body.readableBytesView, as: UTF8.self)
            #expect(body.contains(PDFWriter.escape("Feuille d'émargement")) && body.contains(PDFWriter.escape("Contresigné par Marie Seconde")) && body.contains("(Fanny Formatrice)"))
            #expect(body.contains(" l S"), "the drawn signature is drawn")
            #expect(try await trainees[0].get("/trainings/sessions/\(sessionID)/attendance.pdf").status == .forbidden)

            let enrolment = try #require(try await Enrolment.query(on: ctx.db).filter(\.$user.$id == User.query(on: ctx.db).filter(\.$email == "une@example.org").first()?.id).first())
            let path = "/trainings/sessions/\(sessionID)/certificates/\(try enrolment.requireID())"
            #expect(try await trainees[0].get(path).status == .notFound, "not before the end")
            // The trainer assesses the first objective: not acquired at entry, acquired at the end.
            let grid = try await trainer.get("/trainings/sessions/\(sessionID)/assessment")
            #expect(grid.status == .ok && grid.html.contains("Calculer son taux journalier"))
            #expect(try await trainees[0].post("/trainings/sessions/\(sessionID)/assessment/\(try enrolment.requireID())", ["result0": "acquired"]).status == .forbidden)
            #expect(try await trainer.post("/trainings/sessions/\(sessionID)/assessment/\(try enrolment.requireID())",
                                           ["entry0": "not_acquired", "result0": "acquired", "result1": "nonsense"]).status == .seeOther)
            let assessed = try await ObjectiveAssessment.query(on: ctx.db).all()
            #expect(assessed.count == 1 && assessed[0].entry == .notAcquired && assessed[0].result == .acquired && assessed[0].objective == "Calculer son taux journalier")
            ctx.time.advance(by: 2 * 86400)
            try await signIn(trainees[0], email: "une@example.org")
            try await signIn(trainees[1], email: "deux@example.org")
            #expect(try await trainees[0].get("/trainings/sessions/\(sessionID)").html.contains(path))
            let certificate = try await trainees[0].get(path)
            #expect(certificate.status == .ok)
            let text = String(decoding: certificate.body.readableBytesView, as: UTF8.self)
            #expect(text.contains(PDFWriter.escape("Certificat de réalisation")))
            #expect(text.contains(PDFWriter.escape("Durée effectivement suivie : 3,5 heures sur 14 heures prévues")))
            #expect(text.contains(PDFWriter.escape("Calculer son taux journalier — Acquis")) && text.contains(PDFWriter.escape("Rédiger un devis lisible — non évalué")))
            #expect(try await trainees[1].get(path).status == .notFound, "someone else's certificate")
            // Mailed once to those who attended.
            let job = JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID())
            try await CertificatesJob().run(job)
            try await CertificatesJob().run(job)
            await ctx.runJobs()
            let mails = ctx.mailer.messages(to: "une@example.org").filter { $0.subject.hasPrefix("Votre certificat") }
            #expect(mails.count == 1)
            #expect(String(decoding: try #require(mails.first?.attachments.first).data.prefix(8), as: UTF8.self) == "%PDF-1.4")
            #expect(ctx.mailer.messages(to: "deux@example.org").filter { $0.subject.hasPrefix("Votre certificat") }.isEmpty, "did not attend")
            try await signIn(admin)
            #expect(try await admin.get(path).status == .ok)
        }
    }
}

@Suite("Keeping training records")
struct TrainingRetentionTests {
    @Test("Erasing a trainee who attended closes the account; their name stays on the attendance sheet and certificate for three years (six when co-funded), then goes")
    func retention() async throws {
        try await withMaillon { ctx in
            let (session, halfDays, trainer, trainees, admin) = try await sessionUnderway(ctx)
            let sessionID = try session.requireID()
            let user = try #require(try await User.query(on: ctx.db).filter(\.$email == "une@example.org").first())
            try await User.query(on: ctx.db).filter(\.$id == user.requireID()).set(\.$name, to: "Ulysse Unique").update()
            try await trainees[0].post("/sign/\(halfDays[0].code)", ["typed": "Ulysse Unique"])
            try await trainer.post("/trainings/sessions/\(sessionID)/attendance/\(halfDays[0].requireID())/countersign", ["typed": "F"])
            let enrolmentID = try #require(try await Enrolment.query(on: ctx.db).filter(\.$user.$id == user.requireID()).first()?.requireID())
            ctx.time.advance(by: 3 * 86400)
            try await signIn(trainees[0], email: "une@example.org")
            try await trainees[0].get("/account/delete")
            #expect(try await trainees[0].post("/account/delete", ["current_password": goodPassword, "confirm": "SUPPRIMER"]).status == .seeOther)
            #expect(try await User.find(user.requireID(), on: ctx.db) == nil, "the account is closed")
            let enrolment = try #require(try await Enrolment.find(enrolmentID, on: ctx.db))
            #expect(enrolment.retainedName == "Ulysse Unique" && enrolment.expectations.isEmpty)
            let years = Recurrence.calendar.dateComponents([.year], from: halfDays[3].endsAt, to: try #require(enrolment.retainedUntil)).year
            #expect(years == 6, "paid by an OPCO: six years")
            try await signIn(admin)
            let certificate = try await admin.get("/trainings/sessions/\(sessionID)/certificates/\(enrolmentID)")
            #expect(String(decoding: certificate.body.readableBytesView, as: UTF8.self).contains("Ulysse Unique"))
            let stored = try await everyStoredValue(ctx.db)
            #expect(stored.filter { $0.contains("Ulysse Unique") }.count == 2, "the retained name and the typed signature: the records the law keeps")
            #expect(!stored.contains { $0.contains("une@example.org") || $0.contains(user.id!.uuidString) })

            ctx.time.advance(by: 6 * 366 * 86400)
            try await HousekeepingJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            #expect(try await Enrolment.find(enrolmentID, on: ctx.db)?.retainedName == nil)
            #expect(!(try await everyStoredValue(ctx.db)).contains { $0.contains("Ulysse Unique") }, "then the name goes, signature included")
            #expect(try await admin.get("/privacy").html.contains("trois ans"))
        }
    }
}

@Suite("Evidence pack")
struct EvidencePackTests {
    @Test("An admin downloads a session's evidence as a ZIP: programme version, rules, convocations, attendance sheet, certificates, assessments, surveys")
    func pack() async throws {
        try await withMaillon { ctx in
            let (session, halfDays, trainer, trainees, admin) = try await sessionUnderway(ctx)
            let sessionID = try session.requireID()
            try await admin.post("/admin/trainings/rules", ["body": "Article 1 — Assiduité."])
            try await trainees[0].post("/sign/\(halfDays[0].code)", ["typed": "Une"])
            #expect(try await trainer.get("/trainings/sessions/\(sessionID)/evidence.zip").status == .forbidden)
            let response = try await admin.get("/trainings/sessions/\(sessionID)/evidence.zip")
            #expect(response.status == .ok && response.headers.contentType?.subType == "zip")
            let archive = try Archive(data: Data(response.body.readableBytesView), accessMode: .read)
            let names = Set(archive.map(\.path))
            for expected in ["programme-v1.pdf", "convocations.csv", "emargement.pdf", "evaluations.csv", "questionnaires.csv"] {
                #expect(names.contains(expected), "\(expected) in \(names.sorted())")
            }
            #expect(names.contains { $0.hasPrefix("certificats/") && $0.hasSuffix(".pdf") })
            var sheet = Data()
            _ = try archive.extract(try #require(archive["emargement.pdf"])) { sheet.append($0) }
            #expect(String(decoding: sheet, as: UTF8.self).hasPrefix("%PDF-1.4"))
        }
    }
}

@Suite("My trainings")
struct MyTrainingsTests {
    @Test("A trainee sees their own sessions, where they stand, the hours signed, their certificate and a survey to answer; nobody else's")
    func mine() async throws {
        try await withMaillon { ctx in
            let (session, halfDays, _, trainees, _) = try await sessionUnderway(ctx)
            let sessionID = try session.requireID()
            try await trainees[0].post("/sign/\(halfDays[0].code)", ["typed": "Une"])
            ctx.time.advance(by: 3 * 86400)
            try await SurveysJob().run(JobContext(application: ctx.app, logger: ctx.app.logger, jobID: UUID()))
            try await signIn(trainees[0], email: "une@example.org")
            let page = try await trainees[0].get("/trainings/mine")
            #expect(page.status == .ok && page.html.contains("Fixer son prix juste") && page.html.contains("3,5 h émargées"))
            #expect(page.html.contains("/trainings/sessions/\(sessionID)/certificates/") && page.html.contains("/trainings/sessions/\(sessionID)/survey/hot"))
            let outsider = try await secondBrowser(ctx, email: "dehors@example.org", role: .member)
            let other = try await outsider.get("/trainings/mine")
            #expect(other.html.contains("Vous n&#39;êtes inscrit·e à aucune formation.") || other.html.contains("Vous n'êtes inscrit·e à aucune formation."))
            #expect(try await ctx.browser().get("/trainings/mine").status == .seeOther)
            #expect(try await ctx.browser(language: "en").get("/trainings").status == .ok)
        }
    }
}
