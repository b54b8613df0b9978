import Fluent
import SQLKit
import Vapor

/// Missions: organisations post and follow theirs, staff review them, members find the open ones;
/// the page of a published mission shows its organisation and staff who fits, and why.
struct MissionsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let missions = SiteURL.route(SiteURL.missions)
        routes.get(missions, use: list)
        routes.get(missions + ["new"], use: newForm)
        routes.post(missions + ["new"], use: create)
        routes.get(missions + [":id"], use: show)
        routes.get(missions + [":id", "edit"], use: editForm)
        routes.post(missions + [":id", "edit"], use: update)
        routes.post(missions + [":id", "move"], use: move)
    }

    static let perPage = 20

    enum Tab: String, CaseIterable { case open, review, organisation }

    struct ListPage: Encodable, Sendable {
        struct Tab: Encodable, Sendable {
            let label: String
            let url: String
            let selected: Bool
        }

        struct Card: Encodable, Sendable {
            let title: String
            let url: String
            let organisation: String
            let place: String
            let budget: String
            let skills: [String]
            let status: String?
            let deadline: String
        }

        let heading: String
        let tabs: [Tab]
        let filters: [FormModel]
        let missions: [Card]
        let empty: String
        let pagination: Pagination
        let newMissionURL: String?
    }

    /// The tabs this reader has: members the open missions, staff the review queue, contacts their organisation's.
    private func tabs(_ req: Request) -> [Tab] {
        guard let user = req.currentUser else { return [] }
        var tabs: [Tab] = []
        if user.isMember { tabs.append(.open) }
        if req.principal.map({ AccessPolicy.allows($0, .reviewMissions) }) ?? false { tabs.append(.review) }
        if user.role == .organisationContact { tabs.append(.organisation) }
        return tabs
    }

    static func place(_ mission: Mission, _ t: Translator) -> String {
        mission.workMode == .remote ? t("mission.work_mode.remote") : "\(mission.city) · \(t("mission.work_mode.\(mission.workMode.rawValue)"))"
    }

    static func budget(_ mission: Mission, _ t: Translator) -> String {
        switch mission.budget {
        case .proBono: t("mission.budget.pro_bono")
        case .fixed: t("mission.budget.fixed_amount", String(mission.total ?? 0))
        case .dayRate: t("mission.budget.day_rate_range", String(mission.rateMin ?? 0), String(mission.rateMax ?? 0))
        }
    }

    @Sendable func list(req: Request) async throws -> Response {
        let user = try req.requireUser()
        let t = req.t
        let available = tabs(req)
        guard let first = available.first else {
            let page = MessagePage(heading: t("missions.heading"), paragraphs: [t("missions.members_only")],
                                   linkURL: SiteURL.myApplication, linkLabel: t("nav.application"))
            return try await req.renderPage("message", title: page.heading, page, status: .forbidden)
        }
        let tab = req.query[String.self, at: "tab"].flatMap(Tab.init(rawValue:)).flatMap { available.contains($0) ? $0 : nil } ?? first
        let skill = req.queryText("skill").map(Taxonomy.skillSlug)
        let cause = req.queryText("cause").flatMap { Taxonomy.causes.contains($0) ? $0 : nil }
        let chapter = req.queryText("chapter").flatMap(UUID.init(uuidString:))
        let remoteOnly = req.query[String.self, at: "remote"] == "yes"
        let money = req.queryText("budget").flatMap { ["paid", "pro_bono"].contains($0) ? $0 : nil }

        let sql = req.db as! any SQLDatabase
        let me = try user.requireID()
        var conditions: [SQLQueryString] = []
        switch tab {
        case .open:
            conditions.append("m.status = 'published'")
            let home = try await Profile.query(on: req.db).filter(\.$user.$id == me).first()?.$homeChapter.id
            conditions.append(home.map { "(m.audience = 'all' OR m.chapter_id = \(bind: $0))" } ?? "m.audience = 'all'")
        case .review:
            conditions.append("m.status = 'submitted'")
            if user.role != .admin {
                let chapters = Array(req.sessionContext.ambassadorOf)
                conditions.append("m.chapter_id IN \(SQLBind.group(chapters))")
            }
        case .organisation:
            let organisations = Array(req.sessionContext.contactOf)
            conditions.append(organisations.isEmpty ? "1 = 0" : "m.organisation_id IN \(SQLBind.group(organisations))")
        }
        if let skill { conditions.append("EXISTS (SELECT 1 FROM mission_skills s WHERE s.mission_id = m.id AND s.slug = \(bind: skill))") }
        if let cause { conditions.append("(',' || m.causes || ',') LIKE \(bind: "%," + cause + ",%")") }
        if let chapter { conditions.append("m.chapter_id = \(bind: chapter)") }
        if remoteOnly { conditions.append("m.work_mode = 'remote'") }
        if money == "pro_bono" { conditions.append("m.budget = 'pro_bono'") } else if money == "paid" { conditions.append("m.budget <> 'pro_bono'") }
        // Each condition keeps its bound values: joined as SQL expressions, never as text.
        let whereClause = SQLList(conditions.map { SQLGroupExpression($0) }, separator: SQLRaw(" AND "))
        let page = Pagination.requestedPage(req)
        let total = try await sql.raw("SELECT COUNT(*) AS n FROM missions m WHERE \(whereClause)").first()?.decode(column: "n", as: Int.self) ?? 0
        // "For me" first: the open missions whose required skills the member has, most first.
        let order: SQLQueryString = tab == .open
            ? "(SELECT COUNT(*) FROM mission_skills s JOIN profile_skills p ON p.slug = s.slug AND p.user_id = \(bind: me) WHERE s.mission_id = m.id AND s.required) DESC, m.published_at DESC, m.id"
            : "m.updated_at DESC, m.id"
        let ids = try await sql.raw("""
            SELECT m.id AS id FROM missions m WHERE \(whereClause) ORDER BY \(order) LIMIT \(unsafeRaw: String(Self.perPage)) OFFSET \(unsafeRaw: String((page - 1) * Self.perPage))
            """).all().map { try $0.decode(column: "id", as: UUID.self) }
        let found = try await Mission.query(on: req.db).filter(\.$id ~~ ids).with(\.$organisation).all()
        let byID = Dictionary(found.map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        var skills: [UUID: [String]] = [:]
        if !ids.isEmpty {
            for row in try await MissionSkill.query(on: req.db).filter(\.$mission.$id ~~ ids).filter(\.$required == true).sort(\.$label).all() {
                skills[row.$mission.id, default: []].append(t.skill(row.label))
            }
        }
        let cards = ids.compactMap { byID[$0] }.map { mission in
            ListPage.Card(title: mission.title, url: SiteURL.mission(mission.id ?? UUID()), organisation: mission.organisation.name,
                          place: Self.place(mission, t), budget: Self.budget(mission, t), skills: skills[mission.id ?? UUID()] ?? [],
                          status: tab == .open ? nil : t("mission.status.\(mission.status.rawValue)"),
                          deadline: t("mission.deadline_on", DateFormatting.date(mission.applicationDeadline, req.locale)))
        }
        let chapters = try await Chapter.query(on: req.db).filter(\.$status == .active).sort(\.$name).all()
        func option(_ value: String, _ label: String, _ chosen: String?) -> FormModel.Field.Option { .init(value: value, label: label, selected: value == (chosen ?? "")) }
        let filters = FormModel(id: "mission-filters", action: SiteURL.missions, submitLabel: t("events.filter"), method: "get", fields: [
            .init(name: "skill", label: t("mission.filter.skill"), value: req.queryText("skill") ?? "", required: false),
            .init(name: "cause", label: t("mission.filter.cause"), type: "select", required: false,
                  options: [option("", t("events.filter.any"), cause)] + Taxonomy.causes.map { option($0, t("cause.\($0)"), cause) }),
            .init(name: "chapter", label: t("events.filter.chapter"), type: "select", required: false,
                  options: [option("", t("events.filter.any"), chapter?.uuidString)] + chapters.map { option($0.id?.uuidString ?? "", $0.name, chapter?.uuidString) }),
            .init(name: "budget", label: t("mission.filter.budget"), type: "select", required: false,
                  options: [option("", t("events.filter.any"), money), option("paid", t("mission.filter.paid"), money), option("pro_bono", t("mission.budget.pro_bono"), money)]),
            .init(name: "remote", label: t("mission.filter.remote"), type: "checkbox", value: remoteOnly ? "yes" : "", required: false),
        ], hidden: [.init(name: "tab", value: tab.rawValue)])
        var path = "\(SiteURL.missions)?tab=\(tab.rawValue)"
        for (name, value) in [("skill", req.queryText("skill")), ("cause", cause), ("chapter", chapter?.uuidString), ("budget", money), ("remote", remoteOnly ? "yes" : nil)] {
            if let value { path += "&\(name)=\(QueryEncoding.encode(value))" }
        }
        return try await req.renderPage("missions", title: t("missions.heading"), ListPage(
            heading: t("missions.heading"),
            tabs: available.count > 1 ? available.map { .init(label: t("missions.tab.\($0.rawValue)"), url: "\(SiteURL.missions)?tab=\($0.rawValue)", selected: $0 == tab) } : [],
            filters: [filters], missions: cards, empty: t("missions.empty.\(tab.rawValue)"),
            pagination: try Pagination(page: page, per: Self.perPage, total: total, path: path, t: t),
            newMissionURL: AccessPolicy.allows(req.principal, .postMissions) ? SiteURL.newMission : nil))
    }

    // MARK: Posting and editing

    /// The organisations this contact may post for.
    private func organisations(_ req: Request) async throws -> [Organisation] {
        try req.authorize(.postMissions)
        return try await Organisation.query(on: req.db).filter(\.$id ~~ Array(req.sessionContext.contactOf)).sort(\.$name).all()
    }

    private func form(_ req: Request, action: String, values: [String: String], errors: FormErrors, organisations: [Organisation]?) async throws -> FormPage {
        let t = req.t
        let chapters = try await Chapter.query(on: req.db).filter(\.$status == .active).sort(\.$name).all()
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        func text(_ name: String, type: String = "text", required: Bool = true, hint: String? = nil) -> FormModel.Field {
            .init(name: name, label: t("mission.field.\(name)"), type: type, value: values[name] ?? "", error: error(name), hint: hint.map { t($0) }, required: required)
        }
        func select(_ name: String, _ options: [(String, String)], required: Bool = true, hint: String? = nil) -> FormModel.Field {
            let chosen = values[name] ?? options.first?.0 ?? ""
            return .init(name: name, label: t("mission.field.\(name)"), type: "select", value: chosen, error: error(name), hint: hint.map { t($0) },
                         required: required, options: options.map { .init(value: $0.0, label: $0.1, selected: $0.0 == chosen) })
        }
        var fields: [FormModel.Field] = []
        if let organisations, organisations.count > 1 { fields.append(select("organisation", organisations.map { ($0.id?.uuidString ?? "", $0.name) })) }
        fields += [
            text("title"), text("context", type: "textarea", hint: "mission.field.context_hint"), text("deliverables", type: "textarea"),
            text("required_skills", hint: "mission.field.skills_hint"), text("nice_skills", required: false, hint: "mission.field.skills_hint"),
            select("profession", [("", t("mission.profession.any"))] + Profession.all.map { ($0, t("profession.\($0)")) }, required: false),
            select("work_mode", Mission.WorkMode.allCases.map { ($0.rawValue, t("mission.work_mode.\($0.rawValue)")) }),
            text("city", required: false, hint: "mission.field.city_hint"),
            select("chapter", [("", t("mission.chapter.none"))] + chapters.map { ($0.id?.uuidString ?? "", $0.name) }, required: false),
            select("audience", Mission.Audience.allCases.map { ($0.rawValue, t("mission.audience.\($0.rawValue)")) }),
            text("starts_on", type: "date"), text("duration_days", required: false, hint: "mission.field.duration_hint"),
            text("ends_on", type: "date", required: false), text("days_per_week", required: false),
            select("budget", Mission.Budget.allCases.map { ($0.rawValue, t("mission.budget.\($0.rawValue)")) }),
            text("rate_min", required: false, hint: "mission.field.rate_hint"), text("rate_max", required: false),
            text("total", required: false, hint: "mission.field.total_hint"),
            text("application_deadline", type: "date"),
        ]
        for slot in 1...MissionInput.roleSlots {
            var role = text("role\(slot)_title", required: false, hint: slot == 1 ? "mission.field.roles_hint" : nil)
            role = .init(name: role.name, label: t("mission.field.role_title", String(slot)), value: role.value, error: role.error, hint: role.hint, required: false)
            fields.append(role)
            fields.append(.init(name: "role\(slot)_skills", label: t("mission.field.role_skills", String(slot)), value: values["role\(slot)_skills"] ?? "",
                                error: error("role\(slot)_skills"), required: false))
            fields.append(.init(name: "role\(slot)_days", label: t("mission.field.role_days", String(slot)), value: values["role\(slot)_days"] ?? "",
                                error: error("role\(slot)_days"), required: false, inputmode: "numeric"))
        }
        fields += Taxonomy.causes.map { .init(name: "cause_\($0)", label: t("cause.\($0)"), type: "checkbox", value: values["cause_\($0)"] ?? "", required: false) }
        let isNew = organisations != nil
        return FormPage(heading: t(isNew ? "mission.new" : "mission.edit"), intro: t("mission.form_intro"), forms: [
            FormModel(id: "mission", action: action, submitLabel: t("mission.save_draft"), fields: fields, errorSummary: errors.isEmpty ? nil : t("form.has_errors")),
        ], links: [.init(url: SiteURL.missions, label: t("missions.heading"))])
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        let organisations = try await organisations(req)
        let values = ["work_mode": Mission.WorkMode.remote.rawValue, "budget": Mission.Budget.dayRate.rawValue, "audience": Mission.Audience.all.rawValue]
        return try await req.renderPage("form-page", title: req.t("mission.new"),
                                        form(req, action: SiteURL.newMission, values: values, errors: .init(), organisations: organisations))
    }

    @Sendable func create(req: Request) async throws -> Response {
        let organisations = try await organisations(req)
        let user = try req.requireUser()
        let values = try await req.formValues()
        let chapters = Set(try await Chapter.query(on: req.db).filter(\.$status == .active).all(\.$id))
        var input = MissionInput(values: values, chapters: chapters, now: req.now)
        let chosen = organisations.count == 1 ? organisations[0].id : UUID(uuidString: values["organisation"] ?? "").flatMap { id in organisations.first { $0.id == id }?.id }
        if chosen == nil { input.errors.add("organisation", "field.invalid_choice") }
        guard input.errors.isEmpty, let organisation = chosen else {
            return try await req.renderPage("form-page", title: req.t("mission.new"),
                                            form(req, action: SiteURL.newMission, values: values, errors: input.errors, organisations: organisations),
                                            status: .unprocessableEntity)
        }
        let checked = input
        let mission = try await req.db.transaction { db in
            try await MissionWorkflow(application: req.application, database: db, now: req.now).create(checked, for: organisation, by: user)
        }
        try await req.flash(.success, "mission.flash.draft_saved")
        return req.redirect(to: SiteURL.mission(try mission.requireID()), redirectType: .normal)
    }

    /// The mission, if the reader may act for its organisation and it is still a draft. Someone who
    /// may not even see it gets the same 404 as for a mission that does not exist.
    private func editable(_ req: Request) async throws -> Mission {
        let (mission, manages, _) = try await Self.find(req)
        guard manages, MissionRules.isEditable(mission.status) else { throw PageError.forbidden }
        return mission
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        let mission = try await editable(req)
        let id = try mission.requireID()
        let skills = try await MissionSkill.query(on: req.db).filter(\.$mission.$id == id).all()
        let roles = try await MissionRole.query(on: req.db).filter(\.$mission.$id == id).all()
        return try await req.renderPage("form-page", title: req.t("mission.edit"),
                                        form(req, action: SiteURL.missionEdit(id), values: MissionInput.values(of: mission, skills: skills, roles: roles),
                                             errors: .init(), organisations: nil))
    }

    @Sendable func update(req: Request) async throws -> Response {
        let mission = try await editable(req)
        let id = try mission.requireID()
        let values = try await req.formValues()
        let chapters = Set(try await Chapter.query(on: req.db).filter(\.$status == .active).all(\.$id))
        let input = MissionInput(values: values, chapters: chapters, now: req.now)
        guard input.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("mission.edit"),
                                            form(req, action: SiteURL.missionEdit(id), values: values, errors: input.errors, organisations: nil),
                                            status: .unprocessableEntity)
        }
        try await req.db.transaction { db in
            try await MissionWorkflow(application: req.application, database: db, now: req.now).update(mission, with: input)
        }
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.mission(id), redirectType: .normal)
    }

    // MARK: Reading a mission

    struct ShowPage: Encodable, Sendable {
        typealias Fact = LabelledValue

        struct Action: Encodable, Sendable {
            let to: String
            let label: String
            let needsReason: Bool
            let primary: Bool
        }

        struct Suggestion: Encodable, Sendable {
            let name: String
            let url: String
            let reasons: [String]
        }

        struct Excluded: Encodable, Sendable {
            let name: String
            let reason: String
        }

        struct HistoryLine: Encodable, Sendable {
            let when: String
            let text: String
            let reason: String?
        }

        let heading: String
        let organisation: String
        let organisationURL: String
        let status: String
        let statusReason: String?
        let facts: [Fact]
        let context: [String]
        let deliverables: [String]
        let requiredSkills: [String]
        let niceSkills: [String]
        let roles: [Fact]
        let causes: [String]
        let editURL: String?
        let moveURL: String
        let actions: [Action]
        let error: String?
        let reason: String
        let showsSuggestions: Bool
        let suggestions: [Suggestion]
        let excluded: [Excluded]
        /// For a mission with several roles: teams covering each, people who have met first.
        var teams: [TeamRow] = []
        let history: [HistoryLine]

        struct TeamRow: Encodable, Sendable {
            let members: [Fact]
            let note: String
        }
        /// A member who may answer: the form (alone) and the way to answer as a team.
        var answerForm: [FormModel] = []
        var teamAnswerURL: String? = nil
        /// A member who already answered (alone or in a team): their proposal.
        var myProposalURL: String? = nil
        /// The organisation (and admins): the proposals that reached it.
        var proposals: [ProposalRow] = []
        /// Those who took part in a completed mission: where they review each other.
        var reviewsURL: String? = nil
        /// The organisation, once completed: the pay-what-you-want contribution.
        var contributionURL: String? = nil

        struct ProposalRow: Encodable, Sendable {
            let lead: String
            let url: String
            let team: String?
            let price: String
            let status: String
        }
    }

    static func answerForm(_ req: Request, _ mission: Mission, values: [String: String] = [:], errors: FormErrors = .init()) -> FormModel {
        let t = req.t
        return FormModel(id: "answer", action: SiteURL.missionAnswer(mission.id ?? UUID()), submitLabel: t("proposal.send"),
                         fields: ProposalsController.termFields(t, mission: mission, values: values, errors: errors),
                         errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
    }

    /// The mission if this reader may see it: its organisation's contacts and staff always; members
    /// once published, when it is for all or for their chapter.
    static func find(_ req: Request) async throws -> (Mission, manages: Bool, reviews: Bool) {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self), let mission = try await Mission.find(id, on: req.db) else { throw PageError.notFound }
        let manages = AccessPolicy.allows(req.principal, .manageOrganisation(mission.$organisation.id))
        let reviews = AccessPolicy.allows(req.principal, .reviewMission(chapter: mission.$chapter.id))
        if manages || reviews { return (mission, manages, reviews) }
        guard user.isMember, mission.status == .published else { throw PageError.notFound }
        if mission.audience == .chapter {
            let home = try await Profile.query(on: req.db).filter(\.$user.$id == user.requireID()).first()?.$homeChapter.id
            guard home == mission.$chapter.id else { throw PageError.notFound }
        }
        return (mission, false, false)
    }

    static func explain(_ factor: Matcher.Factor, _ t: Translator, chapter: String?, city: String) -> String {
        switch factor {
        case let .requiredSkills(matched, total): t.count("match.required", matched.count, String(total), matched.map(t.skill).joined(separator: ", "))
        case let .niceToHave(skills): t("match.nice", skills.map(t.skill).joined(separator: ", "))
        case let .profession(profession): t("match.profession", t("profession.\(profession)"))
        case let .causes(causes): t("match.causes", causes.map { t("cause.\($0)") }.joined(separator: ", "))
        case .sameChapter: t("match.same_chapter", chapter ?? "")
        case .sameCity: t("match.same_city", city)
        case .availableNow: t("match.available_now")
        case let .availableFrom(date): t("match.available_from", DateFormatting.date(date, t.locale))
        case .rateWithinBudget: t("match.rate_within_budget")
        case let .reviews(average): t("match.reviews", String(format: "%.1f", average))
        }
    }

    static func page(_ req: Request, _ mission: Mission, manages: Bool, reviews: Bool, error: String? = nil, reason: String = "") async throws -> ShowPage {
        let t = req.t
        let id = try mission.requireID()
        let organisation = try await mission.$organisation.get(on: req.db)
        let chapter = try await mission.$chapter.get(on: req.db)
        let skills = try await MissionSkill.query(on: req.db).filter(\.$mission.$id == id).sort(\.$label).all()
        let roles = try await MissionRole.query(on: req.db).filter(\.$mission.$id == id).sort(\.$position).all()
        var facts: [ShowPage.Fact] = [
            .init(label: t("mission.field.work_mode"), value: place(mission, t)),
            .init(label: t("mission.field.starts_on"), value: DateFormatting.date(mission.startsOn, req.locale)),
        ]
        if let days = mission.durationDays { facts.append(.init(label: t("mission.field.duration_days"), value: t.count("mission.days", days))) }
        if let end = mission.endsOn { facts.append(.init(label: t("mission.field.ends_on"), value: DateFormatting.date(end, req.locale))) }
        if let perWeek = mission.daysPerWeek { facts.append(.init(label: t("mission.field.days_per_week"), value: String(perWeek))) }
        facts.append(.init(label: t("mission.field.budget"), value: budget(mission, t)))
        facts.append(.init(label: t("mission.field.application_deadline"), value: DateFormatting.date(mission.applicationDeadline, req.locale)))
        if let chapter { facts.append(.init(label: t("mission.field.chapter"), value: chapter.name)) }
        if mission.audience == .chapter { facts.append(.init(label: t("mission.field.audience"), value: t("mission.audience.chapter"))) }

        var actions: [ShowPage.Action] = []
        func offer(_ to: Mission.Status, _ actor: MissionRules.Actor, primary: Bool = false) {
            if MissionRules.canMove(from: mission.status, to: to, by: actor) {
                actions.append(.init(to: to.rawValue, label: t("mission.action.\(to.rawValue)"), needsReason: MissionRules.needsReason(to), primary: primary))
            }
        }
        if reviews { offer(.published, .staff, primary: true); offer(.declined, .staff) }
        if manages { offer(.submitted, .organisation, primary: true); offer(.completed, .organisation, primary: true); offer(.cancelled, .organisation) }

        // Who fits, and why: for its organisation and staff, once there is something to match.
        let showsSuggestions = (manages || reviews) && [.submitted, .published].contains(mission.status)
        var suggestions: [ShowPage.Suggestion] = []
        var excluded: [ShowPage.Excluded] = []
        var teams: [ShowPage.TeamRow] = []
        if showsSuggestions {
            let ranked = try await Suggestions(application: req.application, database: req.db, now: req.now).rank(mission, excludedUpTo: reviews ? 30 : 0)
            let top = ranked.matches
            let shownExcluded = ranked.excluded
            let names = Dictionary(try await User.query(on: req.db).filter(\.$id ~~ (top.map(\.userID) + shownExcluded.map(\.0))).all()
                .map { ($0.id ?? UUID(), $0.name) }, uniquingKeysWith: { a, _ in a })
            suggestions = top.map { match in
                .init(name: names[match.userID] ?? "", url: SiteURL.member(match.userID),
                      reasons: match.factors.map { explain($0, t, chapter: chapter?.name, city: mission.city) })
            }
            excluded = shownExcluded.map { .init(name: names[$0.0] ?? "", reason: t("match.excluded.\($0.1.rawValue)")) }
            let suggested = try await Suggestions(application: req.application, database: req.db, now: req.now).teams(for: mission)
            if !suggested.isEmpty {
                let people = Dictionary(try await User.query(on: req.db).filter(\.$id ~~ suggested.flatMap(\.members)).all().map { ($0.id ?? UUID(), $0.name) },
                                        uniquingKeysWith: { a, _ in a })
                teams = suggested.map { team in
                    ShowPage.TeamRow(members: zip(roles, team.members).map { ShowPage.Fact(label: $0.title, value: people[$1] ?? "") },
                                     note: team.acquaintances > 0 ? t.count("match.team_met", team.acquaintances) : t("match.team_new"))
                }
            }
        }
        let events = try await MissionEvent.query(on: req.db).filter(\.$mission.$id == id).with(\.$actor).sort(\.$createdAt).all()
        let history = events.map { event in
            ShowPage.HistoryLine(when: DateFormatting.dateTime(event.createdAt, req.locale),
                                 text: t("mission.history.line", t("mission.status.\(event.toStatus.rawValue)"), event.actor?.name ?? t("mission.history.system")),
                                 reason: event.reason)
        }
        var page = ShowPage(
            heading: mission.title, organisation: organisation.name, organisationURL: SiteURL.organisation(organisation.slug),
            status: t("mission.status.\(mission.status.rawValue)"), statusReason: manages || reviews ? mission.statusReason : nil, facts: facts,
            context: mission.context.components(separatedBy: "\n").filter { !$0.isEmpty },
            deliverables: mission.deliverables.components(separatedBy: "\n").filter { !$0.isEmpty },
            requiredSkills: skills.filter(\.required).map { t.skill($0.label) }, niceSkills: skills.filter { !$0.required }.map { t.skill($0.label) },
            roles: roles.map { .init(label: $0.title, value: [$0.skills, $0.days.map { t.count("mission.days", $0) } ?? ""].filter { !$0.isEmpty }.joined(separator: " · ")) },
            causes: mission.causeList.map { t("cause.\($0)") },
            editURL: manages && MissionRules.isEditable(mission.status) ? SiteURL.missionEdit(id) : nil, moveURL: SiteURL.missionMove(id),
            actions: actions, error: error, reason: reason, showsSuggestions: showsSuggestions, suggestions: suggestions, excluded: excluded,
            teams: teams, history: manages || reviews ? history : [])
        if let user = req.currentUser, user.isMember, !manages {
            let mine = try await ProposalMember.query(on: req.db).filter(\.$missionID == id).filter(\.$user.$id == user.requireID())
                .filter(\.$active == true).first()
            if let mine {
                page.myProposalURL = SiteURL.proposal(mine.$proposal.id)
            } else if mission.status == .published, req.now <= mission.applicationDeadline {
                page.answerForm = [answerForm(req, mission)]
                page.teamAnswerURL = SiteURL.missionTeam(id)
            }
        }
        if mission.status == .completed, let user = req.currentUser {
            let worked = try await ProposalMember.query(on: req.db).filter(\.$missionID == id).filter(\.$user.$id == user.requireID()).count() > 0
            if manages || worked { page.reviewsURL = "\(SiteURL.mission(id))/reviews" }
            if manages { page.contributionURL = "\(SiteURL.mission(id))/contribution" }
        }
        if manages || req.currentUser?.role == .admin {
            let proposals = try await Proposal.query(on: req.db).filter(\.$mission.$id == id)
                .filter(\.$status ~~ [.submitted, .shortlisted, .awarded, .declined]).with(\.$lead).sort(\.$createdAt).all()
            let sizes = Dictionary(grouping: try await ProposalMember.query(on: req.db).filter(\.$missionID == id).all(), by: { $0.$proposal.id }).mapValues(\.count)
            page.proposals = proposals.map { proposal in
                .init(lead: proposal.lead?.name ?? t("person.former_member"), url: SiteURL.proposal(proposal.id ?? UUID()),
                      team: proposal.isTeam ? t.count("proposal.team_of", sizes[proposal.id ?? UUID()] ?? 0) : nil,
                      price: ProposalsController.price(proposal, t), status: t("proposal.status.\(proposal.status.rawValue)"))
            }
        }
        return page
    }

    @Sendable func show(req: Request) async throws -> Response {
        let (mission, manages, reviews) = try await Self.find(req)
        return try await req.renderPage("mission", title: mission.title, Self.page(req, mission, manages: manages, reviews: reviews))
    }

    /// A change of state: staff publish or decline; the organisation submits, cancels, completes.
    @Sendable func move(req: Request) async throws -> Response {
        let (mission, manages, reviews) = try await Self.find(req)
        let values = try await req.formValues()
        let reason = (values["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let target = Mission.Status(rawValue: values["to"] ?? "") else { throw Abort(.badRequest) }
        let actor: MissionRules.Actor
        if [.published, .declined].contains(target), reviews { actor = .staff }
        else if [.submitted, .cancelled, .completed].contains(target), manages { actor = .organisation }
        else { throw PageError.forbidden }
        func refuse(_ key: String, _ status: HTTPStatus) async throws -> Response {
            try await req.renderPage("mission", title: mission.title,
                                     Self.page(req, mission, manages: manages, reviews: reviews, error: req.t(key), reason: reason), status: status)
        }
        if MissionRules.needsReason(target), reason.isEmpty { return try await refuse("mission.reason_needed", .unprocessableEntity) }
        if reason.scalarLength > 1000 { return try await refuse("field.too_long", .unprocessableEntity) }
        do {
            try await req.db.transaction { db in
                try await MissionWorkflow(application: req.application, database: db, now: req.now)
                    .move(mission, to: target, as: actor, by: req.currentUser, reason: reason.isEmpty ? nil : reason)
            }
        } catch is MissionWorkflow.Conflict {
            let fresh = try await Mission.find(mission.id, on: req.db) ?? mission
            return try await req.renderPage("mission", title: fresh.title,
                                            Self.page(req, fresh, manages: manages, reviews: reviews, error: req.t("mission.conflict")), status: .conflict)
        }
        try await req.flash(.success, "mission.flash.\(target.rawValue)")
        return req.redirect(to: SiteURL.mission(try mission.requireID()), redirectType: .normal)
    }
}
