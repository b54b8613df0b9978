import Foundation

/// The training form, read and checked: plain rules, no database. A draft may be incomplete; only
/// publishing asks for every mandatory field (`TrainingRules.missing`).
struct TrainingInput {
    var errors = FormErrors()
    var content = TrainingContent()
    var publish = false


    init(values: [String: String]) {
        var form = FormReader(values)
        content.title = form.text("title", max: 140, required: true)
        content.objectives = form.text("objectives", max: 3000)
        content.prerequisites = form.text("prerequisites", max: 2000)
        content.audience = form.text("audience", max: 2000)
        content.hours = form.number("hours", 1...2000)
        content.halfDays = Self.halfDays(form.raw("days"), into: &form)
        let modality = form.raw("modality")
        if !modality.isEmpty { content.modality = form.choice("modality", as: TrainingContent.Modality.self) }
        content.priceInter = form.number("price_inter", 0...100_000)
        content.priceIntra = form.number("price_intra", 0...1_000_000)
        content.accessDelay = form.text("access_delay", max: 500)
        content.methods = form.text("methods", max: 3000)
        content.evaluation = form.text("evaluation", max: 3000)
        content.programme = form.text("programme", max: 6000)
        content.accessibility = form.text("accessibility", max: 2000)
        content.contacts = form.text("contacts", max: 1000)
        if let hours = content.hours, let halfDays = content.halfDays, hours > halfDays * 7 { form.errors.add("hours", "training.hours_too_many") }
        publish = values["publish"] == "yes"
        errors = form.errors
        if publish && errors.isEmpty {
            for field in TrainingRules.missing(content) { errors.add(field, "training.required_to_publish") }
        }
    }

    /// Days as people write them ("2", "0,5", "1.5"): whole or half days, read as half-days.
    static func halfDays(_ raw: String, into form: inout FormReader) -> Int? {
        guard !raw.isEmpty else { return nil }
        guard raw.count <= 6, let days = Double(raw.replacingOccurrences(of: ",", with: ".")), days.isFinite,
              (days * 2).rounded() == days * 2, (0.5...365).contains(days) else {
            form.errors.add("days", "training.days_invalid")
            return nil
        }
        return Int(days * 2)
    }

    /// The form's values for a saved content.
    static func values(of content: TrainingContent, published: Bool) -> [String: String] {
        [
            "title": content.title, "objectives": content.objectives, "prerequisites": content.prerequisites, "audience": content.audience,
            "hours": content.hours.map(String.init) ?? "", "days": content.halfDays.map(TrainingRules.days) ?? "",
            "modality": content.modality?.rawValue ?? "", "price_inter": content.priceInter.map(String.init) ?? "",
            "price_intra": content.priceIntra.map(String.init) ?? "", "access_delay": content.accessDelay, "methods": content.methods,
            "evaluation": content.evaluation, "programme": content.programme, "accessibility": content.accessibility,
            "contacts": content.contacts, "publish": published ? "yes" : "",
        ]
    }
}

/// What a programme must say before it is published (Qualiopi indicators 1 and 2), and how durations read.
enum TrainingRules {
    /// The form fields still empty that publishing needs, in form order.
    static func missing(_ content: TrainingContent) -> [String] {
        var missing: [String] = []
        func need(_ name: String, _ present: Bool) { if !present { missing.append(name) } }
        need("title", !content.title.isEmpty)
        need("objectives", !content.objectiveList.isEmpty)
        need("prerequisites", !content.prerequisites.isEmpty)
        need("audience", !content.audience.isEmpty)
        need("hours", content.hours != nil)
        need("days", content.halfDays != nil)
        need("modality", content.modality != nil)
        need("price_inter", content.priceInter != nil)
        need("access_delay", !content.accessDelay.isEmpty)
        need("methods", !content.methods.isEmpty)
        need("evaluation", !content.evaluation.isEmpty)
        need("programme", !content.sequenceList.isEmpty)
        need("accessibility", !content.accessibility.isEmpty)
        need("contacts", !content.contacts.isEmpty)
        return missing
    }

    /// Half-days as a number of days: "2", "0.5" (the form's value; pages say it in words).
    static func days(_ halfDays: Int) -> String { halfDays % 2 == 0 ? String(halfDays / 2) : String(halfDays / 2) + ".5" }
}
