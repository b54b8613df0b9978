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
        guard raw.count <= 300, let url = URL(string: raw), let scheme = url.scheme?.lowercased(),
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
        if value.count > max { errors.add(name, "field.too_long") }
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
        guard let date = Self.localDateTime(value) else { errors.add(name, "form.date_time_invalid"); return nil }
        return date
    }

    static func localDateTime(_ value: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = DateFormatting.timeZone
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: value) { return date }
        }
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
