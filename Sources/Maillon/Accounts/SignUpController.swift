import Fluent
import Vapor

/// Sign up with email and password, then verify the address through the mailed link.
struct SignUpController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.signUp), use: form)
        routes.post(SiteURL.route(SiteURL.signUp), use: submit)
        routes.get(SiteURL.route(SiteURL.signUpSent), use: sent)
        routes.get(SiteURL.route(SiteURL.verifyEmail), use: verify)
    }

    static func page(_ req: Request, values: [String: String] = [:], errors: FormErrors = .init(), summary: String? = nil) -> FormPage {
        let t = req.t
        let form = FormModel(
            id: "sign-up", action: SiteURL.signUp, submitLabel: t("signup.submit"),
            fields: [
                .init(name: "name", label: t("field.name"), value: values["name"] ?? "", error: errors["name"].map { t($0) }, autocomplete: "name"),
                .init(name: "email", label: t("field.email"), type: "email", value: values["email"] ?? "", error: errors["email"].map { t($0) }, autocomplete: "email"),
                .init(name: "password", label: t("field.password"), type: "password", error: errors["password"].map { t($0) },
                      hint: t("password.hint", String(PasswordPolicy.minimumLength)), autocomplete: "new-password"),
            ],
            errorSummary: summary ?? (errors.isEmpty ? nil : t("form.has_errors"))
        )
        return FormPage(heading: t("signup.heading"), intro: t("signup.intro"), forms: [form],
                        links: [.init(url: SiteURL.signIn, label: t("signup.have_account"))])
    }

    @Sendable func form(req: Request) async throws -> Response {
        if req.currentUser != nil { return req.redirect(to: SiteURL.account) }
        return try await req.renderPage("form-page", title: req.t("signup.heading"), Self.page(req))
    }

    @Sendable func submit(req: Request) async throws -> Response {
        let values = try await req.formValues()
        let throttle = Throttle(database: req.db, now: req.now)
        guard try await throttle.attempt(Throttle.ipKey("sign-up", ip: req.clientIP), req.maillon.throttling.signUpPerIP) else {
            return try await req.renderPage("form-page", title: req.t("signup.heading"),
                                            Self.page(req, values: values, summary: req.t("throttle.too_many")), status: .tooManyRequests)
        }
        let name = (values["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let email = EmailAddress.normalise(values["email"] ?? "")
        let password = values["password"] ?? ""
        var errors = FormErrors()
        if let problem = PersonName.problem(name) { errors.add("name", problem) }
        if !EmailAddress.isPlausible(email) { errors.add("email", "email.invalid") }
        if let problem = req.maillon.passwords.problem(with: password, email: email) { errors.add("password", problem) }
        guard errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("signup.heading"),
                                            Self.page(req, values: values, errors: errors), status: .unprocessableEntity)
        }

        let mail = AccountMail(request: req)
        // Hash first, and answer the same way whether or not the address has an account:
        // neither the page nor its timing tells which addresses are registered.
        let hash = try await req.password.async.hash(password)
        if let existing = try await User.query(on: req.db).filter(\.$email == email).first() {
            try await mail.alreadyRegistered(existing)
            return req.redirect(to: SiteURL.signUpSent, redirectType: .normal)
        }
        let user = User(email: email, passwordHash: hash, name: name, role: .applicant, locale: req.locale)
        do {
            // The account, its link and the mail that carries it are written together, or not at all.
            try await req.db.transaction { db in
                try await user.create(on: db)
                let secret = try await Tokens(database: db, now: req.now).issue(.verifyEmail, for: user, email: email, lifetime: Tokens.verificationLifetime)
                try await AccountMail(request: req, database: db).verification(user, address: email, token: secret)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Someone registered the same address a moment ago.
            return req.redirect(to: SiteURL.signUpSent, redirectType: .normal)
        }
        return req.redirect(to: SiteURL.signUpSent, redirectType: .normal)
    }

    @Sendable func sent(req: Request) async throws -> Response {
        let t = req.t
        return try await req.renderPage("message", title: t("signup.sent.heading"),
                                        MessagePage(heading: t("signup.sent.heading"), paragraphs: [t("signup.sent.body"), t("signup.sent.spam")]))
    }

    @Sendable func verify(req: Request) async throws -> Response {
        let t = req.t
        let tokens = Tokens(database: req.db, now: req.now)
        let invalid = MessagePage(heading: t("verify.invalid.heading"), paragraphs: [t("verify.invalid.body")],
                                  linkURL: SiteURL.signIn, linkLabel: t("nav.sign_in"))
        guard let token = try await tokens.find(req.query["token"], .verifyEmail),
              let user = try await User.find(token.$user.id, on: req.db),
              let address = token.email
        else {
            return try await req.renderPage("message", title: invalid.heading, invalid, status: .badRequest)
        }
        do {
            let verified = try await req.db.transaction { db -> Bool in
                // A new address counts only while the account still wants it (a password change drops the wish).
                if address != user.email, user.pendingEmail != address { return false }
                guard try await Tokens(database: db, now: req.now).redeem(token) else { return false }
                if address != user.email {
                    user.formerEmails = user.formerEmails + [user.email]
                    user.pendingEmail = nil
                }
                user.email = address
                user.emailVerifiedAt = req.now
                try await user.save(on: db)
                return true
            }
            guard verified else { return try await req.renderPage("message", title: invalid.heading, invalid, status: .badRequest) }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            let taken = MessagePage(heading: t("verify.taken.heading"), paragraphs: [t("verify.taken.body")])
            return try await req.renderPage("message", title: taken.heading, taken, status: .conflict)
        }
        let signedIn = req.currentUser?.id == user.id
        let done = MessagePage(heading: t("verify.done.heading"), paragraphs: [t("verify.done.body")],
                               linkURL: signedIn ? SiteURL.account : SiteURL.signIn,
                               linkLabel: signedIn ? t("nav.account") : t("nav.sign_in"))
        return try await req.renderPage("message", title: done.heading, done)
    }
}
