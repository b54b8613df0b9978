import Fluent
import Vapor

/// The account settings: name and language, email, password, active sessions, two-step sign-in.
struct AccountController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.account), use: show)
        routes.post(SiteURL.route(SiteURL.accountProfile), use: updateProfile)
        routes.post(SiteURL.route(SiteURL.accountEmail), use: changeEmail)
        routes.post(SiteURL.route(SiteURL.accountPassword), use: changePassword)
        routes.post(SiteURL.route(SiteURL.accountResendVerification), use: resendVerification)
        routes.post(SiteURL.route(SiteURL.accountSignOutOthers), use: signOutOthers)
        routes.post(SiteURL.route(SiteURL.language), use: switchLanguage)
    }

    struct Page: Encodable, Sendable {
        struct SessionRow: Encodable, Sendable {
            let device: String
            let ipAddress: String
            let createdAt: String
            let lastSeenAt: String
            let isCurrent: Bool
        }

        let heading: String
        let email: String
        let emailVerified: Bool
        /// An address change waiting for its confirmation.
        let pendingEmail: String?
        let profileForm: [FormModel]
        let emailForm: [FormModel]
        let passwordForm: [FormModel]
        let sessions: [SessionRow]
        let otherSessionCount: Int
        let twoStepAvailable: Bool
        let twoStepEnabled: Bool
        /// Members: the secret address of their calendar feed.
        let calendarFeedURL: String?
    }

    /// Builds the page; `failed` re-draws one form with the submitted values and its errors.
    static func page(_ req: Request, user: User, failed: (form: String, values: [String: String], errors: FormErrors)? = nil) async throws -> Page {
        let t = req.t
        func values(_ form: String) -> [String: String] { failed?.form == form ? failed!.values : [:] }
        func error(_ form: String, _ field: String) -> String? { failed?.form == form ? failed!.errors[field].map { t($0) } : nil }
        func summary(_ form: String) -> String? { failed?.form == form ? t("form.has_errors") : nil }

        let chosenLocale = values("profile")["locale"] ?? user.locale?.rawValue ?? req.locale.rawValue
        let profile = FormModel(
            id: "profile", action: SiteURL.accountProfile, submitLabel: t("form.save"),
            fields: [
                .init(name: "name", label: t("field.name"), value: values("profile")["name"] ?? user.name, error: error("profile", "name"), autocomplete: "name"),
                .init(name: "locale", label: t("field.language"), type: "select", value: chosenLocale, error: error("profile", "locale"),
                      options: AppLocale.allCases.map { .init(value: $0.rawValue, label: t("language.\($0.rawValue)"), selected: $0.rawValue == chosenLocale) }),
            ],
            errorSummary: summary("profile")
        )
        let email = FormModel(
            id: "email", action: SiteURL.accountEmail, submitLabel: t("account.email.submit"),
            fields: [
                .init(name: "email", label: t("field.new_email"), type: "email", value: values("email")["email"] ?? "", error: error("email", "email"), autocomplete: "email"),
                .init(name: "current_password", label: t("field.current_password"), type: "password", error: error("email", "current_password"), autocomplete: "current-password"),
            ],
            errorSummary: summary("email")
        )
        let password = FormModel(
            id: "password", action: SiteURL.accountPassword, submitLabel: t("account.password.submit"),
            fields: [
                .init(name: "current_password", label: t("field.current_password"), type: "password", error: error("password", "current_password"), autocomplete: "current-password"),
                .init(name: "password", label: t("field.new_password"), type: "password", error: error("password", "password"),
                      hint: t("password.hint", String(PasswordPolicy.minimumLength)), autocomplete: "new-password"),
            ],
            errorSummary: summary("password")
        )
        let current = req.sessionContext.record?.id
        let sessions = try await UserSession.query(on: req.db)
            .filter(\.$user.$id == user.requireID())
            .sort(\.$lastSeenAt, .descending)
            .limit(50)
            .all()
        let rows = sessions.map { session in
            Page.SessionRow(
                device: UserAgentSummary.describe(session.userAgent) ?? t("account.sessions.unknown_device"),
                ipAddress: session.ipAddress ?? "—",
                createdAt: DateFormatting.dateTime(session.createdAt, req.locale),
                lastSeenAt: DateFormatting.dateTime(session.lastSeenAt, req.locale),
                isCurrent: session.id == current
            )
        }
        return Page(
            heading: t("account.heading"),
            email: user.email,
            emailVerified: user.isEmailVerified,
            pendingEmail: user.pendingEmail,
            profileForm: [profile], emailForm: [email], passwordForm: [password],
            sessions: rows,
            otherSessionCount: rows.filter { !$0.isCurrent }.count,
            twoStepAvailable: req.principal.map { AccessPolicy.allows($0, .enableTwoStep) } ?? false,
            twoStepEnabled: user.hasTwoStep,
            calendarFeedURL: user.isMember ? try await CalendarController.personalURL(userID: user.requireID(), req: req) : nil
        )
    }

    private func render(_ req: Request, _ user: User, failed: (form: String, values: [String: String], errors: FormErrors)? = nil) async throws -> Response {
        try await req.renderPage("account", title: req.t("account.heading"), Self.page(req, user: user, failed: failed),
                                 status: failed == nil ? .ok : .unprocessableEntity)
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await render(req, try req.requireAccountOwner())
    }

    @Sendable func updateProfile(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        let values = try await req.formValues()
        let name = (values["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var errors = FormErrors()
        if let problem = PersonName.problem(name) { errors.add("name", problem) }
        let locale = AppLocale(rawValue: values["locale"] ?? "")
        if locale == nil { errors.add("locale", "field.invalid_choice") }
        guard errors.isEmpty, let locale else { return try await render(req, user, failed: ("profile", values, errors)) }
        user.name = name
        user.locale = locale
        try await user.save(on: req.db)
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.account, redirectType: .normal)
    }

    @Sendable func changeEmail(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        let values = try await req.formValues()
        let email = EmailAddress.normalise(values["email"] ?? "")
        var errors = FormErrors()
        if !EmailAddress.isPlausible(email) { errors.add("email", "email.invalid") } else if email == user.email { errors.add("email", "email.same") }
        if let problem = try await req.recheckPassword(user, values["current_password"]) { errors.add("current_password", problem) }
        guard errors.isEmpty else { return try await render(req, user, failed: ("email", values, errors)) }
        // A few changes an hour: an account cannot be used to mail a list of strangers.
        guard try await Throttle(database: req.db, now: req.now)
            .attempt(Throttle.accountKey("email-change", email: user.email), req.maillon.throttling.emailChangePerAccount) else {
            var throttled = FormErrors()
            throttled.add("email", "throttle.too_many")
            return try await render(req, user, failed: ("email", values, throttled))
        }
        // The address changes only once the new one is proven; an address already taken gets no mail.
        let taken = try await User.query(on: req.db).filter(\.$email == email).count() > 0
        user.pendingEmail = email
        try await req.db.transaction { db in
            try await user.save(on: db)
            let mail = AccountMail(request: req, database: db)
            if !taken {
                let secret = try await Tokens(database: db, now: req.now).issue(.verifyEmail, for: user, email: email, lifetime: Tokens.verificationLifetime)
                try await mail.verification(user, address: email, token: secret)
            }
            try await mail.emailChangeRequested(user, newAddress: email)
        }
        try await req.flash(.info, "flash.email_change_sent")
        return req.redirect(to: SiteURL.account, redirectType: .normal)
    }

    @Sendable func changePassword(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        let values = try await req.formValues()
        var errors = FormErrors()
        if let problem = try await req.recheckPassword(user, values["current_password"]) { errors.add("current_password", problem) }
        let password = values["password"] ?? ""
        if let problem = req.maillon.passwords.problem(with: password, email: user.email) { errors.add("password", problem) }
        guard errors.isEmpty else { return try await render(req, user, failed: ("password", values, errors)) }
        user.passwordHash = try await req.password.async.hash(password)
        try await req.db.transaction { db in
            let cancelledChange = try await Tokens(database: db, now: req.now).revokeAll(for: user)
            try await user.save(on: db)
            try await AccountMail(request: req, database: db).passwordChanged(user, cancelledChange: cancelledChange)
        }
        // A credential change: new session id here, every other session ended.
        let sessions = SessionStore(request: req)
        try await sessions.signOutEverywhereElse()
        try await sessions.rotate()
        try await req.flash(.success, "flash.password_changed")
        return req.redirect(to: SiteURL.account, redirectType: .normal)
    }

    @Sendable func resendVerification(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        if !user.isEmailVerified {
            let throttle = Throttle(database: req.db, now: req.now)
            if try await throttle.attempt(Throttle.accountKey("verify", email: user.email), req.maillon.throttling.resetPerAccount) {
                try await req.db.transaction { db in
                    let secret = try await Tokens(database: db, now: req.now).issue(.verifyEmail, for: user, email: user.email, lifetime: Tokens.verificationLifetime)
                    try await AccountMail(request: req, database: db).verification(user, address: user.email, token: secret)
                }
            }
            try await req.flash(.info, "flash.verification_sent")
        }
        return req.redirect(to: SiteURL.account, redirectType: .normal)
    }

    @Sendable func signOutOthers(req: Request) async throws -> Response {
        _ = try req.requireAccountOwner()
        try await SessionStore(request: req).signOutEverywhereElse()
        try await req.flash(.success, "flash.signed_out_others")
        return req.redirect(to: SiteURL.account, redirectType: .normal)
    }

    /// The switcher on every page: remembered on the account when signed in, else on the session.
    @Sendable func switchLanguage(req: Request) async throws -> Response {
        let values = try await req.formValues()
        let back = SiteURL.localPath(values["back"]) ?? SiteURL.home
        guard let locale = AppLocale(rawValue: values["locale"] ?? "") else { return req.redirect(to: back, redirectType: .normal) }
        if let user = req.currentUser {
            user.locale = locale
            try await user.save(on: req.db)
        }
        let session = try await req.ensureSession()
        session.locale = locale
        try await session.save(on: req.db)
        return req.redirect(to: back, redirectType: .normal)
    }
}

/// A readable "Firefox on Linux" from a User-Agent string, for the sessions list.
enum UserAgentSummary {
    static func describe(_ agent: String?) -> String? {
        guard let agent, !agent.isEmpty else { return nil }
        let browsers = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"), ("curl/", "curl")]
        let systems = [("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Linux", "Linux")]
        let browser = browsers.first { agent.contains($0.0) }?.1
        let system = systems.first { agent.contains($0.0) }?.1
        switch (browser, system) {
        case let (b?, s?): return "\(b) · \(s)"
        case let (b?, nil): return b
        case let (nil, s?): return s
        default: return String(agent.prefix(60))
        }
    }
}
