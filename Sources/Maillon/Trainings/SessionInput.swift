import Foundation

/// The form that schedules a session, read and checked: plain rules, no database. Days are given one
/// per row (a date and which half-days), with the session's morning and afternoon times.
struct SessionInput {
    enum Part: String, CaseIterable { case both, morning, afternoon }

    static let daySlots = 6

    var errors = FormErrors()
    /// Start and end of each half-day, in order.
    var halfDays: [(start: Date, end: Date)] = []
    var venueName = "", venueAddress = ""
    var mapURL: String?, onlineURL: String?
    var capacity = 12
    var price = 0
    var trainerEmails: [String] = []
    var registrationDeadline: Date?

    init(values: [String: String], modality: TrainingContent.Modality?, now: Date) {
        var form = FormReader(values)
        let morning = Self.times(form.raw("morning_start"), form.raw("morning_end"))
        let afternoon = Self.times(form.raw("afternoon_start"), form.raw("afternoon_end"))
        if morning == nil { form.errors.add("morning_start", "session.times_invalid") }
        if afternoon == nil { form.errors.add("afternoon_start", "session.times_invalid") }
        if let morning, let afternoon, morning.end > afternoon.start { form.errors.add("afternoon_start", "session.afternoon_before_morning") }
        var days: Set<Date> = []
        for slot in 1...Self.daySlots {
            guard let day = form.date("day\(slot)") else { continue }
            guard days.insert(day).inserted else { form.errors.add("day\(slot)", "session.day_twice"); continue }
            if day < Recurrence.calendar.startOfDay(for: now) { form.errors.add("day\(slot)", "session.day_past") }
            let part = form.raw("day\(slot)_part").isEmpty ? .both : form.choice("day\(slot)_part", as: Part.self) ?? .both
            for (wanted, times) in [(part != .afternoon, morning), (part != .morning, afternoon)] where wanted {
                guard let times, let start = Self.at(day, times.start), let end = Self.at(day, times.end) else { continue }
                halfDays.append((start, end))
            }
        }
        if days.isEmpty, form.errors["day1"] == nil { form.errors.add("day1", "session.no_day") }
        halfDays.sort { $0.start < $1.start }
        venueName = form.text("venue_name", max: 120, required: modality != .remote)
        venueAddress = form.text("venue_address", max: 300, required: modality != .remote)
        mapURL = form.link("map_url")
        onlineURL = form.link("online_url", required: modality != .inPerson)
        capacity = form.number("capacity", 1...500, required: true) ?? capacity
        price = form.number("price", 0...100_000, required: true) ?? price
        trainerEmails = form.text("trainers", max: 1000, required: true).split(whereSeparator: { $0 == "," || $0 == ";" || $0.isWhitespace })
            .map { EmailAddress.normalise(String($0)) }.filter { !$0.isEmpty }
        if trainerEmails.count > 5 { form.errors.add("trainers", "session.too_many_trainers") }
        if let deadline = form.date("registration_deadline") {
            // Enrolment closes at the end of that day, and never after the start.
            let end = deadline.addingTimeInterval(86400 - 60)
            if let first = halfDays.first?.start, end > first { form.errors.add("registration_deadline", "session.deadline_after_start") }
            registrationDeadline = end
        }
        errors = form.errors
    }

    /// "09:00" and "12:30" as minutes of the day, the end after the start.
    static func times(_ start: String, _ end: String) -> (start: Int, end: Int)? {
        func minutes(_ text: String) -> Int? {
            let parts = text.split(separator: ":")
            guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }), let hour = Int(parts[0]), let minute = Int(parts[1]),
                  (0...23).contains(hour), (0...59).contains(minute) else { return nil }
            return hour * 60 + minute
        }
        guard let from = minutes(start), let to = minutes(end), from < to else { return nil }
        return (from, to)
    }

    /// The moment `minutes` after midnight on `day`, Paris time (nil on the night the clocks skip it).
    static func at(_ day: Date, _ minutes: Int) -> Date? {
        let calendar = Recurrence.calendar
        var components = calendar.dateComponents([.year, .month, .day], from: day)
        components.hour = minutes / 60
        components.minute = minutes % 60
        return calendar.date(from: components)
    }

    /// Hours of training in these half-days.
    static func hours(_ halfDays: [(start: Date, end: Date)]) -> Double {
        halfDays.reduce(0) { $0 + $1.end.timeIntervalSince($1.start) } / 3600
    }
}
