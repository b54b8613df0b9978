import Fluent
import Vapor

/// Sign in (with a two-step code when the account has one) and sign out.
struct SignInController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.signIn), use: form)
        routes.post(SiteURL.route(SiteURL.signIn), use: submit)
        routes.get(SiteURL.route(SiteURL.signInTwoStep), use: twoStepForm)
        routes.post(SiteURL.route(SiteURL.signInTwoStep), use: twoStepSubmit)
        routes.post(SiteURL.route(SiteURL.signOut), use: signOut)
    }

    static func page(_ req: Request, values: [String: String] = [:], summary: String? = nil) -> FormPage {
        let t = req.t
        var hidden: [FormModel.Hidden] = []
        if let next = SiteURL.localPath(values["next"] ?? req.query["next"]) { hidden.append(.init(name: "next", value: next)) }
        let form = FormModel(
            id: "sign-in", action: SiteURL.signIn, submitLabel: t("signin.submit"),
            fields: [
                .init(name: "email", label: t("field.email"), type: "email", value: values["email"] ?? "", autocomplete: "email"),
                .init(name: "password", label: t("field.password"), type: "password", autocomplete: "current-password"),
            ],
            errorSummary: summary, hidden: hidden
        )
        return FormPage(heading: t("signin.heading"), forms: [form], links: [
            .init(url: SiteURL.forgotPassword, label: t("signin.forgot")),
            .init(url: SiteURL.signUp, label: t("signin.no_account")),
        ])
    }

    @Sendable func form(req: Request) async throws -> Response {
        if req.currentUser != nil { return req.redirect(to: SiteURL.home) }
        return try await req.renderPage("form-page", title: req.t("signin.heading"), Self.page(req))
    }

    @Sendable func submit(req: Request) async throws -> Response {
        let values = try await req.formValues()
        let email = EmailAddress.normalise(values["email"] ?? "")
        let password = values["password"] ?? ""
        let policy = req.maillon.throttling
        let throttle = Throttle(database: req.db, now: req.now)
        // Failures are what counts: each counter moves before the check (so parallel guesses cannot slip
        // past a limit) and a right password takes its step back. A guesser is stopped per account and
        // address pair, so the owner elsewhere can still sign in; the per-account limit is higher and slower,
        // and the per-address one lets a whole meetup sign in behind one connection.
        let counters: [(key: String, limit: ThrottlePolicy.Limit)] = [
            (Throttle.pairKey("sign-in", email: email, ip: req.clientIP), policy.signInPerAccountAndIP),
            (Throttle.accountKey("sign-in", email: email), policy.signInPerAccount),
            (Throttle.ipKey("sign-in", ip: req.clientIP), policy.signInPerIP),
        ]
        var allowed = true
        for counter in counters where try await !throttle.attempt(counter.key, counter.limit) { allowed = false }
        guard allowed else {
            req.logger.notice("Sign-in throttled")
            return try await req.renderPage("form-page", title: req.t("signin.heading"),
                                            Self.page(req, values: values, summary: req.t("throttle.too_many")), status: .tooManyRequests)
        }

        let user = email.isEmpty ? nil : try await User.query(on: req.db).filter(\.$email == email).first()
        // Without an account, a fixed hash is checked anyway so the answer takes the same time.
        let matches = try await req.password.async.verify(password.isEmpty ? " " : password,
                                                          created: user?.passwordHash ?? req.application.dummyPasswordHash)
        guard let user, matches else {
            return try await req.renderPage("form-page", title: req.t("signin.heading"),
                                            Self.page(req, values: values, summary: req.t("signin.failed")), status: .unauthorized)
        }
        for counter in counters { try await throttle.forgive(counter.key) }

        guard user.isEmailVerified else {
            try await req.db.transaction { db in
                let secret = try await Tokens(database: db, now: req.now).issue(.verifyEmail, for: user, email: user.email, lifetime: Tokens.verificationLifetime)
                try await AccountMail(request: req, database: db).verification(user, address: user.email, token: secret)
            }
            return try await req.renderPage("form-page", title: req.t("signin.heading"),
                                            Self.page(req, values: values, summary: req.t("signin.unverified")), status: .forbidden)
        }

        let next = SiteURL.localPath(values["next"]) ?? SiteURL.home
        if user.hasTwoStep {
            let session = try await req.ensureSession()
            session.pendingUserID = try user.requireID()
            try await session.save(on: req.db)
            let target = "\(SiteURL.signInTwoStep)?next=\(next.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/")"
            return req.redirect(to: target, redirectType: .normal)
        }
        try await Self.completeSignIn(req, user)
        return req.redirect(to: next, redirectType: .normal)
    }

    static func twoStepPage(_ req: Request, next: String?, summary: String? = nil) -> FormPage {
        let t = req.t
        let form = FormModel(
            id: "two-step", action: SiteURL.signInTwoStep, submitLabel: t("twostep.verify"),
            fields: [.init(name: "code", label: t("field.code"), hint: t("twostep.code_hint"), autocomplete: "one-time-code", inputmode: "numeric")],
            errorSummary: summary,
            hidden: SiteURL.localPath(next).map { [.init(name: "next", value: $0)] } ?? []
        )
        return FormPage(heading: t("twostep.heading"), forms: [form])
    }

    @Sendable func twoStepForm(req: Request) async throws -> Response {
        guard req.sessionContext.record?.pendingUserID != nil else { return req.redirect(to: SiteURL.signIn) }
        return try await req.renderPage("form-page", title: req.t("twostep.heading"), Self.twoStepPage(req, next: req.query["next"]))
    }

    @Sendable func twoStepSubmit(req: Request) async throws -> Response {
        let values = try await req.formValues()
        guard let session = req.sessionContext.record, let pending = session.pendingUserID,
              let user = try await User.find(pending, on: req.db), let secret = user.totpSecret, user.hasTwoStep
        else { return req.redirect(to: SiteURL.signIn, redirectType: .normal) }

        let throttle = Throttle(database: req.db, now: req.now)
        guard try await throttle.attempt(Throttle.accountKey("two-step", email: user.email), req.maillon.throttling.twoStepPerAccount) else {
            return try await req.renderPage("form-page", title: req.t("twostep.heading"),
                                            Self.twoStepPage(req, next: values["next"], summary: req.t("throttle.too_many")), status: .tooManyRequests)
        }
        guard let step = TwoStep.acceptedStep(secret: secret, code: values["code"] ?? "", at: req.now, lastStep: user.totpLastStep) else {
            return try await req.renderPage("form-page", title: req.t("twostep.heading"),
                                            Self.twoStepPage(req, next: values["next"], summary: req.t("twostep.wrong_code")), status: .unauthorized)
        }
        user.totpLastStep = step
        try await user.save(on: req.db)
        try await Self.completeSignIn(req, user)
        return req.redirect(to: SiteURL.localPath(values["next"]) ?? SiteURL.home, redirectType: .normal)
    }

    /// The new session, and a notice when no other session of this person uses the same browser.
    static func completeSignIn(_ req: Request, _ user: User) async throws {
        let agent = req.headers.first(name: .userAgent).map { String($0.prefix(300)) }
        // The very first sign-in is not news; later, a browser none of the person's sessions uses is.
        let firstTime = user.lastSignInAt == nil
        let known = try await UserSession.query(on: req.db)
            .filter(\.$user.$id == user.requireID()).filter(\.$userAgent == agent).count() > 0
        try await SessionStore(request: req).signIn(user)
        user.lastSignInAt = req.now
        try await user.save(on: req.db)
        // "Recently active" in the directory.
        try await Profile.query(on: req.db).filter(\.$user.$id == user.requireID()).set(\.$lastActiveAt, to: req.now).update()
        if !known, !firstTime {
            let device = UserAgentSummary.describe(agent) ?? req.t("account.sessions.unknown_device")
            try await Notifier(application: req.application, database: req.db, now: req.now)
                .notify(user, .init(kind: .newSignIn, textKey: "notify.new_sign_in", arguments: [device], link: SiteURL.account))
        }
    }

    @Sendable func signOut(req: Request) async throws -> Response {
        try await SessionStore(request: req).signOut()
        try await req.flash(.info, "flash.signed_out")
        return req.redirect(to: SiteURL.home, redirectType: .normal)
    }
}

extension Application {
    private struct DummyHashKey: StorageKey { typealias Value = String }

    /// A hash of nothing anyone knows, checked when an address has no account (constant-time answers).
    var dummyPasswordHash: String {
        get { storage[DummyHashKey.self] ?? "" }
        set { storage[DummyHashKey.self] = newValue }
    }
}
