import Fluent
import Foundation
import Vapor

/// The yearly Bilan Pédagogique et Financier: trainees and hours-trainees by status, by funding and
/// by training; trainers and their hours; income by funding — from the sessions held that calendar
/// year (Paris time) and the half-days actually attended. Before the figures, the gaps that would
/// make them wrong.
struct BPF: Sendable {
    struct Line: Sendable, Equatable {
        var trainees = 0
        var hours = 0.0
        var income = 0
    }

    struct Gap: Sendable, Equatable {
        let key: String
        let session: String
        let url: String
    }

    var byStatus: [Enrolment.TraineeStatus: Line] = [:]
    var byFunding: [Enrolment.Funding: Line] = [:]
    var byTraining: [String: Line] = [:]
    /// Trainer's name → hours, internal (the organisation's admins) or external (members).
    var trainers: [String: (internal: Bool, hours: Double)] = [:]
    var total = Line()
    var gaps: [Gap] = []

    static func compute(year: Int, now: Date, on db: any Database, t: Translator) async throws -> BPF {
        let calendar = Recurrence.calendar
        guard let start = calendar.date(from: DateComponents(year: year, month: 1, day: 1)),
              let end = calendar.date(from: DateComponents(year: year + 1, month: 1, day: 1)) else { return BPF() }
        let halfDays = try await TrainingHalfDay.query(on: db).filter(\.$startsAt >= start).filter(\.$startsAt < end).all()
        let sessionIDs = Array(Set(halfDays.map { $0.$session.id }))
        let sessions = try await TrainingSession.query(on: db).filter(\.$id ~~ sessionIDs).with(\.$training).with(\.$event).all()
        let enrolments = try await Enrolment.query(on: db).filter(\.$session.$id ~~ sessionIDs).all()
        let attendances = try await Attendance.query(on: db).filter(\.$halfDay.$id ~~ halfDays.compactMap(\.id)).filter(\.$status == .present).all()
        let trainerRows = try await TrainingTrainer.query(on: db).filter(\.$session.$id ~~ sessionIDs).all()
        let trainerUsers = Dictionary(try await User.query(on: db).filter(\.$id ~~ trainerRows.compactMap(\.$user.id)).all().map { ($0.id ?? UUID(), $0) },
                                      uniquingKeysWith: { a, _ in a })
        var bpf = BPF()
        let halfDayHours = Dictionary(halfDays.map { ($0.id ?? UUID(), $0.endsAt.timeIntervalSince($0.startsAt) / 3600) }, uniquingKeysWith: { a, _ in a })
        let attendedHours = Attended(attendances, halfDays: halfDays).hours
        for session in sessions {
            let sessionID = try session.requireID()
            let hours = halfDays.filter { $0.$session.id == sessionID }.reduce(0) { $0 + (halfDayHours[$1.id ?? UUID()] ?? 0) }
            let name = "\(session.training.title) — \(DateFormatting.date(session.event.startsAt, t.locale))"
            let url = SiteURL.trainingSession(sessionID)
            if hours == 0 { bpf.gaps.append(Gap(key: "bpf.gap.no_hours", session: name, url: url)) }
            if session.price == 0 { bpf.gaps.append(Gap(key: "bpf.gap.price_zero", session: name, url: url)) }
            if session.event.endsAt < now, halfDays.contains(where: { $0.$session.id == sessionID && $0.closedAt == nil }) {
                bpf.gaps.append(Gap(key: "bpf.gap.not_countersigned", session: name, url: SiteURL.trainingAttendance(sessionID)))
            }
            for trainer in trainerRows where trainer.$session.id == sessionID {
                guard let user = trainer.$user.id.flatMap({ trainerUsers[$0] }) else { continue }
                bpf.trainers[user.name, default: (user.role == .admin, 0)].hours += hours
            }
            for enrolment in enrolments where enrolment.$session.id == sessionID {
                guard let hoursAttended = attendedHours[enrolment.id ?? UUID()], hoursAttended > 0 else { continue }
                let line = Line(trainees: 1, hours: hoursAttended, income: session.price)
                bpf.byStatus[enrolment.traineeStatus, default: Line()].add(line)
                bpf.byFunding[enrolment.funding, default: Line()].add(line)
                bpf.byTraining[session.training.title, default: Line()].add(line)
                bpf.total.add(line)
            }
        }
        bpf.gaps.sort { ($0.session, $0.key) < ($1.session, $1.key) }
        return bpf
    }

    /// The figures as CSV (semicolons, as French spreadsheets expect), one section after another.
    func csv(_ t: Translator) -> String {
        var rows = [[t("bpf.csv.section"), t("bpf.csv.line"), t("bpf.trainees"), t("bpf.hours"), t("bpf.income")]]
        func add(_ section: String, _ label: String, _ line: Line) {
            rows.append([section, label, String(line.trainees), DocumentsNumber.decimal(line.hours, t.locale), String(line.income)])
        }
        for status in Enrolment.TraineeStatus.allCases { add(t("bpf.by_status"), t("enrolment.trainee_status.\(status.rawValue)"), byStatus[status] ?? Line()) }
        for funding in Enrolment.Funding.allCases { add(t("bpf.by_funding"), t("enrolment.funding.\(funding.rawValue)"), byFunding[funding] ?? Line()) }
        for (title, line) in byTraining.sorted(by: { $0.key < $1.key }) { add(t("bpf.by_training"), title, line) }
        for (name, trainer) in trainers.sorted(by: { $0.key < $1.key }) {
            rows.append([t("bpf.trainers"), "\(name) (\(t(trainer.internal ? "bpf.internal" : "bpf.external")))", "", DocumentsNumber.decimal(trainer.hours, t.locale), ""])
        }
        add(t("bpf.total"), "", total)
        return rows.map { $0.map(Self.csvField).joined(separator: ";") }.joined(separator: "\r\n") + "\r\n"
    }

    /// A CSV field, quoted when needed; a leading = + - @ is defused so a spreadsheet does not run it.
    static func csvField(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        return value.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
    }
}

extension BPF.Line {
    mutating func add(_ other: BPF.Line) {
        trainees += other.trainees
        hours += other.hours
        income += other.income
    }
}

/// `/admin/trainings/bpf?year=…` and its CSV.
struct BPFController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.adminBPF), use: page)
        routes.get(SiteURL.route(SiteURL.adminBPF + ".csv"), use: csv)
    }

    struct Page: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let label: String
            let trainees: String
            let hours: String
            let income: String
        }

        struct GapRow: Encodable, Sendable {
            let text: String
            let url: String
        }

        let heading: String
        let years: [FormModel]
        let gaps: [GapRow]
        let byStatus: [Row]
        let byFunding: [Row]
        let byTraining: [Row]
        let trainers: [Row]
        let total: Row
        let csvURL: String
    }

    private func year(_ req: Request) -> Int {
        let current = Recurrence.calendar.component(.year, from: req.now)
        guard let raw = req.query[String.self, at: "year"], let year = Int(raw), (2000...(current + 1)).contains(year) else { return current }
        return year
    }

    @Sendable func page(req: Request) async throws -> Response {
        try req.authorize(.manageTrainings)
        let t = req.t
        let year = year(req)
        let bpf = try await BPF.compute(year: year, now: req.now, on: req.db, t: t)
        func row(_ label: String, _ line: BPF.Line) -> Page.Row {
            .init(label: label, trainees: String(line.trainees), hours: DocumentsNumber.decimal(line.hours, req.locale), income: t("bpf.euros", String(line.income)))
        }
        let form = FormModel(id: "year", action: SiteURL.adminBPF, submitLabel: t("bpf.show"), method: "get", fields: [
            .init(name: "year", label: t("bpf.year"), value: String(year), inputmode: "numeric"),
        ])
        let model = Page(
            heading: t("bpf.heading", String(year)), years: [form],
            gaps: bpf.gaps.map { .init(text: t($0.key, $0.session), url: $0.url) },
            byStatus: Enrolment.TraineeStatus.allCases.map { row(t("enrolment.trainee_status.\($0.rawValue)"), bpf.byStatus[$0] ?? BPF.Line()) },
            byFunding: Enrolment.Funding.allCases.map { row(t("enrolment.funding.\($0.rawValue)"), bpf.byFunding[$0] ?? BPF.Line()) },
            byTraining: bpf.byTraining.sorted { $0.key < $1.key }.map { row($0.key, $0.value) },
            trainers: bpf.trainers.sorted { $0.key < $1.key }.map {
                .init(label: "\($0.key) (\(t($0.value.internal ? "bpf.internal" : "bpf.external")))", trainees: "", hours: DocumentsNumber.decimal($0.value.hours, req.locale), income: "")
            },
            total: row(t("bpf.total"), bpf.total), csvURL: "\(SiteURL.adminBPF).csv?year=\(year)")
        return try await req.renderPage("admin-bpf", title: model.heading, model)
    }

    @Sendable func csv(req: Request) async throws -> Response {
        try req.authorize(.manageTrainings)
        let year = year(req)
        let bpf = try await BPF.compute(year: year, now: req.now, on: req.db, t: req.t)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"bpf-\(year).csv\"")
        return Response(status: .ok, headers: headers, body: .init(string: "\u{FEFF}" + bpf.csv(req.t)))
    }
}
