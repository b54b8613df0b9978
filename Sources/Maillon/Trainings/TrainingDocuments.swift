import Fluent
import Foundation
import SQLKit
import Vapor

/// The documents a session produces, as PDFs: its attendance sheet (every half-day, each trainee's
/// signature and time, the trainer's), and each trainee's certificate of completion (certificat de
/// réalisation) with the hours actually attended, from the signed half-days.
struct TrainingDocuments {
    let database: any Database
    let settings: Settings
    let t: Translator

    struct Facts {
        let session: TrainingSession
        let training: Training
        let event: Event
        let halfDays: [TrainingHalfDay]
        let trainers: [User]
        let enrolments: [Enrolment]
        let names: [UUID: String]
        let attendances: [Attendance]
        let assessments: [ObjectiveAssessment]
        let objectives: [String]
    }

    func facts(_ session: TrainingSession) async throws -> Facts {
        let id = try session.requireID()
        guard let training = try await Training.find(session.$training.id, on: database),
              let event = try await Event.find(session.$event.id, on: database) else { throw PageError.notFound }
        let halfDays = try await TrainingHalfDay.query(on: database).filter(\.$session.$id == id).sort(\.$startsAt).all()
        let trainerIDs = try await TrainingTrainer.query(on: database).filter(\.$session.$id == id).all().compactMap(\.$user.id)
        // Those with a seat, and anyone who attended (an erased trainee's seat is gone; their record stays).
        let attendances = try await Attendance.query(on: database).filter(\.$halfDay.$id ~~ halfDays.compactMap(\.id)).all()
        let attended = Set(attendances.map { $0.$enrolment.id })
        let all = try await Enrolment.query(on: database).filter(\.$session.$id == id).sort(\.$createdAt).all()
        let confirmed = Set(try await Registration.query(on: database).filter(\.$id ~~ all.compactMap(\.$registration.id)).filter(\.$status == .confirmed).all()
            .compactMap(\.id))
        let enrolments = all.filter { enrolment in attended.contains(enrolment.id ?? UUID()) || enrolment.$registration.id.map(confirmed.contains) == true }
        let people = try await User.query(on: database).filter(\.$id ~~ (trainerIDs + enrolments.compactMap(\.$user.id) + halfDays.compactMap(\.$trainer.id))).all()
        let assessments = try await ObjectiveAssessment.query(on: database).filter(\.$enrolment.$id ~~ enrolments.compactMap(\.id)).all()
        return Facts(session: session, training: training, event: event, halfDays: halfDays, trainers: people.filter { trainerIDs.contains($0.id ?? UUID()) },
                     enrolments: enrolments, names: Dictionary(people.map { ($0.id ?? UUID(), $0.name) }, uniquingKeysWith: { a, _ in a }),
                     attendances: attendances, assessments: assessments, objectives: try await SessionObjectives.of(session, on: database))
    }

    /// Hours attended by an enrolment: the half-days signed (or proven by connection), whole.
    static func hoursAttended(_ enrolment: Enrolment, halfDays: [TrainingHalfDay], attendances: [Attendance]) -> Double {
        Attended(attendances, halfDays: halfDays).hours[enrolment.id ?? UUID()] ?? 0
    }

    private func header(_ pdf: inout PDFWriter, _ facts: Facts, title: String) {
        pdf.paragraph(settings.communityName + (settings.trainingOrganisationNumber.map { " — " + t("documents.nda", $0) } ?? ""), size: 10)
        pdf.paragraph(title, size: 18, bold: true, after: 8)
        pdf.paragraph(facts.training.title, size: 13, bold: true)
        let place = facts.event.venueName.isEmpty ? t("training.modality.remote") : [facts.event.venueName, facts.event.venueAddress].filter { !$0.isEmpty }.joined(separator: ", ")
        pdf.paragraph(t("documents.session_line", days(facts), place), size: 10)
        if !facts.trainers.isEmpty { pdf.paragraph(t("documents.trainers", facts.trainers.map(\.name).joined(separator: ", ")), size: 10) }
        pdf.space(10)
    }

    private func days(_ facts: Facts) -> String {
        guard let first = facts.halfDays.first, let last = facts.halfDays.last else { return "" }
        return Recurrence.calendar.isDate(first.startsAt, inSameDayAs: last.endsAt) ? DateFormatting.date(first.startsAt, t.locale)
            : t("session.from_to", DateFormatting.date(first.startsAt, t.locale), DateFormatting.date(last.endsAt, t.locale))
    }

    func attendanceSheet(_ facts: Facts) -> Data {
        var pdf = PDFWriter()
        header(&pdf, facts, title: t("documents.attendance_title"))
        let left = PDFWriter.margin
        for halfDay in facts.halfDays {
            pdf.space(6, needed: 60)
            pdf.paragraph(SessionPage.halfDayLine(halfDay, t), size: 12, bold: true)
            for enrolment in facts.enrolments {
                pdf.space(0, needed: 40)
                let name = enrolment.$user.id.flatMap { facts.names[$0] } ?? enrolment.retainedName ?? t("person.former_member")
                let attendance = facts.attendances.first { $0.$halfDay.id == halfDay.id && $0.$enrolment.id == enrolment.id }
                let top = pdf.cursor + 14
                pdf.text(name, x: left, top: top, size: 10)
                pdf.text(state(attendance), x: left + 190, top: top, size: 10)
                if let attendance, attendance.status == .present {
                    if attendance.signatureKind == .drawn {
                        pdf.signature(attendance.signature, x: left + 360, top: top - 12, width: 120, height: 28)
                    } else if attendance.signatureKind == .typed {
                        pdf.text(attendance.signature, x: left + 360, top: top, size: 10)
                    }
                }
                pdf.line(from: (left, top + 20), to: (PDFWriter.pageWidth - left, top + 20), width: 0.3)
                pdf.space(34)
            }
            if let closed = halfDay.closedAt {
                let top = pdf.cursor + 14
                let trainer = halfDay.$trainer.id.flatMap { facts.names[$0] } ?? ""
                pdf.text(t("documents.countersigned", trainer, DateFormatting.dateTime(closed, t.locale)), x: left, top: top, size: 10, bold: true)
                if halfDay.trainerSignatureKind == .drawn {
                    pdf.signature(halfDay.trainerSignature, x: left + 360, top: top - 12, width: 120, height: 28)
                } else {
                    pdf.text(halfDay.trainerSignature, x: left + 360, top: top, size: 10)
                }
                pdf.space(34)
            } else {
                pdf.paragraph(t("documents.not_countersigned"), size: 10)
            }
        }
        return pdf.render()
    }

    private func state(_ attendance: Attendance?) -> String {
        guard let attendance else { return t("attendance.not_signed") }
        switch (attendance.status, attendance.signatureKind) {
        case (.absent, _): return t("attendance.absent")
        case (.present, .connection?):
            return t("attendance.connected", DateFormatting.time(attendance.connectedFrom ?? Date(), t.locale), DateFormatting.time(attendance.connectedUntil ?? Date(), t.locale))
        case (.present, _): return t("attendance.signed_at", DateFormatting.time(attendance.signedAt ?? Date(), t.locale))
        }
    }

    /// The certificate of completion, following the ministry's model: who, what kind of action, when,
    /// the hours attended, issued by whom (registration number, signature); then the end-of-training
    /// attestation with the objectives.
    func certificate(_ facts: Facts, for enrolment: Enrolment, now: Date) -> Data {
        var pdf = PDFWriter()
        header(&pdf, facts, title: t("documents.certificate_title"))
        let name = enrolment.$user.id.flatMap { facts.names[$0] } ?? enrolment.retainedName ?? t("person.former_member")
        let hours = Self.hoursAttended(enrolment, halfDays: facts.halfDays, attendances: facts.attendances)
        let planned = SessionInput.hours(facts.halfDays.map { ($0.startsAt, $0.endsAt) })
        pdf.paragraph(t("documents.certificate_body", settings.communityName, name, t("enrolment.trainee_status.\(enrolment.traineeStatus.rawValue)")), after: 8)
        pdf.paragraph(t("documents.nature"), bold: true)
        pdf.paragraph(t("documents.nature_value"), after: 8)
        pdf.paragraph(t("documents.dates", days(facts)))
        pdf.paragraph(t("documents.hours", Self.hours(hours, t.locale), Self.hours(planned, t.locale)), bold: true, after: 12)
        // The end-of-training attestation: each objective and where the trainer assessed the trainee.
        pdf.paragraph(t("documents.attestation"), size: 13, bold: true)
        for (index, objective) in facts.objectives.enumerated() {
            let assessed = facts.assessments.first { $0.$enrolment.id == enrolment.id && $0.objectiveIndex == index }?.result
            pdf.paragraph("• " + objective + " — " + (assessed.map { t("assessment.result.\($0.rawValue)") } ?? t("assessment.not_assessed")), indent: 10, after: 2)
        }
        pdf.space(16)
        pdf.paragraph(t("documents.issued", DateFormatting.date(now, t.locale), settings.communityName), after: 6)
        if let path = settings.trainingSignatureImage, let image = FileManager.default.contents(atPath: path) {
            pdf.jpeg(image, x: PDFWriter.margin, top: pdf.cursor, width: 140)
            pdf.space(70)
        }
        return pdf.render()
    }

    static func hours(_ value: Double, _ locale: AppLocale) -> String { DocumentsNumber.decimal(value, locale) }
}

/// Numbers as people read them: "3,5" in French, "3.5" in English; whole numbers without decimals.
enum DocumentsNumber {
    static func decimal(_ value: Double, _ locale: AppLocale) -> String {
        guard value != value.rounded() else { return String(Int(value)) }
        let text = String(format: "%.1f", value)
        return locale == .fr ? text.replacingOccurrences(of: ".", with: ",") : text
    }
}

/// Hourly: once a session has ended, each trainee who attended is mailed their certificate of
/// completion, once (claimed by a conditional update across instances). It stays downloadable.
struct CertificatesJob: Job {
    static let kind = "training-certificates"

    func run(_ context: JobContext) async throws {
        let now = context.now
        let sessions = try await TrainingSession.query(on: context.db).join(Event.self, on: \TrainingSession.$event.$id == \Event.$id)
            .filter(Event.self, \.$status == .scheduled).filter(Event.self, \.$endsAt <= now)
            .filter(Event.self, \.$endsAt > now.addingTimeInterval(-SurveysJob.window)).all()
        for session in sessions {
            let attendees = Set(try await SurveysJob.attendees(of: session.requireID(), on: context.db))
            for enrolment in try await Enrolment.query(on: context.db).filter(\.$session.$id == session.requireID()).filter(\.$certificateSentAt == nil).all() {
                guard let userID = enrolment.$user.id, attendees.contains(userID) else { continue }
                try await context.db.transaction { db in
                    let claimed = try await (db as! any SQLDatabase).update(Enrolment.schema).set("certificate_sent_at", to: now)
                        .where("id", .equal, enrolment.requireID()).where("certificate_sent_at", .is, SQLLiteral.null).returning("id").first()
                    guard claimed != nil, let user = try await User.find(userID, on: db) else { return }
                    let t = Translator(catalogue: context.maillon.catalogue, locale: user.locale ?? .default)
                    let documents = TrainingDocuments(database: db, settings: context.maillon.settings, t: t)
                    let facts = try await documents.facts(session)
                    let file = MailAttachment(filename: "certificat-de-realisation.pdf", contentType: "application/pdf",
                                              data: documents.certificate(facts, for: enrolment, now: now))
                    try await Notifier(application: context.application, database: db, now: now).notify(user, .init(
                        kind: .trainingEnrolment, textKey: "notify.certificate", arguments: [facts.training.title],
                        link: SiteURL.trainingSession(try session.requireID()), attachments: [file]))
                }
            }
        }
    }
}
