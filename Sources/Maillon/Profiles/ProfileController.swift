import Fluent
import Vapor

/// A member edits their profile; members (and, for public profiles, everyone) read it.
struct ProfileController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.myProfile), use: edit)
        routes.post(SiteURL.route(SiteURL.myProfile), use: save)
        routes.get(SiteURL.route(SiteURL.members) + [":id"], use: show)
    }

    struct EditPage: Encodable, Sendable {
        let heading: String
        let intro: String
        let forms: [FormModel]
        let viewURL: String
        let photoURL: String?
    }

    /// The reader's profile. A member without one (an admin, who was never admitted through an
    /// application) starts from an empty one, saved with the first save; applicants have none yet.
    private func owner(_ req: Request) async throws -> (User, Profile) {
        let user = try req.requireAccountOwner()
        if let profile = try await Profile.query(on: req.db).filter(\.$user.$id == user.requireID()).first() { return (user, profile) }
        guard user.isMember else { throw PageError.forbidden }
        let fresh = Profile.newMember(userID: try user.requireID(), chapterID: nil, headline: "", city: "", profession: "other", now: req.now)
        return (user, fresh)
    }

    static func values(_ profile: Profile, skills: [String], causes: [String]) -> [String: String] {
        var values: [String: String] = [
            "headline": profile.headline, "bio": profile.bio, "city": profile.city, "profession": profile.profession,
            "chapter": profile.$homeChapter.id?.uuidString ?? "", "availability": profile.availability,
            "available_from": profile.availableFrom.map { Self.dayFormatter.string(from: $0) } ?? "",
            "days_per_week": profile.daysPerWeek.map(String.init) ?? "", "work_mode": profile.workMode,
            "years_experience": profile.yearsExperience.map(String.init) ?? "", "day_rate_min": profile.dayRateMin.map(String.init) ?? "",
            "day_rate_max": profile.dayRateMax.map(String.init) ?? "", "website": profile.website ?? "", "linkedin": profile.linkedin ?? "",
            "visibility": profile.visibility.rawValue, "skills": skills.joined(separator: ", "),
        ]
        for language in profile.languages.split(separator: ",") { values["language_\(language)"] = "yes" }
        for cause in causes { values["cause_\(cause)"] = "yes" }
        return values
    }

    static let dayFormatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = DateFormatting.timeZone
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter
    }()

    private func page(_ req: Request, values: [String: String], errors: FormErrors = .init()) async throws -> EditPage {
        let t = req.t
        let chapters = try await Chapter.query(on: req.db).filter(\.$status == .active).sort(\.$name).all()
        func text(_ name: String, _ label: String, type: String = "text", hint: String? = nil, required: Bool = false, inputmode: String? = nil) -> FormModel.Field {
            .init(name: name, label: t(label), type: type, value: values[name] ?? "", error: errors[name].map { t($0) }, hint: hint.map { t($0) }, required: required, inputmode: inputmode)
        }
        func select(_ name: String, _ label: String, _ options: [(String, String)]) -> FormModel.Field {
            let chosen = values[name] ?? ""
            return .init(name: name, label: t(label), type: "select", value: chosen, error: errors[name].map { t($0) },
                         options: options.map { .init(value: $0.0, label: $0.1, selected: $0.0 == chosen) })
        }
        func checkbox(_ name: String, _ label: String) -> FormModel.Field {
            .init(name: name, label: label, type: "checkbox", value: values[name] ?? "", required: false)
        }
        let essentials = FormModel(id: "profile-essentials", action: SiteURL.myProfile, submitLabel: t("form.save"), fields: [
            text("headline", "profile.headline", hint: "profile.headline_hint", required: true),
            select("profession", "profile.profession", Profession.all.map { ($0, t("profession.\($0)")) }),
            text("city", "profile.city", required: true),
            select("chapter", "profile.home_chapter", chapters.map { ($0.id?.uuidString ?? "", $0.name) }),
            text("bio", "profile.bio", type: "textarea"),
            text("skills", "profile.skills", hint: "profile.skills_hint"),
            select("availability", "profile.availability", ["now", "from", "not"].map { ($0, t("availability.\($0)")) }),
            text("available_from", "profile.available_from", type: "date"),
            text("days_per_week", "profile.days_per_week", inputmode: "numeric"),
            select("work_mode", "profile.work_mode", ["remote", "onsite", "both"].map { ($0, t("work_mode.\($0)")) }),
            text("years_experience", "profile.years_experience", inputmode: "numeric"),
            text("day_rate_min", "profile.day_rate_min", hint: "profile.day_rate_hint", inputmode: "numeric"),
            text("day_rate_max", "profile.day_rate_max", inputmode: "numeric"),
            text("website", "profile.website", type: "url", hint: "profile.link_hint"),
            text("linkedin", "profile.linkedin", type: "url", hint: "profile.link_hint"),
            select("visibility", "profile.visibility", Profile.Visibility.allCases.map { ($0.rawValue, t("visibility.\($0.rawValue)")) }),
        ] + Taxonomy.languages.map { checkbox("language_\($0)", t("profile.speaks", t("language_name.\($0)"))) }
          + Taxonomy.causes.map { checkbox("cause_\($0)", t("cause.\($0)")) },
          errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        let me = req.currentUser?.id ?? UUID()
        let hasPhoto = try await ProfilePhoto.query(on: req.db).filter(\.$user.$id == me).count() > 0
        return EditPage(heading: t("profile.edit_heading"), intro: t("profile.edit_intro"), forms: [essentials],
                        viewURL: SiteURL.member(me), photoURL: hasPhoto ? SiteURL.member(me) + "/photo" : nil)
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let (user, profile) = try await owner(req)
        let skills = try await ProfileSkill.query(on: req.db).filter(\.$user.$id == user.requireID()).all(\.$label).map(req.t.skill)
        let causes = try await ProfileCause.query(on: req.db).filter(\.$user.$id == user.requireID()).all(\.$cause)
        return try await req.renderPage("profile-edit", title: req.t("profile.edit_heading"),
                                        page(req, values: Self.values(profile, skills: skills, causes: causes)))
    }

    @Sendable func save(req: Request) async throws -> Response {
        let (user, profile) = try await owner(req)
        let values = try await req.formValues()
        let chapters = Set(try await Chapter.query(on: req.db).filter(\.$status == .active).all(\.$id))
        let input = ProfileInput(values: values, activeChapters: chapters)
        guard input.errors.isEmpty else {
            return try await req.renderPage("profile-edit", title: req.t("profile.edit_heading"), page(req, values: values, errors: input.errors), status: .unprocessableEntity)
        }
        let userID = try user.requireID()
        let now = req.now
        try await req.db.transaction { db in
            input.apply(to: profile, now: req.now)
            profile.updatedAt = now
            try await profile.save(on: db)
            try await ProfileSkill.query(on: db).filter(\.$user.$id == userID).delete()
            for skill in input.skills {
                let row = ProfileSkill()
                row.$user.id = userID
                row.slug = skill.slug
                row.label = skill.label
                try await row.create(on: db)
            }
            try await ProfileCause.query(on: db).filter(\.$user.$id == userID).delete()
            for cause in input.causes {
                let row = ProfileCause()
                row.$user.id = userID
                row.cause = cause
                try await row.create(on: db)
            }
            try await DirectoryIndexes.reindex(userID: userID, on: db)
        }
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.myProfile, redirectType: .normal)
    }

    struct ShowPage: Encodable, Sendable {
        let heading: String
        let headline: String
        let facts: [Fact]
        let bio: [String]
        let skills: [String]
        let causes: [String]
        let links: [Link]
        let isSelf: Bool
        let photoURL: String?
        /// Organisations' published reviews after missions.
        var reviews: [ReviewLine] = []
        /// For members: how to mention this person in discussions.
        var mention: String? = nil
        /// For another member: write to this person (if they accept messages), block them.
        var writeURL: String? = nil
        var blockURL: String? = nil

        typealias Fact = LabelledValue

        struct Link: Encodable, Sendable {
            let label: String
            let url: String
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: UUID.self),
              let profile = try await Profile.query(on: req.db).filter(\.$user.$id == id).with(\.$user).with(\.$homeChapter).first(),
              profile.user.isMember
        else { throw PageError.notFound }
        let viewer = req.currentUser
        let isSelf = viewer?.id == id
        let viewerIsMember = viewer.map { $0.isMember } ?? false
        guard profile.isVisible(to: viewer) else {
            // A visitor may be a member who has not signed in yet.
            if viewer == nil && profile.visibility == .members { throw Abort(.unauthorized) }
            throw PageError.notFound
        }
        let t = req.t
        var facts: [ShowPage.Fact] = [
            .init(label: t("profile.profession"), value: t("profession.\(profile.profession)")),
            .init(label: t("profile.city"), value: profile.city),
            .init(label: t("profile.availability"), value: profile.availability == "from" && profile.availableFrom != nil
                  ? t("availability.from_date", DateFormatting.date(profile.availableFrom!, req.locale)) : t("availability.\(profile.availability)")),
            .init(label: t("profile.work_mode"), value: t("work_mode.\(profile.workMode)")),
            .init(label: t("profile.languages"), value: profile.languages.split(separator: ",").map { t("language_name.\($0)") }.joined(separator: ", ")),
        ]
        if let chapter = profile.homeChapter { facts.insert(.init(label: t("profile.home_chapter"), value: chapter.name), at: 0) }
        if let days = profile.daysPerWeek { facts.append(.init(label: t("profile.days_per_week"), value: String(days))) }
        if let years = profile.yearsExperience { facts.append(.init(label: t("profile.years_experience"), value: String(years))) }
        // Day rates are for members' eyes only, even on a public profile.
        if viewerIsMember, let low = profile.dayRateMin {
            facts.append(.init(label: t("profile.day_rate"), value: profile.dayRateMax.map { "\(low)–\($0) €" } ?? "\(low) €"))
        }
        let skills = try await ProfileSkill.query(on: req.db).filter(\.$user.$id == id).sort(\.$label).all(\.$label).map(t.skill)
        let causes = try await ProfileCause.query(on: req.db).filter(\.$user.$id == id).all(\.$cause).map { t("cause.\($0)") }
        var links: [ShowPage.Link] = []
        if let website = profile.website { links.append(.init(label: t("profile.website"), url: website)) }
        if let linkedin = profile.linkedin { links.append(.init(label: "LinkedIn", url: linkedin)) }
        let reviews = try await Reviewing(database: req.db, now: req.now).published(aboutFreelancer: id)
        let organisations = Dictionary(try await Organisation.query(on: req.db).filter(\.$id ~~ reviews.map { $0.$organisation.id }).all()
            .map { ($0.id ?? UUID(), $0.name) }, uniquingKeysWith: { a, _ in a })
        var page = ShowPage(
            heading: profile.user.name, headline: profile.headline, facts: facts,
            bio: profile.bio.components(separatedBy: "\n").filter { !$0.isEmpty }, skills: skills, causes: causes, links: links, isSelf: isSelf,
            photoURL: profile.photoPath == nil ? nil : SiteURL.member(id) + "/photo?v=" + (profile.photoPath ?? ""))
        page.reviews = ReviewLine.lines(reviews, source: { organisations[$0.$organisation.id] ?? "" }, t)
        if req.currentUser?.isMember == true, let handle = profile.user.handle { page.mention = t("profile.mention", "@" + handle) }
        if let viewer = req.currentUser, viewer.isMember, !isSelf {
            page.writeURL = profile.user.acceptsMessages ? SiteURL.writeTo(id) : nil
            page.blockURL = SiteURL.blockMember(id)
        }
        return try await req.renderPage("profile", title: profile.user.name, page)
    }
}

/// The profile form read and checked: plain Swift, tested without HTTP.
struct ProfileInput {
    var errors = FormErrors()
    var headline = "", bio = "", city = "", profession = "", availability = "now", workMode = "both", languages: [String] = []
    var chapter: UUID?
    var availableFrom: Date?
    var daysPerWeek: Int?, yearsExperience: Int?, dayRateMin: Int?, dayRateMax: Int?
    var website: String?, linkedin: String?
    var visibility: Profile.Visibility = .members
    var skills: [(slug: String, label: String)] = []
    var causes: [String] = []

    init(values: [String: String], activeChapters: Set<UUID>) {
        var form = FormReader(values)
        defer { errors = form.errors }
        func number(_ name: String, _ range: ClosedRange<Int>) -> Int? { form.number(name, range, invalid: "profile.number_range") }
        headline = form.text("headline", max: 120, required: true)
        bio = form.text("bio", max: 4000)
        city = form.text("city", max: 80, required: true)
        profession = values["profession"] ?? ""
        if !Profession.all.contains(profession) { form.errors.add("profession", "field.invalid_choice") }
        chapter = UUID(uuidString: values["chapter"] ?? "")
        if chapter.map({ !activeChapters.contains($0) }) ?? true { form.errors.add("chapter", "field.invalid_choice") }
        availability = values["availability"] ?? ""
        if !["now", "from", "not"].contains(availability) { form.errors.add("availability", "field.invalid_choice") }
        let fromRaw = values["available_from"] ?? ""
        if !fromRaw.isEmpty {
            availableFrom = ProfileController.dayFormatter.date(from: fromRaw)
            if availableFrom == nil { form.errors.add("available_from", "profile.date_invalid") }
        }
        if availability == "from" && availableFrom == nil && form.errors["available_from"] == nil { form.errors.add("available_from", "field.required") }
        daysPerWeek = number("days_per_week", 1...7)
        workMode = values["work_mode"] ?? ""
        if !["remote", "onsite", "both"].contains(workMode) { form.errors.add("work_mode", "field.invalid_choice") }
        yearsExperience = number("years_experience", 0...60)
        dayRateMin = number("day_rate_min", 50...5000)
        dayRateMax = number("day_rate_max", 50...5000)
        if let low = dayRateMin, let high = dayRateMax, low > high { form.errors.add("day_rate_max", "profile.rate_order") }
        website = form.link("website")
        linkedin = form.link("linkedin")
        guard let chosen = Profile.Visibility(rawValue: values["visibility"] ?? "") else { form.errors.add("visibility", "field.invalid_choice"); return }
        visibility = chosen
        skills = Taxonomy.normaliseSkills(form.text("skills", max: 1500))
        causes = Taxonomy.causes.filter { values["cause_\($0)"] == "yes" }
        languages = Taxonomy.languages.filter { values["language_\($0)"] == "yes" }
    }

    func apply(to profile: Profile, now: Date) {
        // Moving to another chapter makes one its newcomer: its ambassadors welcome them.
        if profile.$homeChapter.id != chapter { profile.chapterSince = now }
        profile.headline = headline
        profile.bio = bio
        profile.city = city
        profile.profession = profession
        profile.$homeChapter.id = chapter
        profile.availability = availability
        profile.availableFrom = availability == "from" ? availableFrom : nil
        profile.daysPerWeek = daysPerWeek
        profile.workMode = workMode
        profile.languages = languages.joined(separator: ",")
        profile.yearsExperience = yearsExperience
        profile.dayRateMin = dayRateMin
        profile.dayRateMax = dayRateMax
        profile.website = website
        profile.linkedin = linkedin
        profile.visibility = visibility
    }
}
