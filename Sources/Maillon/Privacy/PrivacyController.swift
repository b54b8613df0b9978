import Fluent
import Vapor

/// The privacy page, and the rights it promises: download all my data, delete my account.
struct PrivacyController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.privacy), use: privacy)
        routes.get(SiteURL.route(SiteURL.accountExport), use: export)
        routes.get(SiteURL.route(SiteURL.accountDelete), use: deleteForm)
        routes.post(SiteURL.route(SiteURL.accountDelete), use: delete)
    }

    @Sendable func privacy(req: Request) async throws -> Response {
        let t = req.t
        let page = MessagePage(heading: t("privacy.heading"),
                               paragraphs: ["privacy.p1", "privacy.p2", "privacy.p3", "privacy.p4", "privacy.p_trainings", "privacy.p5"].map { t($0, req.maillon.settings.communityName) },
                               linkURL: req.currentUser == nil ? nil : SiteURL.account, linkLabel: t("privacy.manage"))
        return try await req.renderPage("message", title: page.heading, page)
    }

    @Sendable func export(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        let data = try await PersonalData.export(userID: user.requireID(), on: req.db)
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"mes-donnees.json\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    static func deletePage(_ req: Request, errors: FormErrors = .init()) -> FormPage {
        let t = req.t
        let form = FormModel(id: "delete-account", action: SiteURL.accountDelete, submitLabel: t("delete.submit"), fields: [
            .init(name: "current_password", label: t("field.current_password"), type: "password", error: errors["current_password"].map { t($0) }, autocomplete: "current-password"),
            .init(name: "confirm", label: t("delete.confirm_label"), value: "", error: errors["confirm"].map { t($0) }, hint: t("delete.confirm_hint"), autocomplete: "off"),
        ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        return FormPage(heading: t("delete.heading"), intro: t("delete.intro"), forms: [form], links: [
            .init(url: SiteURL.accountExport, label: t("delete.export_first")), .init(url: SiteURL.account, label: t("nav.account")),
        ])
    }

    @Sendable func deleteForm(req: Request) async throws -> Response {
        _ = try req.requireAccountOwner()
        return try await req.renderPage("form-page", title: req.t("delete.heading"), Self.deletePage(req))
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        let values = try await req.formValues()
        var errors = FormErrors()
        if let problem = try await req.recheckPassword(user, values["current_password"]) { errors.add("current_password", problem) }
        let word = req.t("delete.word")
        if (values["confirm"] ?? "").trimmingCharacters(in: .whitespaces).uppercased() != word { errors.add("confirm", "delete.confirm_wrong") }
        guard errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("delete.heading"), Self.deletePage(req, errors: errors), status: .unprocessableEntity)
        }
        let userID = try user.requireID()
        try await req.db.transaction { db in try await PersonalData.erase(userID: userID, application: req.application, on: db, now: req.now) }
        req.sessionContext.record = nil
        req.sessionContext.user = nil
        req.sessionContext.expireCookie = true
        try await req.flash(.info, "flash.account_deleted")
        return req.redirect(to: SiteURL.home, redirectType: .normal)
    }
}
