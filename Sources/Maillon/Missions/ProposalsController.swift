import Fluent
import Vapor

/// Answering a mission (alone or as a team), the proposal's page and conversation, and the
/// organisation's decisions. Handlers read the form, authorise, and call `Proposals`.
struct ProposalsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let missions = SiteURL.route(SiteURL.missions)
        routes.post(missions + [":id", "answer"], use: answerAlone)
        routes.get(missions + [":id", "team"], use: teamForm)
        routes.post(missions + [":id", "team"], use: answerAsTeam)
        let proposals = SiteURL.route(SiteURL.proposals)
        routes.get(proposals + [":id"], use: show)
        routes.get(proposals + [":id", "team"], use: changeTeamForm)
        routes.post(proposals + [":id", "team"], use: changeTeam)
        routes.post(proposals + [":id", "confirm"], use: confirm)
        routes.post(proposals + [":id", "leave"], use: leave)
        routes.post(proposals + [":id", "withdraw"], use: withdraw)
        routes.post(proposals + [":id", "decide"], use: decide)
        routes.post(proposals + [":id", "messages"], use: message)
        routes.post(proposals + [":id", "delivered"], use: delivered)
    }

    static let teammateSlots = 4

    // MARK: Reading the forms

    /// The terms of an answer, checked against the mission's budget kind.
    static func terms(_ form: inout FormReader, mission: Mission) -> Proposals.Terms {
        let message = form.text("message", max: 3000, required: true)
        let approach = form.text("approach", max: 5000, required: true)
        let availability = form.text("availability", max: 300, required: true)
        var price: Proposal.Price = .none
        var dayRate: Int?, days: Int?, total: Int?
        if mission.budget != .proBono {
            price = form.choice("price", as: Proposal.Price.self) ?? .dayRate
            switch price {
            case .dayRate:
                dayRate = form.number("day_rate", 50...5000, required: true)
                days = form.number("days", 1...730, required: true)
            case .total:
                total = form.number("total", 50...2_000_000, required: true)
            case .none:
                form.errors.add("price", "proposal.price_needed")
            }
        }
        return .init(message: message, approach: approach, availability: availability, price: price, dayRate: dayRate, days: days, total: total)
    }

    static func termFields(_ t: Translator, mission: Mission, values: [String: String], errors: FormErrors) -> [FormModel.Field] {
        func text(_ name: String, type: String = "text", required: Bool = true, hint: String? = nil) -> FormModel.Field {
            .init(name: name, label: t("proposal.field.\(name)"), type: type, value: values[name] ?? "", error: errors[name].map { t($0) },
                  hint: hint.map { t($0) }, required: required)
        }
        var fields = [text("message", type: "textarea", hint: "proposal.field.message_hint"), text("approach", type: "textarea"),
                      text("availability", hint: "proposal.field.availability_hint")]
        if mission.budget != .proBono {
            let chosen = values["price"] ?? (mission.budget == .fixed ? "total" : "day_rate")
            fields.append(.init(name: "price", label: t("proposal.field.price"), type: "select", value: chosen, error: errors["price"].map { t($0) },
                                options: ["day_rate", "total"].map { .init(value: $0, label: t("proposal.price.\($0)"), selected: $0 == chosen) }))
            fields += [text("day_rate", required: false), text("days", required: false), text("total", required: false, hint: "proposal.field.total_hint")]
        }
        return fields
    }

    /// The published mission a member may answer, with their open proposal if they have one.
    private func answerable(_ req: Request) async throws -> (Mission, User) {
        let (mission, _, _) = try await MissionsController.find(req)
        return (mission, try req.requireMember())
    }

    private func refuse(_ req: Request, _ mission: Mission, _ key: String, values: [String: String] = [:], errors: FormErrors = .init(),
                        status: HTTPStatus) async throws -> Response {
        let (_, manages, reviews) = try await MissionsController.find(req)
        var page = try await MissionsController.page(req, mission, manages: manages, reviews: reviews, error: req.t(key))
        page.answerForm = [MissionsController.answerForm(req, mission, values: values, errors: errors)]
        return try await req.renderPage("mission", title: mission.title, page, status: status)
    }

    @Sendable func answerAlone(req: Request) async throws -> Response {
        let (mission, user) = try await answerable(req)
        let values = try await req.formValues()
        var form = FormReader(values)
        let terms = Self.terms(&form, mission: mission)
        guard form.errors.isEmpty else { return try await refuse(req, mission, "form.has_errors", values: values, errors: form.errors, status: .unprocessableEntity) }
        do {
            let proposal = try await req.db.transaction { db in
                try await Proposals(application: req.application, database: db, now: req.now).answer(mission, lead: user, terms: terms)
            }
            try await req.flash(.success, "proposal.flash.sent")
            return req.redirect(to: SiteURL.proposal(try proposal.requireID()), redirectType: .normal)
        } catch let refusal as Proposals.Refusal {
            return try await refuse(req, mission, refusal.key, values: values, status: .conflict)
        }
    }

    /// The team form: the lead's role and share, then teammates chosen among the members who fit the mission.
    private func teamPage(_ req: Request, _ mission: Mission, action: String, values: [String: String], errors: FormErrors, withTerms: Bool) async throws -> FormPage {
        let t = req.t
        let me = req.currentUser?.id
        let query = MatchingQuery(database: req.db)
        let skills = try await MissionSkill.query(on: req.db).filter(\.$mission.$id == mission.requireID()).all()
        let needs = query.needs(mission, skills: skills)
        let recent = MatchingQuery.Recent(since: req.now.addingTimeInterval(-Suggestions.memory), excluding: mission.id)
        let fitting = try await query.best(needs, top: 41, recent: recent).map(\.userID).filter { $0 != me }.prefix(40)
        var people = try await User.query(on: req.db).filter(\.$id ~~ Array(fitting)).all().sorted { $0.name < $1.name }
        // Someone already chosen stays choosable even if no longer among those who fit.
        let chosenIDs = (1...Self.teammateSlots).compactMap { values["member\($0)"].flatMap(UUID.init(uuidString:)) }.filter { id in !people.contains { $0.id == id } }
        if !chosenIDs.isEmpty { people += try await User.query(on: req.db).filter(\.$id ~~ chosenIDs).all() }
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        var fields = withTerms ? Self.termFields(t, mission: mission, values: values, errors: errors) : []
        fields += [
            .init(name: "lead_role", label: t("proposal.field.lead_role"), value: values["lead_role"] ?? "", error: error("lead_role")),
            .init(name: "lead_share", label: t("proposal.field.lead_share"), value: values["lead_share"] ?? "", error: error("lead_share"),
                  hint: t("proposal.field.shares_hint"), inputmode: "numeric"),
        ]
        for slot in 1...Self.teammateSlots {
            let chosen = values["member\(slot)"] ?? ""
            fields.append(.init(name: "member\(slot)", label: t("proposal.field.member", String(slot)), type: "select", value: chosen, error: error("member\(slot)"),
                                hint: slot == 1 ? t("proposal.field.member_hint") : nil, required: slot == 1,
                                options: [.init(value: "", label: t("proposal.field.member_none"), selected: chosen.isEmpty)]
                                    + people.map { .init(value: $0.id?.uuidString ?? "", label: $0.name, selected: $0.id?.uuidString == chosen) }))
            fields.append(.init(name: "role\(slot)", label: t("proposal.field.role", String(slot)), value: values["role\(slot)"] ?? "", error: error("role\(slot)"), required: slot == 1))
            fields.append(.init(name: "share\(slot)", label: t("proposal.field.share", String(slot)), value: values["share\(slot)"] ?? "", error: error("share\(slot)"),
                                required: slot == 1, inputmode: "numeric"))
        }
        return FormPage(heading: t("proposal.team_heading", mission.title), intro: t("proposal.team_intro"), forms: [
            FormModel(id: "team", action: action, submitLabel: t(withTerms ? "proposal.team_submit" : "form.save"), fields: fields,
                      errorSummary: errors.isEmpty ? nil : t("form.has_errors")),
        ], links: [.init(url: SiteURL.mission(try mission.requireID()), label: mission.title)])
    }

    /// The team as typed: the lead's share and role, and each chosen teammate.
    static func team(_ form: inout FormReader) -> (leadRole: String, leadShare: Int?, mates: [Proposals.Teammate]) {
        let leadRole = form.text("lead_role", max: 80, required: true)
        let leadShare = form.number("lead_share", 1...99, required: true, invalid: "proposal.share_range")
        var mates: [Proposals.Teammate] = []
        for slot in 1...teammateSlots {
            let raw = form.raw("member\(slot)")
            guard !raw.isEmpty else { continue }
            guard let id = UUID(uuidString: raw) else { form.errors.add("member\(slot)", "field.invalid_choice"); continue }
            let role = form.text("role\(slot)", max: 80, required: true)
            let share = form.number("share\(slot)", 1...99, required: true, invalid: "proposal.share_range")
            if let share { mates.append(.init(userID: id, role: role, share: share)) }
        }
        if mates.isEmpty { form.errors.add("member1", "proposal.team_too_small") }
        if let leadShare, form.errors.isEmpty, let problem = TeamShares.problem([leadShare] + mates.map(\.share)) { form.errors.add("lead_share", problem) }
        return (leadRole, leadShare, mates)
    }

    @Sendable func teamForm(req: Request) async throws -> Response {
        let (mission, _) = try await answerable(req)
        return try await req.renderPage("form-page", title: req.t("proposal.team_heading", mission.title),
                                        teamPage(req, mission, action: SiteURL.missionTeam(try mission.requireID()), values: [:], errors: .init(), withTerms: true))
    }

    @Sendable func answerAsTeam(req: Request) async throws -> Response {
        let (mission, user) = try await answerable(req)
        let values = try await req.formValues()
        var form = FormReader(values)
        let terms = Self.terms(&form, mission: mission)
        let team = Self.team(&form)
        let action = SiteURL.missionTeam(try mission.requireID())
        func again(_ errors: FormErrors, _ status: HTTPStatus) async throws -> Response {
            try await req.renderPage("form-page", title: req.t("proposal.team_heading", mission.title),
                                     teamPage(req, mission, action: action, values: values, errors: errors, withTerms: true), status: status)
        }
        guard form.errors.isEmpty, let leadShare = team.leadShare else { return try await again(form.errors, .unprocessableEntity) }
        do {
            let proposal = try await req.db.transaction { db in
                try await Proposals(application: req.application, database: db, now: req.now)
                    .answer(mission, lead: user, terms: terms, leadRole: team.leadRole, leadShare: leadShare, team: team.mates)
            }
            try await req.flash(.success, "proposal.flash.team_formed")
            return req.redirect(to: SiteURL.proposal(try proposal.requireID()), redirectType: .normal)
        } catch let refusal as Proposals.Refusal {
            var errors = FormErrors()
            errors.add("member1", refusal.key)
            return try await again(errors, .conflict)
        }
    }

    // MARK: The proposal's page

    struct Page: Encodable, Sendable {
        struct Member: Encodable, Sendable {
            let name: String
            let url: String
            let role: String
            let share: String
            let confirmed: Bool
        }

        struct Message: Encodable, Sendable {
            let author: String
            let when: String
            let paragraphs: [String]
        }

        struct Action: Encodable, Sendable {
            let url: String
            let label: String
            let to: String?
            let needsReason: Bool
            let primary: Bool
        }

        let heading: String
        let missionURL: String
        let status: String
        let statusReason: String?
        let lead: String
        let message: [String]
        let approach: [String]
        let availability: String
        let price: String
        let members: [Member]
        let teamURL: String?
        let actions: [Action]
        let thread: [Message]
        let canWrite: Bool
        let messagesURL: String
        let error: String?
    }

    /// The proposal and how the reader relates to it. Its members, the mission's organisation once it has
    /// the proposal, and admins; anyone else gets a 404.
    private func find(_ req: Request) async throws -> (Proposal, Mission, isLead: Bool, isMember: Bool, isOrganisation: Bool) {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self), let proposal = try await Proposal.find(id, on: req.db),
              let mission = try await Mission.find(proposal.$mission.id, on: req.db) else { throw PageError.notFound }
        let isLead = proposal.$lead.id == user.id
        let isMember = try await ProposalMember.query(on: req.db).filter(\.$proposal.$id == id).filter(\.$user.$id == user.requireID()).count() > 0
        let isOrganisation = AccessPolicy.allows(req.principal, .manageOrganisation(mission.$organisation.id)) && proposal.status.reachedOrganisation
        guard isLead || isMember || isOrganisation || user.role == .admin else { throw PageError.notFound }
        return (proposal, mission, isLead, isMember, isOrganisation)
    }

    static func price(_ proposal: Proposal, _ t: Translator) -> String {
        switch proposal.price {
        case .none: t("mission.budget.pro_bono")
        case .total: t("mission.budget.fixed_amount", String(proposal.total ?? 0))
        case .dayRate: t("proposal.price_day_rate", String(proposal.dayRate ?? 0), t.count("mission.days", proposal.days ?? 0))
        }
    }

    private func render(_ req: Request, error: String? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let (proposal, mission, isLead, isMember, isOrganisation) = try await find(req)
        let t = req.t
        let id = try proposal.requireID()
        let members = try await ProposalMember.query(on: req.db).filter(\.$proposal.$id == id).with(\.$user).all()
            .sorted { ($0.user.id == proposal.$lead.id ? 0 : 1, $0.user.name) < ($1.user.id == proposal.$lead.id ? 0 : 1, $1.user.name) }
        let me = req.currentUser?.id
        var actions: [Page.Action] = []
        if proposal.status == .forming, let mine = members.first(where: { $0.user.id == me }), mine.confirmedAt == nil {
            actions.append(.init(url: "\(SiteURL.proposal(id))/confirm", label: t("proposal.action.confirm", "\(mine.share) %"), to: nil, needsReason: false, primary: true))
        }
        if proposal.status == .forming, isMember, !isLead {
            actions.append(.init(url: "\(SiteURL.proposal(id))/leave", label: t("proposal.action.leave"), to: nil, needsReason: false, primary: false))
        }
        if isLead, [.forming, .submitted, .shortlisted].contains(proposal.status) {
            actions.append(.init(url: "\(SiteURL.proposal(id))/withdraw", label: t("proposal.action.withdraw"), to: nil, needsReason: true, primary: false))
        }
        if isLead, proposal.status == .awarded, mission.status == .awarded {
            actions.append(.init(url: "\(SiteURL.proposal(id))/delivered", label: t("proposal.action.delivered"), to: nil, needsReason: false, primary: true))
        }
        if isOrganisation, [.submitted, .shortlisted].contains(proposal.status), mission.status == .published {
            if proposal.status == .submitted { actions.append(.init(url: "\(SiteURL.proposal(id))/decide", label: t("proposal.action.shortlisted"), to: "shortlisted", needsReason: false, primary: false)) }
            actions.append(.init(url: "\(SiteURL.proposal(id))/decide", label: t("proposal.action.awarded"), to: "awarded", needsReason: false, primary: true))
            actions.append(.init(url: "\(SiteURL.proposal(id))/decide", label: t("proposal.action.declined"), to: "declined", needsReason: true, primary: false))
        }
        // The conversation is between the organisation and the lead.
        let seesThread = isOrganisation || isLead || req.currentUser?.role == .admin
        let thread = seesThread && proposal.status.reachedOrganisation
            ? try await ProposalMessage.query(on: req.db).filter(\.$proposal.$id == id).with(\.$author).sort(\.$createdAt).all().map { message in
                Page.Message(author: message.author?.name ?? t(message.fromOrganisation ? "proposal.thread.organisation" : "person.former_member"),
                             when: DateFormatting.dateTime(message.createdAt, req.locale),
                             paragraphs: message.body.components(separatedBy: "\n").filter { !$0.isEmpty })
            } : []
        let lead = members.first { $0.user.id == proposal.$lead.id }?.user.name ?? t("person.former_member")
        return try await req.renderPage("proposal", title: t("proposal.heading", mission.title), Page(
            heading: t("proposal.heading", mission.title), missionURL: SiteURL.mission(try mission.requireID()),
            status: t("proposal.status.\(proposal.status.rawValue)"), statusReason: proposal.statusReason, lead: lead,
            message: proposal.message.components(separatedBy: "\n").filter { !$0.isEmpty },
            approach: proposal.approach.components(separatedBy: "\n").filter { !$0.isEmpty },
            availability: proposal.availability, price: Self.price(proposal, t),
            members: proposal.isTeam ? members.map { .init(name: $0.user.name, url: SiteURL.member($0.user.id ?? UUID()), role: $0.role, share: "\($0.share) %",
                                                           confirmed: $0.confirmedAt != nil) } : [],
            teamURL: isLead && proposal.isTeam && proposal.status == .forming ? "\(SiteURL.proposal(id))/team" : nil,
            actions: actions, thread: thread, canWrite: seesThread && [.submitted, .shortlisted, .awarded].contains(proposal.status) && (isOrganisation || isLead),
            messagesURL: "\(SiteURL.proposal(id))/messages", error: error), status: status)
    }

    @Sendable func show(req: Request) async throws -> Response { try await render(req) }

    /// Runs a `Proposals` step in a transaction; a refusal re-draws the page with its message.
    private func act(_ req: Request, flash: String, _ step: @escaping @Sendable (Proposals, User) async throws -> Void) async throws -> Response {
        let user = try req.requireUser()
        guard let id = req.parameters.get("id", as: UUID.self) else { throw PageError.notFound }
        do {
            try await req.db.transaction { db in try await step(Proposals(application: req.application, database: db, now: req.now), user) }
        } catch let refusal as Proposals.Refusal {
            return try await render(req, error: req.t(refusal.key), status: .conflict)
        }
        try await req.flash(.success, flash)
        return req.redirect(to: SiteURL.proposal(id), redirectType: .normal)
    }

    private func reason(_ req: Request) async throws -> String? {
        let text = (try await req.formValues()["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty || text.scalarLength > 1000 ? nil : text
    }

    @Sendable func confirm(req: Request) async throws -> Response {
        let (proposal, _, _, isMember, _) = try await find(req)
        guard isMember else { throw PageError.forbidden }
        let id = try proposal.requireID()
        return try await act(req, flash: "proposal.flash.confirmed") { proposals, user in try await proposals.confirm(id, by: user) }
    }

    @Sendable func leave(req: Request) async throws -> Response {
        let (proposal, mission, isLead, isMember, _) = try await find(req)
        guard isMember, !isLead else { throw PageError.forbidden }
        let id = try proposal.requireID()
        _ = try await act(req, flash: "proposal.flash.left") { proposals, user in try await proposals.leave(id, by: user) }
        return req.redirect(to: SiteURL.mission(try mission.requireID()), redirectType: .normal)
    }

    @Sendable func withdraw(req: Request) async throws -> Response {
        let (proposal, _, isLead, _, _) = try await find(req)
        guard isLead else { throw PageError.forbidden }
        guard let reason = try await reason(req) else { return try await render(req, error: req.t("mission.reason_needed"), status: .unprocessableEntity) }
        let id = try proposal.requireID()
        return try await act(req, flash: "proposal.flash.withdrawn") { proposals, user in try await proposals.withdraw(id, by: user, reason: reason) }
    }

    @Sendable func decide(req: Request) async throws -> Response {
        let (proposal, mission, _, _, isOrganisation) = try await find(req)
        guard isOrganisation else { throw PageError.forbidden }
        let missionID = try mission.requireID()
        let values = try await req.formValues()
        guard let target = Proposal.Status(rawValue: values["to"] ?? ""), [.shortlisted, .declined, .awarded].contains(target) else { throw Abort(.badRequest) }
        let reason = try await reason(req)
        if target == .declined, reason == nil { return try await render(req, error: req.t("mission.reason_needed"), status: .unprocessableEntity) }
        let id = try proposal.requireID()
        return try await act(req, flash: "proposal.flash.\(target.rawValue)") { proposals, user in try await proposals.decide(id, of: missionID, to: target, by: user, reason: reason) }
    }

    @Sendable func message(req: Request) async throws -> Response {
        let (proposal, mission, isLead, _, isOrganisation) = try await find(req)
        guard (isLead || isOrganisation), [.submitted, .shortlisted, .awarded].contains(proposal.status) else { throw PageError.forbidden }
        var form = FormReader(try await req.formValues())
        let body = form.text("body", max: 5000, required: true)
        guard form.errors.isEmpty else { return try await render(req, error: req.t("proposal.message_empty"), status: .unprocessableEntity) }
        let user = try req.requireUser()
        let id = try proposal.requireID()
        let now = req.now
        try await req.db.transaction { db in
            let message = ProposalMessage()
            message.$proposal.id = id
            message.$author.id = user.id
            message.fromOrganisation = isOrganisation
            message.body = body
            message.createdAt = now
            try await message.create(on: db)
            // The other side is told; no address is shown, replies go through the page.
            var others: [User] = []
            if isOrganisation {
                if let lead = try await proposal.$lead.get(on: db) { others = [lead] }
            } else {
                others = try await OrganisationContact.query(on: db).filter(\.$organisation.$id == mission.$organisation.id).with(\.$user).all().map(\.user)
            }
            let notifier = Notifier(application: req.application, database: db, now: now)
            for person in others {
                try await notifier.notify(person, .init(kind: .proposalMessage, textKey: "notify.proposal_message", arguments: [mission.title],
                                                        link: SiteURL.proposal(id), mailNote: ("event.message.replies_unread", [])))
            }
        }
        return req.redirect(to: SiteURL.proposal(id) + "#thread", redirectType: .normal)
    }

    @Sendable func delivered(req: Request) async throws -> Response {
        let (proposal, mission, isLead, _, _) = try await find(req)
        guard isLead, proposal.status == .awarded else { throw PageError.forbidden }
        do {
            try await req.db.transaction { db in
                try await MissionWorkflow(application: req.application, database: db, now: req.now).move(mission, to: .delivered, as: .freelancer, by: req.currentUser, reason: nil)
            }
        } catch is MissionWorkflow.Conflict {
            return try await render(req, error: req.t("mission.conflict"), status: .conflict)
        }
        try await req.flash(.success, "proposal.flash.delivered")
        return req.redirect(to: SiteURL.proposal(try proposal.requireID()), redirectType: .normal)
    }

    @Sendable func changeTeamForm(req: Request) async throws -> Response {
        let (proposal, mission, isLead, _, _) = try await find(req)
        guard isLead, proposal.isTeam, proposal.status == .forming else { throw PageError.forbidden }
        let members = try await ProposalMember.query(on: req.db).filter(\.$proposal.$id == proposal.requireID()).all()
        var values: [String: String] = [:]
        for (slot, member) in members.filter({ $0.$user.id != proposal.$lead.id }).enumerated() where slot < Self.teammateSlots {
            values["member\(slot + 1)"] = member.$user.id.uuidString
            values["role\(slot + 1)"] = member.role
            values["share\(slot + 1)"] = String(member.share)
        }
        if let lead = members.first(where: { $0.$user.id == proposal.$lead.id }) {
            values["lead_role"] = lead.role
            values["lead_share"] = String(lead.share)
        }
        return try await req.renderPage("form-page", title: req.t("proposal.team_heading", mission.title),
                                        teamPage(req, mission, action: "\(SiteURL.proposal(try proposal.requireID()))/team", values: values, errors: .init(), withTerms: false))
    }

    @Sendable func changeTeam(req: Request) async throws -> Response {
        let (proposal, mission, isLead, _, _) = try await find(req)
        guard isLead, proposal.isTeam, proposal.status == .forming else { throw PageError.forbidden }
        let values = try await req.formValues()
        var form = FormReader(values)
        let team = Self.team(&form)
        let id = try proposal.requireID()
        let action = "\(SiteURL.proposal(id))/team"
        func again(_ errors: FormErrors, _ status: HTTPStatus) async throws -> Response {
            try await req.renderPage("form-page", title: req.t("proposal.team_heading", mission.title),
                                     teamPage(req, mission, action: action, values: values, errors: errors, withTerms: false), status: status)
        }
        guard form.errors.isEmpty, let leadShare = team.leadShare else { return try await again(form.errors, .unprocessableEntity) }
        let user = try req.requireUser()
        do {
            try await req.db.transaction { db in
                try await Proposals(application: req.application, database: db, now: req.now)
                    .changeTeam(id, by: user, leadShare: leadShare, leadRole: team.leadRole, team: team.mates)
            }
        } catch let refusal as Proposals.Refusal {
            var errors = FormErrors()
            errors.add("member1", refusal.key)
            return try await again(errors, .conflict)
        }
        try await req.flash(.success, "proposal.flash.team_changed")
        return req.redirect(to: SiteURL.proposal(id), redirectType: .normal)
    }
}
