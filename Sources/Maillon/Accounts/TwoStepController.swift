import Fluent
import Vapor

/// Turning two-step sign-in on and off (offered to admins).
struct TwoStepController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.accountTwoStep), use: setup)
        routes.post(SiteURL.route(SiteURL.accountTwoStepEnable), use: enable)
        routes.post(SiteURL.route(SiteURL.accountTwoStepDisable), use: disable)
    }

    struct Page: Encodable, Sendable {
        let heading: String
        let enabled: Bool
        let secret: String?
        let provisioningURI: String?
        let forms: [FormModel]
    }

    private func owner(_ req: Request) throws -> User {
        let user = try req.requireUser()
        try req.authorize(.enableTwoStep)
        return user
    }

    private func page(_ req: Request, _ user: User, error: String? = nil) async throws -> Page {
        let t = req.t
        let codeField = FormModel.Field(name: "code", label: t("field.code"), error: error.map { t($0) },
                                        hint: t("twostep.code_hint"), autocomplete: "one-time-code", inputmode: "numeric")
        if user.hasTwoStep {
            let form = FormModel(id: "two-step-disable", action: SiteURL.accountTwoStepDisable, submitLabel: t("twostep.disable"),
                                 fields: [codeField], errorSummary: error == nil ? nil : t("form.has_errors"))
            return Page(heading: t("twostep.heading"), enabled: true, secret: nil, provisioningURI: nil, forms: [form])
        }
        if user.totpSecret == nil {
            user.totpSecret = TwoStep.newSecret()
            try await user.save(on: req.db)
        }
        let secret = user.totpSecret ?? ""
        let form = FormModel(id: "two-step-enable", action: SiteURL.accountTwoStepEnable, submitLabel: t("twostep.enable"),
                             fields: [codeField], errorSummary: error == nil ? nil : t("form.has_errors"))
        return Page(heading: t("twostep.heading"), enabled: false, secret: secret,
                    provisioningURI: TwoStep.provisioningURI(secret: secret, account: user.email, issuer: req.maillon.settings.communityName),
                    forms: [form])
    }

    @Sendable func setup(req: Request) async throws -> Response {
        let user = try owner(req)
        return try await req.renderPage("two-step", title: req.t("twostep.heading"), page(req, user))
    }

    private func acceptCode(_ req: Request, _ user: User) async throws -> Bool {
        let values = try await req.formValues()
        guard let secret = user.totpSecret,
              let step = TwoStep.acceptedStep(secret: secret, code: values["code"] ?? "", at: req.now, lastStep: user.totpLastStep)
        else { return false }
        user.totpLastStep = step
        return true
    }

    @Sendable func enable(req: Request) async throws -> Response {
        let user = try owner(req)
        guard !user.hasTwoStep else { return req.redirect(to: SiteURL.account, redirectType: .normal) }
        guard try await acceptCode(req, user) else {
            return try await req.renderPage("two-step", title: req.t("twostep.heading"), page(req, user, error: "twostep.wrong_code"), status: .unprocessableEntity)
        }
        user.totpEnabledAt = req.now
        try await user.save(on: req.db)
        try await SessionStore(request: req).rotate()
        try await req.flash(.success, "flash.two_step_on")
        return req.redirect(to: SiteURL.account, redirectType: .normal)
    }

    @Sendable func disable(req: Request) async throws -> Response {
        let user = try owner(req)
        guard user.hasTwoStep else { return req.redirect(to: SiteURL.account, redirectType: .normal) }
        guard try await acceptCode(req, user) else {
            return try await req.renderPage("two-step", title: req.t("twostep.heading"), page(req, user, error: "twostep.wrong_code"), status: .unprocessableEntity)
        }
        user.totpEnabledAt = nil
        user.totpSecret = nil
        try await user.save(on: req.db)
        try await SessionStore(request: req).rotate()
        try await req.flash(.success, "flash.two_step_off")
        return req.redirect(to: SiteURL.account, redirectType: .normal)
    }
}
