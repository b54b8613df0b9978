import Fluent
import Vapor

/// A series as a whole, for its organisers: its dates, a new rule or time from a date on, or its end.
struct SeriesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let series = SiteURL.route(SiteURL.eventSeriesRoot) + [":id"]
        routes.get(series, use: show)
        routes.post(series + ["change"], use: change)
        routes.post(series + ["end"], use: end)
    }

    struct Page: Encodable, Sendable {
        struct DateRow: Encodable, Sendable {
            let when: String
            let url: String
            /// Why the date stays as it is when the rule changes ("edited on its own", "3 registered").
            let kept: String?
        }

        let heading: String
        let rule: String
        let active: Bool
        let dates: [DateRow]
        /// After a change: the dates kept as they were.
        let notice: String?
        let keptDates: [DateRow]
        let changeForm: [FormModel]
        let endForm: [FormModel]
        let backURL: String
    }

    /// The series, once the reader may run its chapter's events.
    private func series(_ req: Request) async throws -> (EventSeries, Event) {
        guard let id = req.parameters.get("id", as: UUID.self), let series = try await EventSeries.find(id, on: req.db),
              let template = try await Event.find(series.$template.id, on: req.db) else { throw PageError.notFound }
        try req.authorize(.organiseEvent(chapter: series.$chapter.id))
        return (series, template)
    }

    private func row(_ occurrence: SeriesEditor.Occurrence, _ req: Request) -> Page.DateRow {
        let t = req.t
        var reasons: [String] = []
        if occurrence.editedAlone { reasons.append(t("series.edited_alone")) }
        if occurrence.registrations > 0 { reasons.append(t.count("series.registered", occurrence.registrations)) }
        return .init(when: DateFormatting.dateTime(occurrence.event.startsAt, req.locale), url: SiteURL.event(occurrence.event.id ?? UUID()),
                     kept: reasons.isEmpty ? nil : reasons.joined(separator: " · "))
    }

    private func page(_ req: Request, _ series: EventSeries, _ template: Event, values: [String: String] = [:], errors: FormErrors = .init(),
                      kept: [Event]? = nil) async throws -> Page {
        let t = req.t
        let id = try series.requireID()
        let editor = SeriesEditor(application: req.application, database: req.db, now: req.now)
        let dates = try await editor.occurrences(of: series, from: req.now).map { row($0, req) }
        let rule = Recurrence(frequency: series.frequency, weekday: series.weekday, week: series.weekOfMonth)
        let time = FormReader.localDateTimeValue(template.startsAt).suffix(5)
        let today = String(FormReader.localDateTimeValue(req.now).prefix(10))
        func value(_ name: String, _ fallback: String) -> String { values[name] ?? fallback }
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        let frequency = value("frequency", series.frequency == "weekly" ? "weekly" : (series.weekOfMonth == -1 ? "monthly_last" : "monthly"))
        let weekday = value("weekday", String(series.weekday))
        let week = value("week", String(max(1, series.weekOfMonth ?? 1)))
        let change = FormModel(id: "series-change", action: SiteURL.eventSeriesChange(id), submitLabel: t("series.change_submit"), fields: [
            .init(name: "frequency", label: t("series.frequency"), type: "select", value: frequency, error: error("frequency"), options: [
                .init(value: "weekly", label: t("series.frequency.weekly"), selected: frequency == "weekly"),
                .init(value: "monthly", label: t("series.frequency.monthly"), selected: frequency == "monthly"),
                .init(value: "monthly_last", label: t("series.frequency.monthly_last"), selected: frequency == "monthly_last"),
            ]),
            .init(name: "weekday", label: t("series.weekday"), type: "select", value: weekday, error: error("weekday"),
                  options: [2, 3, 4, 5, 6, 7, 1].map { .init(value: String($0), label: t("weekday.\($0)"), selected: String($0) == weekday) }),
            .init(name: "week", label: t("series.week"), type: "select", value: week, error: error("week"), hint: t("series.week_hint"),
                  options: (1...4).map { .init(value: String($0), label: t("event.series.week.\($0)"), selected: String($0) == week) }),
            .init(name: "time", label: t("series.time"), type: "time", value: value("time", String(time)), error: error("time"), hint: t("event.field.time_hint")),
            .init(name: "from", label: t("series.from"), type: "date", value: value("from", today), error: error("from"), hint: t("series.change_from_hint")),
        ], errorSummary: errors.isEmpty || values["form"] != "change" ? nil : t("form.has_errors"), hidden: [.init(name: "form", value: "change")])
        let end = FormModel(id: "series-end", action: SiteURL.eventSeriesEnd(id), submitLabel: t("series.end_submit"), fields: [
            .init(name: "from", label: t("series.from"), type: "date", value: values["form"] == "end" ? value("from", today) : today,
                  error: values["form"] == "end" ? error("from") : nil, hint: t("series.end_from_hint")),
        ], errorSummary: errors.isEmpty || values["form"] != "end" ? nil : t("form.has_errors"), hidden: [.init(name: "form", value: "end")])
        let keptRows = (kept ?? []).map { Page.DateRow(when: DateFormatting.dateTime($0.startsAt, req.locale), url: SiteURL.event($0.id ?? UUID()), kept: nil) }
        return Page(
            heading: template.title, rule: rule.map { EventsController.describe($0, t) } ?? "", active: series.active, dates: dates,
            notice: kept.map { $0.isEmpty ? t("series.changed_all") : t.count("series.changed", $0.count) }, keptDates: keptRows,
            changeForm: [change], endForm: series.active ? [end] : [], backURL: SiteURL.event(try template.requireID()))
    }

    @Sendable func show(req: Request) async throws -> Response {
        let (series, template) = try await series(req)
        return try await req.renderPage("event-series", title: req.t("series.heading"), page(req, series, template))
    }

    /// The first moment of the chosen day in Paris, not before today.
    private func day(_ reader: inout FormReader, now: Date) -> Date? {
        reader.date("from", required: true).map { max($0, Recurrence.calendar.startOfDay(for: now)) }
    }

    @Sendable func change(req: Request) async throws -> Response {
        let (series, template) = try await series(req)
        let values = try await req.formValues()
        var reader = FormReader(values)
        let from = day(&reader, now: req.now)
        let weekday = reader.number("weekday", 1...7, required: true, invalid: "field.invalid_choice")
        let week = reader.number("week", 1...4, invalid: "field.invalid_choice")
        let time = reader.raw("time").split(separator: ":").compactMap { Int($0) }
        if time.count != 2 || !(0...23).contains(time[0]) || !(0...59).contains(time[1]) { reader.errors.add("time", "form.time_invalid") }
        var rule: Recurrence?
        switch reader.raw("frequency") {
        case "weekly": rule = weekday.map { .weekly(weekday: $0) }
        case "monthly": rule = weekday.map { .monthly(week: week ?? 1, weekday: $0) }
        case "monthly_last": rule = weekday.map { .monthly(week: -1, weekday: $0) }
        default: reader.errors.add("frequency", "field.invalid_choice")
        }
        guard reader.errors.isEmpty, let from, let rule else {
            return try await req.renderPage("event-series", title: req.t("series.heading"),
                                            page(req, series, template, values: values, errors: reader.errors), status: .unprocessableEntity)
        }
        let kept = try await req.db.transaction { db in
            try await SeriesEditor(application: req.application, database: db, now: req.now).change(series, to: rule, hour: time[0], minute: time[1], from: from)
        }
        let fresh = try await EventSeries.find(series.requireID(), on: req.db) ?? series
        let freshTemplate = try await Event.find(template.requireID(), on: req.db) ?? template
        return try await req.renderPage("event-series", title: req.t("series.heading"), page(req, fresh, freshTemplate, kept: kept))
    }

    @Sendable func end(req: Request) async throws -> Response {
        let (series, template) = try await series(req)
        let values = try await req.formValues()
        var reader = FormReader(values)
        guard let from = day(&reader, now: req.now) else {
            return try await req.renderPage("event-series", title: req.t("series.heading"),
                                            page(req, series, template, values: values, errors: reader.errors), status: .unprocessableEntity)
        }
        let cancelled = try await req.db.transaction { db in
            try await SeriesEditor(application: req.application, database: db, now: req.now).end(series, from: from)
        }
        try await req.flash(.success, "series.flash.ended", count: cancelled)
        return req.redirect(to: SiteURL.eventSeries(try series.requireID()), redirectType: .normal)
    }
}
