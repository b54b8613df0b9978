import Fluent
import Vapor

/// Forgotten password: a mailed single-use link valid one hour, stored hashed.
struct PasswordResetController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.forgotPassword), use: requestForm)
        routes.post(SiteURL.route(SiteURL.forgotPassword), use: requestSubmit)
        routes.get(SiteURL.route(SiteURL.resetPassword), use: resetForm)
        routes.post(SiteURL.route(SiteURL.resetPassword), use: resetSubmit)
    }

    static func requestPage(_ req: Request, values: [String: String] = [:], errors: FormErrors = .init(), summary: String? = nil) -> FormPage {
        let t = req.t
        let form = FormModel(
            id: "forgot-password", action: SiteURL.forgotPassword, submitLabel: t("forgot.submit"),
            fields: [.init(name: "email", label: t("field.email"), type: "email", value: values["email"] ?? "",
                           error: errors["email"].map { t($0) }, autocomplete: "email")],
            errorSummary: summary ?? (errors.isEmpty ? nil : t("form.has_errors"))
        )
        return FormPage(heading: t("forgot.heading"), intro: t("forgot.intro"), forms: [form],
                        links: [.init(url: SiteURL.signIn, label: t("nav.sign_in"))])
    }

    @Sendable func requestForm(req: Request) async throws -> Response {
        try await req.renderPage("form-page", title: req.t("forgot.heading"), Self.requestPage(req))
    }

    @Sendable func requestSubmit(req: Request) async throws -> Response {
        let values = try await req.formValues()
        let email = EmailAddress.normalise(values["email"] ?? "")
        guard EmailAddress.isPlausible(email) else {
            var errors = FormErrors()
            errors.add("email", "email.invalid")
            return try await req.renderPage("form-page", title: req.t("forgot.heading"),
                                            Self.requestPage(req, values: values, errors: errors), status: .unprocessableEntity)
        }
        let throttle = Throttle(database: req.db, now: req.now)
        let policy = req.maillon.throttling
        let ipAllowed = try await throttle.attempt(Throttle.ipKey("reset", ip: req.clientIP), policy.resetPerIP)
        let accountAllowed = try await throttle.attempt(Throttle.accountKey("reset", email: email), policy.resetPerAccount)
        guard ipAllowed, accountAllowed else {
            return try await req.renderPage("form-page", title: req.t("forgot.heading"),
                                            Self.requestPage(req, values: values, summary: req.t("throttle.too_many")), status: .tooManyRequests)
        }
        // The same work whether or not the address has an account (one job queued), so the answer's
        // timing tells nothing; the job looks the address up and mails a link if there is an account.
        try await JobQueue(database: req.db, now: req.now).enqueue(PasswordResetRequestJob(email: email, locale: req.locale))
        // Same answer whether or not the address has an account.
        let t = req.t
        return try await req.renderPage("message", title: t("forgot.sent.heading"),
                                        MessagePage(heading: t("forgot.sent.heading"), paragraphs: [t("forgot.sent.body")]))
    }

    static func resetPage(_ req: Request, token: String, errors: FormErrors = .init()) -> FormPage {
        let t = req.t
        let form = FormModel(
            id: "reset-password", action: SiteURL.resetPassword, submitLabel: t("reset.submit"),
            fields: [.init(name: "password", label: t("field.new_password"), type: "password", error: errors["password"].map { t($0) },
                           hint: t("password.hint", String(PasswordPolicy.minimumLength)), autocomplete: "new-password")],
            errorSummary: errors.isEmpty ? nil : t("form.has_errors"),
            hidden: [.init(name: "token", value: token)]
        )
        return FormPage(heading: t("reset.heading"), forms: [form])
    }

    private func invalidLink(_ req: Request) async throws -> Response {
        let t = req.t
        let page = MessagePage(heading: t("reset.invalid.heading"), paragraphs: [t("reset.invalid.body")],
                               linkURL: SiteURL.forgotPassword, linkLabel: t("reset.invalid.again"))
        return try await req.renderPage("message", title: page.heading, page, status: .badRequest)
    }

    @Sendable func resetForm(req: Request) async throws -> Response {
        let secret: String? = req.query["token"]
        guard let secret, try await Tokens(database: req.db, now: req.now).find(secret, .resetPassword) != nil else {
            return try await invalidLink(req)
        }
        return try await req.renderPage("form-page", title: req.t("reset.heading"), Self.resetPage(req, token: secret))
    }

    @Sendable func resetSubmit(req: Request) async throws -> Response {
        let values = try await req.formValues()
        let secret = values["token"] ?? ""
        let tokens = Tokens(database: req.db, now: req.now)
        guard let token = try await tokens.find(secret, .resetPassword),
              let user = try await User.find(token.$user.id, on: req.db)
        else { return try await invalidLink(req) }

        let password = values["password"] ?? ""
        if let problem = req.maillon.passwords.problem(with: password, email: user.email) {
            var errors = FormErrors()
            errors.add("password", problem)
            return try await req.renderPage("form-page", title: req.t("reset.heading"),
                                            Self.resetPage(req, token: secret, errors: errors), status: .unprocessableEntity)
        }
        let hash = try await req.password.async.hash(password)
        let changed = try await req.db.transaction { db -> Bool in
            guard try await Tokens(database: db, now: req.now).redeem(token) else { return false }
            user.passwordHash = hash
            // Following the mailed link proves the address.
            if user.emailVerifiedAt == nil { user.emailVerifiedAt = req.now }
            try await user.save(on: db)
            // A new password ends every session: whoever knew the old one is signed out.
            try await UserSession.query(on: db).filter(\.$user.$id == user.requireID()).delete()
            // Every other link of the account goes too: an address change someone asked for with the old password dies here.
            let cancelledChange = try await Tokens(database: db, now: req.now).revokeAll(for: user)
            try await user.save(on: db)
            try await AccountMail(request: req, database: db).passwordChanged(user, cancelledChange: cancelledChange)
            return true
        }
        guard changed else { return try await invalidLink(req) }
        if req.currentUser?.id == user.id {
            req.sessionContext.record = nil
            req.sessionContext.user = nil
        }
        try await req.flash(.success, "flash.password_reset")
        return req.redirect(to: SiteURL.signIn, redirectType: .normal)
    }
}

/// A reset asked for `email`: a link is mailed if the address has an account, nothing otherwise.
struct PasswordResetRequestJob: Job {
    static let kind = "password-reset-request"
    static let maxAttempts = 3
    let email: String
    let locale: AppLocale

    func run(_ context: JobContext) async throws {
        guard let user = try await User.query(on: context.db).filter(\.$email == email).first() else { return }
        let now = context.now
        try await context.db.transaction { db in
            let secret = try await Tokens(database: db, now: now).issue(.resetPassword, for: user, lifetime: Tokens.resetLifetime)
            try await AccountMail(application: context.application, database: db, now: now, fallbackLocale: locale).passwordReset(user, token: secret)
        }
    }
}
