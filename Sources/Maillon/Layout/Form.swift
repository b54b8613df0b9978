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
