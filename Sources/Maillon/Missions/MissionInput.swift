import Foundation

/// The mission form, read and checked: plain rules, no database. Errors are catalogue keys per field.
struct MissionInput {
    var errors = FormErrors()
    var title = "", context = "", deliverables = "", city = ""
    var profession: String?
    var required: [(slug: String, label: String)] = []
    var niceToHave: [(slug: String, label: String)] = []
    var roles: [(title: String, skills: String, days: Int?)] = []
    var causes: [String] = []
    var chapter: UUID?
    var workMode: Mission.WorkMode = .remote
    var startsOn = Date(), endsOn: Date?
    var durationDays: Int?, daysPerWeek: Int?
    var budget: Mission.Budget = .dayRate
    var rateMin: Int?, rateMax: Int?, total: Int?
    var applicationDeadline = Date()
    var audience: Mission.Audience = .all

    static let roleSlots = 4

    init(values: [String: String], chapters: Set<UUID>, now: Date) {
        var form = FormReader(values)
        title = form.text("title", max: 120, required: true)
        context = form.text("context", max: 5000, required: true)
        deliverables = form.text("deliverables", max: 5000, required: true)
        let professionRaw = form.raw("profession")
        if !professionRaw.isEmpty {
            if Profession.all.contains(professionRaw) { profession = professionRaw } else { form.errors.add("profession", "field.invalid_choice") }
        }
        required = Taxonomy.normaliseSkills(form.text("required_skills", max: 1000, required: true), limit: 15)
        if required.isEmpty && form.errors["required_skills"] == nil { form.errors.add("required_skills", "field.required") }
        let requiredSlugs = Set(required.map(\.slug))
        niceToHave = Taxonomy.normaliseSkills(form.text("nice_skills", max: 1000), limit: 15).filter { !requiredSlugs.contains($0.slug) }
        for slot in 1...Self.roleSlots {
            let roleTitle = form.text("role\(slot)_title", max: 80)
            let skills = form.text("role\(slot)_skills", max: 500)
            let days = form.number("role\(slot)_days", 1...365)
            guard !roleTitle.isEmpty || !skills.isEmpty || days != nil else { continue }
            if roleTitle.isEmpty { form.errors.add("role\(slot)_title", "field.required") }
            roles.append((roleTitle, Taxonomy.normaliseSkills(skills, limit: 10).map(\.label).joined(separator: ", "), days))
        }
        causes = Taxonomy.causes.filter { values["cause_\($0)"] == "yes" }
        workMode = form.choice("work_mode", as: Mission.WorkMode.self) ?? .remote
        let chapterRaw = form.raw("chapter")
        if !chapterRaw.isEmpty {
            if let id = UUID(uuidString: chapterRaw), chapters.contains(id) { chapter = id } else { form.errors.add("chapter", "field.invalid_choice") }
        }
        city = form.text("city", max: 80, required: workMode != .remote)
        audience = form.choice("audience", as: Mission.Audience.self) ?? .all
        if audience == .chapter, chapter == nil, form.errors["chapter"] == nil { form.errors.add("chapter", "mission.audience_needs_chapter") }

        let today = Recurrence.calendar.startOfDay(for: now)
        let start = form.date("starts_on", required: true)
        if let start, start < today { form.errors.add("starts_on", "mission.starts_in_past") }
        startsOn = start ?? today
        durationDays = form.number("duration_days", 1...730)
        endsOn = form.date("ends_on")
        if let end = endsOn, end < startsOn { form.errors.add("ends_on", "mission.ends_before_start") }
        if durationDays == nil, endsOn == nil, form.errors["duration_days"] == nil, form.errors["ends_on"] == nil {
            form.errors.add("duration_days", "mission.duration_needed")
        }
        daysPerWeek = form.number("days_per_week", 1...5)

        budget = form.choice("budget", as: Mission.Budget.self) ?? .dayRate
        switch budget {
        case .dayRate:
            rateMin = form.number("rate_min", 50...5000, required: true)
            rateMax = form.number("rate_max", 50...5000, required: true)
            if let low = rateMin, let high = rateMax, low > high { form.errors.add("rate_max", "mission.rate_range") }
        case .fixed:
            total = form.number("total", 100...2_000_000, required: true)
        case .proBono:
            break
        }
        let deadline = form.date("application_deadline", required: true)
        if let deadline, deadline < today { form.errors.add("application_deadline", "mission.deadline_past") }
        if let deadline, let start, deadline > start { form.errors.add("application_deadline", "mission.deadline_after_start") }
        // Applications close at the end of the chosen day, Paris time.
        applicationDeadline = (deadline ?? today).addingTimeInterval(86400 - 1)
        errors = form.errors
    }

    func apply(to mission: Mission) {
        mission.title = title
        mission.context = context
        mission.deliverables = deliverables
        mission.profession = profession
        mission.$chapter.id = chapter
        mission.city = city
        mission.workMode = workMode
        mission.startsOn = startsOn
        mission.durationDays = durationDays
        mission.endsOn = endsOn
        mission.daysPerWeek = daysPerWeek
        mission.budget = budget
        mission.rateMin = rateMin
        mission.rateMax = rateMax
        mission.total = total
        mission.applicationDeadline = applicationDeadline
        mission.audience = audience
        mission.causes = causes.joined(separator: ",")
    }

    /// The form's values for an existing mission (to edit it).
    static func values(of mission: Mission, skills: [MissionSkill], roles: [MissionRole]) -> [String: String] {
        func day(_ date: Date?) -> String { date.map { String(FormReader.localDateTimeValue($0).prefix(10)) } ?? "" }
        var values: [String: String] = [
            "title": mission.title, "context": mission.context, "deliverables": mission.deliverables, "profession": mission.profession ?? "",
            "required_skills": skills.filter(\.required).map(\.label).joined(separator: ", "),
            "nice_skills": skills.filter { !$0.required }.map(\.label).joined(separator: ", "),
            "chapter": mission.$chapter.id?.uuidString ?? "", "city": mission.city, "work_mode": mission.workMode.rawValue,
            "starts_on": day(mission.startsOn), "duration_days": mission.durationDays.map(String.init) ?? "", "ends_on": day(mission.endsOn),
            "days_per_week": mission.daysPerWeek.map(String.init) ?? "", "budget": mission.budget.rawValue,
            "rate_min": mission.rateMin.map(String.init) ?? "", "rate_max": mission.rateMax.map(String.init) ?? "",
            "total": mission.total.map(String.init) ?? "", "application_deadline": day(mission.applicationDeadline),
            "audience": mission.audience.rawValue,
        ]
        for cause in mission.causeList { values["cause_\(cause)"] = "yes" }
        for role in roles where (1...roleSlots).contains(role.position) {
            values["role\(role.position)_title"] = role.title
            values["role\(role.position)_skills"] = role.skills
            values["role\(role.position)_days"] = role.days.map(String.init) ?? ""
        }
        return values
    }
}

extension FormReader {
    /// A `date` value ("2027-03-04"): the first moment of that day in Paris.
    mutating func date(_ name: String, required: Bool = false) -> Date? {
        let value = raw(name)
        guard !value.isEmpty else {
            if required { errors.add(name, "field.required") }
            return nil
        }
        guard value.count == 10, let date = Self.localDateTime(value + "T00:00") else { errors.add(name, "form.date_invalid"); return nil }
        return date
    }
}
