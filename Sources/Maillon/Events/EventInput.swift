import Foundation

/// The event form, read and checked: plain rules, no database. `allowedChapters` are the chapters
/// the organiser runs; `allowsNational` says whether they may leave the chapter empty (admins).
struct EventInput {
    var errors = FormErrors()
    var title = "", description = "", venueName = "", venueAddress = "", costNote = ""
    var kind: Event.Kind = .lunch
    var chapter: UUID?
    var startsAt = Date(), endsAt = Date(), registrationDeadline = Date()
    var mapURL: String?, onlineURL: String?
    var capacity = 40
    var visibility: Event.Visibility = .members
    var recurrence: Recurrence?

    static let defaultCapacity = 40

    init(values: [String: String], allowedChapters: Set<UUID>, allowsNational: Bool, now: Date, isNew: Bool) {
        var form = FormReader(values)
        title = form.text("title", max: 120, required: true)
        description = form.text("description", max: 5000, required: true)
        kind = form.choice("kind", as: Event.Kind.self) ?? .lunch
        if kind == .training {
            form.errors.add("kind", "field.invalid_choice")
            kind = .lunch
        }
        let chapterRaw = form.raw("chapter")
        if chapterRaw.isEmpty {
            if !allowsNational { form.errors.add("chapter", "field.required") }
        } else if let id = UUID(uuidString: chapterRaw), allowedChapters.contains(id) {
            chapter = id
        } else {
            form.errors.add("chapter", "field.invalid_choice")
        }
        let start = form.dateTime("starts_at", required: true)
        let end = form.dateTime("ends_at", required: true)
        if let start, isNew, start <= now { form.errors.add("starts_at", "event.starts_in_past") }
        if let start, let end, end <= start { form.errors.add("ends_at", "event.ends_before_start") }
        let deadline = form.dateTime("registration_deadline")
        if let deadline, let start, deadline > start { form.errors.add("registration_deadline", "event.deadline_after_start") }
        startsAt = start ?? now
        endsAt = end ?? now
        // Left empty, the deadline is the start, and follows it when the event moves.
        registrationDeadline = deadline ?? startsAt
        let isOnline = kind == .online
        venueName = form.text("venue_name", max: 120, required: !isOnline)
        venueAddress = form.text("venue_address", max: 300, required: !isOnline)
        mapURL = form.link("map_url")
        onlineURL = form.link("online_url", required: isOnline)
        capacity = form.number("capacity", 1...2000) ?? Self.defaultCapacity
        costNote = form.text("cost_note", max: 200)
        visibility = form.choice("visibility", as: Event.Visibility.self) ?? .members
        if isNew, let start {
            switch form.raw("repeat") {
            case "", "none": recurrence = nil
            case "weekly": recurrence = Recurrence.weekly(like: start)
            case "monthly": recurrence = Recurrence.monthly(like: start)
            case "monthly_last":
                if Recurrence.isLastOfMonth(start) {
                    recurrence = .monthly(week: -1, weekday: Recurrence.calendar.component(.weekday, from: start))
                } else {
                    form.errors.add("repeat", "event.repeat.not_last")
                }
            default: form.errors.add("repeat", "field.invalid_choice")
            }
        }
        errors = form.errors
    }

    func apply(to event: Event) {
        event.title = title
        event.description = description
        event.kind = kind
        event.$chapter.id = chapter
        event.startsAt = startsAt
        event.endsAt = endsAt
        event.registrationDeadline = registrationDeadline
        event.venueName = venueName
        event.venueAddress = venueAddress
        event.mapURL = mapURL
        event.onlineURL = onlineURL
        event.costNote = costNote
        event.visibility = visibility
    }

    /// The form's values for an existing event (to edit it, or to start a copy).
    static func values(of event: Event) -> [String: String] {
        [
            "title": event.title, "description": event.description, "kind": event.kind.rawValue,
            "chapter": event.$chapter.id?.uuidString ?? "",
            "starts_at": FormReader.localDateTimeValue(event.startsAt), "ends_at": FormReader.localDateTimeValue(event.endsAt),
            "registration_deadline": event.hasDefaultDeadline ? "" : FormReader.localDateTimeValue(event.registrationDeadline),
            "venue_name": event.venueName, "venue_address": event.venueAddress, "map_url": event.mapURL ?? "",
            "online_url": event.onlineURL ?? "", "capacity": String(event.capacity), "cost_note": event.costNote,
            "visibility": event.visibility.rawValue,
        ]
    }
}

/// How a series repeats, in Europe/Paris: every week on a weekday, or the nth (or last) weekday of
/// every month. Occurrences keep the first one's time of day across daylight-saving changes.
enum Recurrence: Equatable, Sendable {
    /// `weekday`: 1 = Sunday … 7 = Saturday.
    case weekly(weekday: Int)
    /// `week`: 1…4, or -1 for the last.
    case monthly(week: Int, weekday: Int)

    static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = DateFormatting.timeZone
        return calendar
    }

    static func weekly(like date: Date) -> Recurrence { .weekly(weekday: calendar.component(.weekday, from: date)) }

    /// The same rank in the month as `date`: its 5th weekday counts as the last.
    static func monthly(like date: Date) -> Recurrence {
        let parts = calendar.dateComponents([.day, .weekday], from: date)
        let week = ((parts.day ?? 1) - 1) / 7 + 1
        return .monthly(week: week >= 5 ? -1 : week, weekday: parts.weekday ?? 1)
    }

    /// Whether no later day of `date`'s month falls on the same weekday (25 December 2026 is the last Friday).
    static func isLastOfMonth(_ date: Date) -> Bool {
        let calendar = Self.calendar
        guard let later = calendar.date(byAdding: .day, value: 7, to: date) else { return false }
        return calendar.component(.month, from: later) != calendar.component(.month, from: date)
    }

    /// A moment before `from`, at `hour`:`minute` Paris time, from which `occurrences(after:)` walks on
    /// to this rule's dates from `from` on: where a changed series starts again.
    func anchor(before from: Date, hour: Int, minute: Int) -> Date? {
        let calendar = Self.calendar
        let day = calendar.startOfDay(for: from)
        let anchorDay: Date?
        switch self {
        case let .weekly(weekday):
            let shift = (weekday - calendar.component(.weekday, from: day) + 7) % 7
            anchorDay = calendar.date(byAdding: .day, value: shift - 7, to: day)
        case .monthly:
            anchorDay = calendar.date(byAdding: .month, value: -1, to: day)
        }
        return anchorDay.flatMap { calendar.date(bySettingHour: hour, minute: minute, second: 0, of: $0) }
    }

    var frequency: String { if case .weekly = self { "weekly" } else { "monthly" } }
    var weekday: Int { switch self { case let .weekly(day), let .monthly(_, day): day } }
    var week: Int? { if case let .monthly(week, _) = self { week } else { nil } }

    init?(frequency: String, weekday: Int, week: Int?) {
        switch (frequency, week) {
        case ("weekly", _): self = .weekly(weekday: weekday)
        case let ("monthly", week?): self = .monthly(week: week, weekday: weekday)
        default: return nil
        }
    }

    /// Start times after `first` (at its time of day) up to `until`, at most `limit`.
    func occurrences(after first: Date, until: Date, limit: Int = 60) -> [Date] {
        let calendar = Self.calendar
        let time = calendar.dateComponents([.hour, .minute], from: first)
        var dates: [Date] = []
        switch self {
        case .weekly:
            var step = 1
            while dates.count < limit, let next = calendar.date(byAdding: .day, value: 7 * step, to: first), next <= until {
                dates.append(next)
                step += 1
            }
        case let .monthly(week, weekday):
            var month = calendar.dateComponents([.year, .month], from: first)
            while dates.count < limit {
                month.month = (month.month ?? 1) + 1
                guard let start = calendar.date(from: month),
                      let days = calendar.range(of: .day, in: .month, for: start) else { break }
                let normal = calendar.dateComponents([.year, .month], from: start)
                month = normal
                let matching = days.compactMap { day -> Int? in
                    var parts = normal
                    parts.day = day
                    guard let date = calendar.date(from: parts), calendar.component(.weekday, from: date) == weekday else { return nil }
                    return day
                }
                let day = week == -1 ? matching.last : (matching.count >= week ? matching[week - 1] : nil)
                var parts = normal
                parts.day = day
                parts.hour = time.hour
                parts.minute = time.minute
                guard let date = calendar.date(from: parts) else { continue }
                if date > until { break }
                dates.append(date)
            }
        }
        return dates
    }
}
