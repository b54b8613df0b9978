import Fluent
import Vapor

/// Organisations: a visitor signs up as an organisation's contact (account and organisation in one
/// form), the organisation's page, and colleagues added as further contacts.
struct OrganisationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.newOrganisation), use: newForm)
        routes.post(SiteURL.route(SiteURL.newOrganisation), use: create)
        routes.get(SiteURL.route(SiteURL.organisations) + [":slug"], use: show)
        routes.post(SiteURL.route(SiteURL.organisations) + [":slug", "contacts"], use: addContact)
    }

    /// The organisation part of the form, read and checked.
    struct OrganisationInput {
        var errors = FormErrors()
        var name = "", city = "", description = ""
        var kind: Organisation.Kind = .association
        var website: String?
        var causes: [String] = []

        init(values: [String: String]) {
            var form = FormReader(values)
            name = form.text("organisation_name", max: 120, required: true)
            kind = form.choice("kind", as: Organisation.Kind.self) ?? .association
            website = form.link("website")
            city = form.text("city", max: 80, required: true)
            description = form.text("description", max: 2000, required: true)
            causes = Taxonomy.causes.filter { values["cause_\($0)"] == "yes" }
            errors = form.errors
        }
    }

    static func fields(_ t: Translator, values: [String: String], errors: FormErrors) -> [FormModel.Field] {
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        let kind = values["kind"] ?? Organisation.Kind.association.rawValue
        return [
            .init(name: "organisation_name", label: t("organisation.name"), value: values["organisation_name"] ?? "", error: error("organisation_name"), autocomplete: "organization"),
            .init(name: "kind", label: t("organisation.kind"), type: "select", value: kind, error: error("kind"),
                  options: Organisation.Kind.allCases.map { .init(value: $0.rawValue, label: t("organisation.kind.\($0.rawValue)"), selected: $0.rawValue == kind) }),
            .init(name: "website", label: t("organisation.website"), type: "url", value: values["website"] ?? "", error: error("website"), hint: t("profile.link_hint"), required: false),
            .init(name: "city", label: t("organisation.city"), value: values["city"] ?? "", error: error("city")),
            .init(name: "description", label: t("organisation.description"), type: "textarea", value: values["description"] ?? "", error: error("description"),
                  hint: t("organisation.description_hint")),
        ] + Taxonomy.causes.map { .init(name: "cause_\($0)", label: t("cause.\($0)"), type: "checkbox", value: values["cause_\($0)"] ?? "", required: false) }
    }

    private func page(_ req: Request, values: [String: String] = [:], errors: FormErrors = .init(), summary: String? = nil) -> FormPage {
        let t = req.t
        let account: [FormModel.Field] = [
            .init(name: "name", label: t("organisation.contact_name"), value: values["name"] ?? "", error: errors["name"].map { t($0) }, autocomplete: "name"),
            .init(name: "email", label: t("field.email"), type: "email", value: values["email"] ?? "", error: errors["email"].map { t($0) }, autocomplete: "email"),
            .init(name: "password", label: t("field.password"), type: "password", error: errors["password"].map { t($0) },
                  hint: t("password.hint", String(PasswordPolicy.minimumLength)), autocomplete: "new-password"),
        ]
        let form = FormModel(id: "organisation", action: SiteURL.newOrganisation, submitLabel: t("organisation.create"),
                             fields: account + Self.fields(t, values: values, errors: errors),
                             errorSummary: summary ?? (errors.isEmpty ? nil : t("form.has_errors")))
        return FormPage(heading: t("organisation.new_heading"), intro: t("organisation.new_intro"), forms: [form],
                        links: [.init(url: SiteURL.signIn, label: t("signup.have_account"))])
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        if let user = req.currentUser {
            // Already an organisation's contact: straight to posting; a member's account is not an organisation's.
            if user.role == .organisationContact { return req.redirect(to: SiteURL.newMission) }
            let t = req.t
            let page = MessagePage(heading: t("organisation.new_heading"), paragraphs: [t("organisation.members_cannot")])
            return try await req.renderPage("message", title: page.heading, page, status: .forbidden)
        }
        return try await req.renderPage("form-page", title: req.t("organisation.new_heading"), page(req))
    }

    /// Slug for a new organisation: its name, with a number when taken.
    static func freeSlug(_ name: String, on db: any Database) async throws -> String {
        let base = Slug.make(name).isEmpty ? "organisation" : Slug.make(name)
        var slug = base
        var suffix = 2
        while try await Organisation.query(on: db).filter(\.$slug == slug).count() > 0 {
            slug = "\(base)-\(suffix)"
            suffix += 1
        }
        return slug
    }

    @Sendable func create(req: Request) async throws -> Response {
        guard req.currentUser == nil else { return try await newForm(req: req) }
        let values = try await req.formValues()
        guard try await Throttle(database: req.db, now: req.now).attempt(Throttle.ipKey("sign-up", ip: req.clientIP), req.maillon.throttling.signUpPerIP) else {
            return try await req.renderPage("form-page", title: req.t("organisation.new_heading"), page(req, values: values, summary: req.t("throttle.too_many")),
                                            status: .tooManyRequests)
        }
        var input = OrganisationInput(values: values)
        let name = (values["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let email = EmailAddress.normalise(values["email"] ?? "")
        let password = values["password"] ?? ""
        if let problem = PersonName.problem(name) { input.errors.add("name", problem) }
        if !EmailAddress.isPlausible(email) { input.errors.add("email", "email.invalid") }
        if let problem = req.maillon.passwords.problem(with: password, email: email) { input.errors.add("password", problem) }
        guard input.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("organisation.new_heading"), page(req, values: values, errors: input.errors),
                                            status: .unprocessableEntity)
        }
        // As for any sign-up: the same answer whether or not the address has an account.
        let hash = try await req.password.async.hash(password)
        if let existing = try await User.query(on: req.db).filter(\.$email == email).first() {
            try await AccountMail(request: req).alreadyRegistered(existing)
            return req.redirect(to: SiteURL.signUpSent, redirectType: .normal)
        }
        let now = req.now
        let organisationInput = input
        do {
            try await req.db.transaction { db in
                let user = User(email: email, passwordHash: hash, name: name, role: .organisationContact, locale: req.locale)
                try await user.create(on: db)
                let organisation = Organisation()
                organisation.slug = try await Self.freeSlug(organisationInput.name, on: db)
                organisation.name = organisationInput.name
                organisation.kind = organisationInput.kind
                organisation.website = organisationInput.website
                organisation.city = organisationInput.city
                organisation.description = organisationInput.description
                organisation.causes = organisationInput.causes.joined(separator: ",")
                organisation.createdAt = now
                try await organisation.create(on: db)
                let contact = OrganisationContact()
                contact.$organisation.id = try organisation.requireID()
                contact.$user.id = try user.requireID()
                contact.createdAt = now
                try await contact.create(on: db)
                let secret = try await Tokens(database: db, now: now).issue(.verifyEmail, for: user, email: email, lifetime: Tokens.verificationLifetime)
                try await AccountMail(request: req, database: db).verification(user, address: email, token: secret)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // The same address (or name) registered a moment ago.
        }
        return req.redirect(to: SiteURL.signUpSent, redirectType: .normal)
    }

    struct ShowPage: Encodable, Sendable {
        struct MissionRow: Encodable, Sendable {
            let title: String
            let url: String
            let status: String
        }

        let heading: String
        let kind: String
        let city: String
        let website: String?
        let paragraphs: [String]
        let causes: [String]
        let missions: [MissionRow]
        let contacts: [String]
        let contactForm: [FormModel]
        let newMissionURL: String?
        /// Freelancers' published reviews, once there are some.
        let reviews: [ReviewLine]
    }

    private func find(_ req: Request) async throws -> Organisation {
        let slug = try req.slugParameter()
        guard let organisation = try await Organisation.query(on: req.db).filter(\.$slug == slug).first() else { throw PageError.notFound }
        return organisation
    }

    private func render(_ req: Request, _ organisation: Organisation, values: [String: String] = [:], errors: FormErrors = .init(),
                        status: HTTPStatus = .ok) async throws -> Response {
        let t = req.t
        let id = try organisation.requireID()
        let manages = req.principal.map { AccessPolicy.allows($0, .manageOrganisation(id)) } ?? false
        let isMember = req.currentUser?.isMember ?? false
        // Its people manage everything; members see what is open to them; visitors, the organisation itself.
        var missions: [ShowPage.MissionRow] = []
        if manages || isMember {
            var query = Mission.query(on: req.db).filter(\.$organisation.$id == id).sort(\.$createdAt, .descending).limit(50)
            if !manages { query = query.filter(\.$status ~~ [.published, .awarded, .delivered, .completed]) }
            missions = try await query.all().map { .init(title: $0.title, url: SiteURL.mission($0.id ?? UUID()), status: t("mission.status.\($0.status.rawValue)")) }
        }
        var contacts: [String] = []
        var forms: [FormModel] = []
        if manages {
            contacts = try await OrganisationContact.query(on: req.db).filter(\.$organisation.$id == id).with(\.$user).all().map(\.user.name)
            forms = [FormModel(id: "contact", action: SiteURL.organisationContacts(organisation.slug), submitLabel: t("organisation.add_contact"), fields: [
                .init(name: "name", label: t("organisation.contact_name"), value: values["name"] ?? "", error: errors["name"].map { t($0) }),
                .init(name: "email", label: t("field.email"), type: "email", value: values["email"] ?? "", error: errors["email"].map { t($0) }),
            ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))]
        }
        let canPost = manages && req.currentUser?.role == .organisationContact
        let reviews = try await Reviewing(database: req.db, now: req.now).published(aboutOrganisation: id)
        let authors = Dictionary(try await User.query(on: req.db).filter(\.$id ~~ reviews.compactMap { $0.$author.id }).all().map { ($0.id ?? UUID(), $0.name) },
                                 uniquingKeysWith: { a, _ in a })
        return try await req.renderPage("organisation", title: organisation.name, ShowPage(
            heading: organisation.name, kind: t("organisation.kind.\(organisation.kind.rawValue)"), city: organisation.city, website: organisation.website,
            paragraphs: organisation.description.components(separatedBy: "\n").filter { !$0.isEmpty },
            causes: organisation.causeList.map { t("cause.\($0)") }, missions: missions, contacts: contacts, contactForm: forms,
            newMissionURL: canPost ? SiteURL.newMission : nil,
            reviews: ReviewLine.lines(reviews, source: { $0.$author.id.flatMap { authors[$0] } ?? t("person.former_member") }, t)), status: status)
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await render(req, try await find(req))
    }

    /// A colleague becomes a contact: a new account gets a week-long link to choose a password; an
    /// existing organisation account is linked. A member's account cannot act for an organisation.
    @Sendable func addContact(req: Request) async throws -> Response {
        let organisation = try await find(req)
        let id = try organisation.requireID()
        try req.authorize(.manageOrganisation(id))
        let values = try await req.formValues()
        var form = FormReader(values)
        let name = form.text("name", max: 100, required: true)
        if let problem = PersonName.problem(name), form.errors["name"] == nil { form.errors.add("name", problem) }
        let email = EmailAddress.normalise(values["email"] ?? "")
        if !EmailAddress.isPlausible(email) { form.errors.add("email", "email.invalid") }
        let existing = try await User.query(on: req.db).filter(\.$email == email).first()
        if let existing, existing.role != .organisationContact { form.errors.add("email", "organisation.contact_is_member") }
        if let existing, try await OrganisationContact.query(on: req.db).filter(\.$organisation.$id == id).filter(\.$user.$id == existing.requireID()).count() > 0 {
            form.errors.add("email", "organisation.contact_already")
        }
        guard form.errors.isEmpty else { return try await render(req, organisation, values: values, errors: form.errors, status: .unprocessableEntity) }
        let now = req.now
        try await req.db.transaction { db in
            let (colleague, secret) = try await InvitedAccount.open(existing: existing, email: email, name: name, role: .organisationContact, request: req, on: db)
            let contact = OrganisationContact()
            contact.$organisation.id = id
            contact.$user.id = try colleague.requireID()
            contact.createdAt = now
            try await contact.create(on: db)
            try await AccountMail(request: req, database: db).organisationInvitation(colleague, organisation: organisation.name, token: secret)
        }
        try await req.flash(.success, "organisation.flash.contact_added")
        return req.redirect(to: SiteURL.organisation(organisation.slug), redirectType: .normal)
    }
}
