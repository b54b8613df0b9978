import Foundation

/// One way to draw a form: the `partials/form` template loops over these fields, showing each
/// label, hint, kept value and translated error. Passwords are never sent back.
struct FormModel: Encodable, Sendable {
    struct Field: Encodable, Sendable {
        struct Option: Encodable, Sendable {
            let value: String
            let label: String
            let selected: Bool
        }

        let name: String
        let label: String
        var type: String = "text"
        var value: String = ""
        var error: String? = nil
        var hint: String? = nil
        var autocomplete: String? = nil
        var required: Bool = true
        var options: [Option]? = nil
        var inputmode: String? = nil
    }

    let id: String
    let action: String
    let submitLabel: String
    /// "post" for changes; "get" for filters (no CSRF token needed).
    var method: String = "post"
    var fields: [Field]
    /// Shown above the fields when the form was refused, so screen readers hear it first.
    var errorSummary: String? = nil
    /// Hidden values the form must send back (a token from a link, a `next` path).
    var hidden: [Hidden] = []

    struct Hidden: Encodable, Sendable {
        let name: String
        let value: String
    }
}

/// Field errors collected while validating a submission: field name → catalogue key.
struct FormErrors: Sendable {
    private(set) var keys: [String: String] = [:]

    var isEmpty: Bool { keys.isEmpty }

    mutating func add(_ field: String, _ key: String) {
        if keys[field] == nil { keys[field] = key }
    }

    subscript(field: String) -> String? { keys[field] }
}

/// Links people give are accepted only as http(s) URLs with a host.
enum WebLink {
    static func isValid(_ raw: String) -> Bool {
        guard raw.scalarLength <= 300, let url = URL(string: raw), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host?.isEmpty == false else { return false }
        return true
    }
}

/// Reads a submitted form field by field, collecting errors: the shared steps of every `…Input`.
struct FormReader {
    let values: [String: String]
    var errors = FormErrors()

    init(_ values: [String: String]) { self.values = values }

    func raw(_ name: String) -> String { (values[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }

    mutating func text(_ name: String, max: Int, required: Bool = false) -> String {
        let value = raw(name)
        if required && value.isEmpty { errors.add(name, "field.required") }
        if value.scalarLength > max { errors.add(name, "field.too_long") }
        return value
    }

    mutating func number(_ name: String, _ range: ClosedRange<Int>, required: Bool = false, invalid: String = "form.number_range") -> Int? {
        let value = raw(name)
        guard !value.isEmpty else {
            if required { errors.add(name, "field.required") }
            return nil
        }
        guard let number = Int(value), range.contains(number) else { errors.add(name, invalid); return nil }
        return number
    }

    mutating func link(_ name: String, required: Bool = false) -> String? {
        let value = raw(name)
        guard !value.isEmpty else {
            if required { errors.add(name, "field.required") }
            return nil
        }
        guard WebLink.isValid(value) else { errors.add(name, "profile.link_invalid"); return nil }
        return value
    }

    mutating func choice<T: RawRepresentable>(_ name: String, as type: T.Type) -> T? where T.RawValue == String {
        guard let chosen = T(rawValue: raw(name)) else { errors.add(name, "field.invalid_choice"); return nil }
        return chosen
    }

    /// A `datetime-local` value ("2027-03-04T12:30"), read as Europe/Paris time.
    mutating func dateTime(_ name: String, required: Bool = false) -> Date? {
        let value = raw(name)
        guard !value.isEmpty else {
            if required { errors.add(name, "field.required") }
            return nil
        }
        switch Self.readLocalDateTime(value) {
        case let .valid(date): return date
        case .skipped: errors.add(name, "form.date_time_skipped"); return nil
        case .invalid: errors.add(name, "form.date_time_invalid"); return nil
        }
    }

    enum LocalDateTime: Equatable {
        case valid(Date)
        /// A wall-clock time that does not exist in Paris: the night the clocks go forward.
        case skipped
        case invalid
    }

    /// Reads "2027-03-04T12:30" (seconds optional) as Europe/Paris time.
    static func readLocalDateTime(_ value: String) -> LocalDateTime {
        let parts = value.split(whereSeparator: { $0 == "-" || $0 == "T" || $0 == ":" })
        guard (5...6).contains(parts.count), value.count <= 19, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              parts[0].count == 4, parts.dropFirst().allSatisfy({ $0.count == 2 }) else { return .invalid }
        let numbers = parts.compactMap { Int($0) }
        let wanted = DateComponents(year: numbers[0], month: numbers[1], day: numbers[2], hour: numbers[3], minute: numbers[4],
                                    second: numbers.count > 5 ? numbers[5] : 0)
        guard (1...12).contains(numbers[1]), (1...31).contains(numbers[2]), (0...23).contains(numbers[3]), (0...59).contains(numbers[4]),
              (0...59).contains(wanted.second ?? 0) else { return .invalid }
        let calendar = Recurrence.calendar
        guard let date = calendar.date(from: wanted) else { return .invalid }
        let got = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        if got.year == wanted.year, got.month == wanted.month, got.day == wanted.day, got.hour == wanted.hour, got.minute == wanted.minute {
            return .valid(date)
        }
        // The day exists (31 February does not) but the hour was skipped when the clocks moved on.
        let dayExists = calendar.range(of: .day, in: .month, for: calendar.date(from: DateComponents(year: numbers[0], month: numbers[1], day: 1)) ?? date)?
            .contains(numbers[2]) ?? false
        return dayExists ? .skipped : .invalid
    }

    static func localDateTime(_ value: String) -> Date? {
        if case let .valid(date) = readLocalDateTime(value) { return date }
        return nil
    }

    /// The `datetime-local` form of `date` in Europe/Paris.
    static func localDateTimeValue(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = DateFormatting.timeZone
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return formatter.string(from: date)
    }
}
