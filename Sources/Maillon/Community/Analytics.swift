import Fluent
import Foundation
import SQLKit
import Vapor

/// A range of whole months, Paris time: from the first day of `first` to the end of `last`.
struct MonthRange: Sendable, Equatable {
    let first: Date
    let last: Date

    static func lastMonths(_ count: Int, now: Date) -> MonthRange {
        let calendar = Schedule.calendar
        let current = calendar.date(from: calendar.dateComponents([.year, .month], from: now)) ?? now
        return MonthRange(first: calendar.date(byAdding: .month, value: -(count - 1), to: current) ?? current, last: current)
    }

    /// `2026-03` → the first instant of that month.
    static func month(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
              (2000...2100).contains(year), (1...12).contains(month) else { return nil }
        return Schedule.calendar.date(from: DateComponents(year: year, month: month, day: 1))
    }

    var start: Date { first }
    var end: Date { Schedule.calendar.date(byAdding: .month, value: 1, to: last) ?? last }

    /// Each month's key (`2026-03`) and start, oldest first.
    var months: [(key: String, start: Date)] {
        var months: [(String, Date)] = []
        var cursor = first
        while cursor <= last, months.count < 120 {
            months.append((Month.key(cursor), cursor))
            cursor = Schedule.calendar.date(byAdding: .month, value: 1, to: cursor) ?? last.addingTimeInterval(1)
        }
        return months
    }
}

/// A bar chart drawn on the server as SVG: bars in groups (one group a month, one bar a series), the
/// same figures as a table for screen readers, and a CSV download. No script, no chart framework.
struct ChartModel: Encodable, Sendable {
    struct Bar: Encodable, Sendable {
        let x: Int, y: Int, width: Int, height: Int
        let series: Int
        let title: String
    }

    struct Tick: Encodable, Sendable {
        let x: Int, y: Int
        let label: String
    }

    let id: String
    let title: String
    let summary: String
    let width: Int
    let height: Int
    let bars: [Bar]
    let ticks: [Tick]
    let legend: [String]
    let headers: [String]
    let rows: [[String]]
    var csvURL: String?

    static let width = 720, height = 260, bottom = 40, top = 16

    /// `groups`: a label and one value per series.
    init(id: String, title: String, series: [String], groups: [(label: String, values: [Int])], summary: String) {
        self.id = id
        self.title = title
        self.summary = summary
        width = Self.width
        height = Self.height
        legend = series
        let maximum = max(1, groups.flatMap(\.values).max() ?? 1)
        let slot = max(1, (Self.width - 20) / max(1, groups.count))
        let barWidth = max(2, (slot - 6) / max(1, series.count))
        let plot = Self.height - Self.bottom - Self.top
        var bars: [Bar] = [], ticks: [Tick] = []
        for (index, group) in groups.enumerated() {
            let left = 10 + index * slot
            for (s, value) in group.values.enumerated() {
                let h = value * plot / maximum
                bars.append(Bar(x: left + 3 + s * barWidth, y: Self.top + plot - h, width: barWidth - 1, height: max(h, value > 0 ? 1 : 0), series: s,
                                title: "\(group.label) · \(series.indices.contains(s) ? series[s] : ""): \(value)"))
            }
            // Every label when few, else every other one, so they never overlap.
            if groups.count <= 12 || index % 2 == 0 { ticks.append(Tick(x: left + slot / 2, y: Self.height - Self.bottom + 16, label: group.label)) }
        }
        self.bars = bars
        self.ticks = ticks
        headers = [""] + series
        rows = groups.map { [$0.label] + $0.values.map(String.init) }
    }

    var csv: String {
        ([headers] + rows).map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// A field quoted when it must be, and never read as a formula by a spreadsheet.
    static func csvField(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@".contains(first), Int(text) == nil { text = "'" + text }
        return text.contains(where: { ",\"\r\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}

/// The community's figures over a range of months, for some chapters (nil: all): each a query or two,
/// grouped by month in Swift.
struct CommunityFigures {
    let db: any SQLDatabase
    /// nil: every chapter.
    let chapters: [UUID]?
    let range: MonthRange

    private func inChapters(_ column: String) -> SQLQueryString {
        guard let chapters else { return "1 = 1" }
        guard !chapters.isEmpty else { return "1 = 0" }
        return "\(unsafeRaw: column) IN (\(binds: chapters))"
    }

    /// Members (not staff, applicants or organisations' contacts) among the profiles, by the role
    /// index rather than a lookup of every account.
    private var membersOnly: SQLQueryString { "p.user_id NOT IN (\(Role.nonMemberAccounts))" }

    /// How many rows of `source` (a `FROM … WHERE …`) fall in each month of the range by their
    /// `column`: the months' bounds computed here (Paris time), the counting done by the database in
    /// one pass, so a chart of 50,000 people reads no row into Swift.
    private func countByMonth(_ column: String, from source: SQLQueryString) async throws -> [String: Int] {
        let months = range.months
        guard !months.isEmpty else { return [:] }
        var query: SQLQueryString = "SELECT "
        for (index, month) in months.enumerated() {
            let end = index + 1 < months.count ? months[index + 1].start : range.end
            query = query + (index == 0 ? "" : ", ")
                + "SUM(CASE WHEN \(unsafeRaw: column) >= \(bind: month.start) AND \(unsafeRaw: column) < \(bind: end) THEN 1 ELSE 0 END) AS m\(unsafeRaw: String(index))"
        }
        query = query + " " + source + " AND \(unsafeRaw: column) >= \(bind: range.start) AND \(unsafeRaw: column) < \(bind: range.end)"
        guard let row = try await db.raw(query).first() else { return [:] }
        var counts: [String: Int] = [:]
        for (index, month) in months.enumerated() { counts[month.key] = try row.decode(column: "m\(index)", as: Int?.self) ?? 0 }
        return counts
    }

    /// Members at the end of each month (by the day they joined their chapter).
    func members(_ t: Translator) async throws -> ChartModel {
        let before = try await db.raw("""
            SELECT COUNT(*) AS n FROM profiles p WHERE \(membersOnly) AND \(inChapters("p.home_chapter_id")) AND p.joined_at < \(bind: range.start)
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        let joined = try await countByMonth("p.joined_at", from: "FROM profiles p WHERE \(membersOnly) AND \(inChapters("p.home_chapter_id"))")
        var running = before
        let groups = range.months.map { month -> (label: String, values: [Int]) in
            running += joined[month.key] ?? 0
            return (month.key, [running, joined[month.key] ?? 0])
        }
        return ChartModel(id: "members", title: t("analytics.chart.members"), series: [t("analytics.series.members"), t("analytics.series.joined")],
                          groups: groups, summary: t("analytics.summary.members", String(before), String(running)))
    }

    /// Applications sent in the range, and what became of them.
    func applications(_ t: Translator) async throws -> ChartModel {
        var counts: [String: Int] = [:]
        for row in try await db.raw("""
            SELECT status, COUNT(*) AS n FROM \(ident: MembershipApplication.schema) WHERE \(inChapters("chapter_id"))
            AND created_at >= \(bind: range.start) AND created_at < \(bind: range.end) GROUP BY status
            """).all() {
            counts[try row.decode(column: "status", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        let sent = counts.values.reduce(0, +)
        let decided = (counts["accepted"] ?? 0) + (counts["declined"] ?? 0)
        let stages: [(String, Int)] = [(t("analytics.funnel.sent"), sent), (t("analytics.funnel.decided"), decided), (t("analytics.funnel.accepted"), counts["accepted"] ?? 0)]
        return ChartModel(id: "applications", title: t("analytics.chart.applications"), series: [t("analytics.series.applications")],
                          groups: stages.map { ($0.0, [$0.1]) }, summary: t("analytics.summary.applications", String(sent), String(counts["accepted"] ?? 0)))
    }

    struct EventFigure {
        let month: String
        let kind: String
        let capacity: Int
        let confirmed: Int
        let attended: Int
        let noShows: Int
    }

    /// Past community events of the range (trainings left out), with their registrations' outcome.
    func events() async throws -> [EventFigure] {
        try await db.raw("""
            SELECT e.starts_at, e.kind, e.capacity, e.confirmed_count,
              (SELECT COUNT(*) FROM event_registrations r WHERE r.event_id = e.id AND r.attendance = \(bind: Registration.Attendance.attended.rawValue)) AS attended,
              (SELECT COUNT(*) FROM event_registrations r WHERE r.event_id = e.id AND r.attendance = \(bind: Registration.Attendance.noShow.rawValue)) AS no_shows
            FROM events e WHERE e.status = \(bind: Event.Status.scheduled.rawValue) AND e.kind <> \(bind: Event.Kind.training.rawValue)
            AND \(inChapters("e.chapter_id")) AND e.starts_at >= \(bind: range.start) AND e.starts_at < \(bind: range.end)
            """).all().map {
            EventFigure(month: Month.key(try $0.decode(column: "starts_at", as: Date.self)), kind: try $0.decode(column: "kind", as: String.self),
                        capacity: try $0.decode(column: "capacity", as: Int.self), confirmed: try $0.decode(column: "confirmed_count", as: Int.self),
                        attended: try $0.decode(column: "attended", as: Int.self), noShows: try $0.decode(column: "no_shows", as: Int.self))
        }
    }

    func eventsChart(_ events: [EventFigure], _ t: Translator) -> ChartModel {
        let counts = Dictionary(grouping: events, by: \.month)
        return ChartModel(id: "events", title: t("analytics.chart.events"), series: [t("analytics.series.events")],
                          groups: range.months.map { ($0.key, [counts[$0.key]?.count ?? 0]) }, summary: t("analytics.summary.events", String(events.count)))
    }

    /// Each chapter's events over the range, side by side (every chapter's figures, for admins).
    func eventsPerChapterChart(_ t: Translator) async throws -> ChartModel {
        var counts: [String: (events: Int, attended: Int)] = [:]
        for row in try await db.raw("""
            SELECT c.name, COUNT(DISTINCT e.id) AS n, COUNT(r.id) AS attended
            FROM chapters c LEFT JOIN events e ON e.chapter_id = c.id AND e.status = \(bind: Event.Status.scheduled.rawValue) AND e.kind <> \(bind: Event.Kind.training.rawValue)
              AND e.starts_at >= \(bind: range.start) AND e.starts_at < \(bind: range.end)
            LEFT JOIN event_registrations r ON r.event_id = e.id AND r.attendance = \(bind: Registration.Attendance.attended.rawValue)
            WHERE \(inChapters("c.id")) GROUP BY c.name ORDER BY c.name
            """).all() {
            counts[try row.decode(column: "name", as: String.self)] = (try row.decode(column: "n", as: Int.self), try row.decode(column: "attended", as: Int.self))
        }
        let names = counts.keys.sorted()
        return ChartModel(id: "chapters", title: t("analytics.chart.chapters"), series: [t("analytics.series.events"), t("analytics.series.attended")],
                          groups: names.map { ($0, [counts[$0]?.events ?? 0, counts[$0]?.attended ?? 0]) },
                          summary: t("analytics.summary.chapters", String(names.count)))
    }

    func attendanceChart(_ events: [EventFigure], _ t: Translator) -> ChartModel {
        let byMonth = Dictionary(grouping: events, by: \.month)
        let groups = range.months.map { month -> (label: String, values: [Int]) in
            let list = byMonth[month.key] ?? []
            return (month.key, [list.reduce(0) { $0 + $1.attended }, list.reduce(0) { $0 + $1.capacity }])
        }
        let attended = events.reduce(0) { $0 + $1.attended }, capacity = events.reduce(0) { $0 + $1.capacity }
        return ChartModel(id: "attendance", title: t("analytics.chart.attendance"), series: [t("analytics.series.attended"), t("analytics.series.capacity")],
                          groups: groups, summary: t("analytics.summary.attendance", String(attended), String(capacity)))
    }

    /// The console's trend: the same chart for a chapter over twelve months.
    func attendanceChart(_ t: Translator) async throws -> ChartModel { attendanceChart(try await events(), t) }

    /// Fill (confirmed against capacity) and no-shows (against confirmed), in percent, each month.
    func ratesChart(_ events: [EventFigure], _ t: Translator) -> ChartModel {
        let byMonth = Dictionary(grouping: events, by: \.month)
        let groups = range.months.map { month -> (label: String, values: [Int]) in
            let list = byMonth[month.key] ?? []
            let capacity = list.reduce(0) { $0 + $1.capacity }, confirmed = list.reduce(0) { $0 + $1.confirmed }
            let noShows = list.reduce(0) { $0 + $1.noShows }
            return (month.key, [capacity > 0 ? confirmed * 100 / capacity : 0, confirmed > 0 ? noShows * 100 / confirmed : 0])
        }
        return ChartModel(id: "rates", title: t("analytics.chart.rates"), series: [t("analytics.series.fill"), t("analytics.series.no_shows")],
                          groups: groups, summary: t("analytics.summary.rates"))
    }

    /// The monthly meal against its capacity (about forty), month by month.
    func mealChart(_ events: [EventFigure], _ t: Translator) -> ChartModel {
        let meals = events.filter { $0.kind == Event.Kind.monthlyMeal.rawValue }
        let byMonth = Dictionary(grouping: meals, by: \.month)
        let groups = range.months.map { month -> (label: String, values: [Int]) in
            let list = byMonth[month.key] ?? []
            return (month.key, [list.reduce(0) { $0 + $1.attended }, list.reduce(0) { $0 + $1.capacity }])
        }
        return ChartModel(id: "meal", title: t("analytics.chart.meal"), series: [t("analytics.series.attended"), t("analytics.series.capacity")],
                          groups: groups, summary: t("analytics.summary.meal", String(meals.count)))
    }

    /// Binômes that said they met, each month.
    func binomesChart(_ t: Translator) async throws -> ChartModel {
        var met: [String: Int] = [:], paired: [String: Int] = [:]
        let months = range.months.map(\.key)
        // People, not pairs: a chapter's members in a binôme (a remote partner counts for their own
        // chapter), straight from `pairing_members_month_idx`.
        let ofChapters: SQLQueryString = chapters == nil ? "1 = 1" : "pm.user_id IN (SELECT p.user_id FROM profiles p WHERE \(inChapters("p.home_chapter_id")))"
        for row in try await db.raw("""
            SELECT pm.month, pm.outcome, COUNT(*) AS n FROM pairing_members pm
            WHERE pm.month IN (\(binds: months)) AND \(ofChapters) GROUP BY pm.month, pm.outcome
            """).all() {
            let month = try row.decode(column: "month", as: String.self), n = try row.decode(column: "n", as: Int.self)
            if try row.decode(column: "outcome", as: String.self) == PairingMember.Outcome.met.rawValue { met[month, default: 0] += n }
            paired[month, default: 0] += n
        }
        return ChartModel(id: "binomes", title: t("analytics.chart.binomes"), series: [t("analytics.series.binomes"), t("analytics.series.met")],
                          groups: months.map { ($0, [paired[$0] ?? 0, met[$0] ?? 0]) },
                          summary: t("analytics.summary.binomes", String(met.values.reduce(0, +))))
    }

    /// Missions and trainings of the range, in a few words.
    func missionsAndTrainings(_ t: Translator) async throws -> [String] {
        var statuses: [String: Int] = [:]
        for row in try await db.raw("""
            SELECT status, COUNT(*) AS n FROM missions WHERE \(inChapters("chapter_id")) AND created_at >= \(bind: range.start) AND created_at < \(bind: range.end) GROUP BY status
            """).all() {
            statuses[try row.decode(column: "status", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        let published = ["published", "awarded", "delivered", "completed", "expired"].reduce(0) { $0 + (statuses[$1] ?? 0) }
        let awarded = ["awarded", "delivered", "completed"].reduce(0) { $0 + (statuses[$1] ?? 0) }
        let sessions = try await db.raw("""
            SELECT COUNT(*) AS n FROM events WHERE kind = \(bind: Event.Kind.training.rawValue) AND status = \(bind: Event.Status.scheduled.rawValue)
            AND starts_at >= \(bind: range.start) AND starts_at < \(bind: range.end)
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        let trainees = try await db.raw("""
            SELECT COUNT(*) AS n FROM training_enrolments en JOIN training_sessions s ON s.id = en.session_id JOIN events e ON e.id = s.event_id
            WHERE e.starts_at >= \(bind: range.start) AND e.starts_at < \(bind: range.end)
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        return [t("analytics.missions", String(published), String(awarded), String(statuses["completed"] ?? 0)),
                t("analytics.trainings", String(sessions), String(trainees))]
    }

    /// Active chapters (of those shown) with no event in the last 60 days.
    func dormantChapters(now: Date) async throws -> [String] {
        let since = now.addingTimeInterval(-60 * 86400)
        return try await db.raw("""
            SELECT c.name FROM chapters c WHERE c.status = \(bind: Chapter.Status.active.rawValue) AND \(inChapters("c.id"))
            AND NOT EXISTS (SELECT 1 FROM events e WHERE e.chapter_id = c.id AND e.status = \(bind: Event.Status.scheduled.rawValue) AND e.starts_at >= \(bind: since) AND e.starts_at <= \(bind: now))
            ORDER BY c.name
            """).all().map { try $0.decode(column: "name", as: String.self) }
    }

    /// How many members (of those the radar watches) its last look listed.
    func radar(on database: any Database) async throws -> (listed: Int, watched: Int) {
        let counts = try await RadarWatch.counts(chapters: chapters, on: database).values
        return (counts.reduce(0) { $0 + $1.listed }, counts.reduce(0) { $0 + $1.watched })
    }
}

/// `/analytics`: the charts for admins (every chapter, or one) and ambassadors (their own chapters).
struct AnalyticsPage: Encodable, Sendable {
    let heading: String
    let filter: [FormModel]
    let charts: [ChartModel]
    let figures: [String]
    let dormant: [String]

    /// What the request asks for, checked: the chapters it may see, and the months.
    struct Scope {
        var chapters: [UUID]?
        var chapterSlug: String
        var range: MonthRange
        var values: [String: String]
        var errors = FormErrors()
        var choices: [(slug: String, name: String)]
    }

    static func scope(_ req: Request) async throws -> Scope {
        guard let principal = req.principal, principal.role == .admin || (principal.role == .member && !principal.ambassadorOf.isEmpty) else { throw PageError.forbidden }
        let isAdmin = principal.role == .admin
        let chapters = try await Chapter.query(on: req.db).sort(\.$name).all().filter { isAdmin || principal.ambassadorOf.contains($0.id ?? UUID()) }
        let values = ["chapter": req.query[String.self, at: "chapter"] ?? "", "from": req.query[String.self, at: "from"] ?? "", "to": req.query[String.self, at: "to"] ?? ""]
        var scope = Scope(chapters: nil, chapterSlug: values["chapter"] ?? "", range: .lastMonths(12, now: req.now), values: values,
                          choices: chapters.map { ($0.slug, $0.name) })
        if let slug = values["chapter"], !slug.isEmpty {
            // An ambassador asking for another chapter is refused, not shown an empty page.
            guard let chapter = chapters.first(where: { $0.slug == slug }) else { throw PageError.forbidden }
            scope.chapters = [chapter.id ?? UUID()]
        } else if !isAdmin {
            scope.chapters = chapters.compactMap(\.id)
        }
        let from = values["from"].flatMap { $0.isEmpty ? nil : $0 }, to = values["to"].flatMap { $0.isEmpty ? nil : $0 }
        let first = from.map { MonthRange.month($0) } ?? scope.range.first, last = to.map { MonthRange.month($0) } ?? scope.range.last
        if first == nil { scope.errors.add("from", "analytics.month_invalid") }
        if last == nil { scope.errors.add("to", "analytics.month_invalid") }
        if let first, let last {
            if first > last { scope.errors.add("to", "analytics.range_order") }
            else if (Schedule.calendar.dateComponents([.month], from: first, to: last).month ?? 0) >= 60 { scope.errors.add("to", "analytics.range_too_long") }
            else { scope.range = MonthRange(first: first, last: last) }
        }
        return scope
    }

    static let eventCharts: Set = ["events", "attendance", "rates", "meal"]

    /// The charts in page order, or only the one named `only` (a CSV download computes nothing else).
    static func charts(_ req: Request, _ scope: Scope, only: String? = nil) async throws -> (charts: [ChartModel], figures: CommunityFigures) {
        let t = req.t
        let figures = CommunityFigures(db: req.db as! any SQLDatabase, chapters: scope.chapters, range: scope.range)
        func wanted(_ id: String) -> Bool { only == nil || only == id }
        let events = only.map(eventCharts.contains) ?? true ? try await figures.events() : []
        var charts: [ChartModel] = []
        if wanted("members") { charts.append(try await figures.members(t)) }
        if wanted("applications") { charts.append(try await figures.applications(t)) }
        if wanted("events") { charts.append(figures.eventsChart(events, t)) }
        // Side by side, chapters are for whoever sees several.
        if wanted("chapters"), scope.chapters.map({ $0.count > 1 }) ?? true { charts.append(try await figures.eventsPerChapterChart(t)) }
        if wanted("attendance") { charts.append(figures.attendanceChart(events, t)) }
        if wanted("rates") { charts.append(figures.ratesChart(events, t)) }
        if wanted("meal") { charts.append(figures.mealChart(events, t)) }
        if wanted("binomes") { charts.append(try await figures.binomesChart(t)) }
        for index in charts.indices {
            var query = ["chart=\(charts[index].id)"]
            for key in ["chapter", "from", "to"] { if let value = scope.values[key], !value.isEmpty, scope.errors.isEmpty { query.append("\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")") } }
            charts[index].csvURL = SiteURL.analyticsCSV + "?" + query.joined(separator: "&")
        }
        return (charts, figures)
    }

    static func build(_ req: Request, _ scope: Scope) async throws -> AnalyticsPage {
        let t = req.t
        let (charts, figures) = try await charts(req, scope)
        let radar = try await figures.radar(on: req.db)
        let isAdmin = req.currentUser?.role == .admin
        let filter = FormModel(id: "analytics-filter", action: SiteURL.analytics, submitLabel: t("analytics.apply"), method: "get", fields: [
            .init(name: "chapter", label: t("analytics.field.chapter"), type: "select", options:
                    (isAdmin ? [.init(value: "", label: t("analytics.all_chapters"), selected: scope.chapterSlug.isEmpty)] : [.init(value: "", label: t("analytics.my_chapters"), selected: scope.chapterSlug.isEmpty)])
                    + scope.choices.map { .init(value: $0.slug, label: $0.name, selected: $0.slug == scope.chapterSlug) }),
            .init(name: "from", label: t("analytics.field.from"), type: "month", value: scope.values["from"].flatMap { $0.isEmpty ? nil : $0 } ?? Month.key(scope.range.first),
                  error: scope.errors["from"].map { t($0) }, hint: t("analytics.field.month_hint"), required: false),
            .init(name: "to", label: t("analytics.field.to"), type: "month", value: scope.values["to"].flatMap { $0.isEmpty ? nil : $0 } ?? Month.key(scope.range.last),
                  error: scope.errors["to"].map { t($0) }, hint: t("analytics.field.month_hint"), required: false),
        ], errorSummary: scope.errors.isEmpty ? nil : t("form.has_errors"))
        return AnalyticsPage(
            heading: t("analytics.heading"), filter: [filter], charts: charts,
            figures: try await figures.missionsAndTrainings(t) + [t("analytics.radar", String(radar.listed), String(radar.watched))],
            dormant: try await figures.dormantChapters(now: req.now))
    }
}
