import Fluent
import SQLKit
import Vapor

/// The charter: everyone reads it; members accept each new version; admins publish versions.
struct CharterController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.charter), use: show)
        routes.post(SiteURL.route(SiteURL.charter), use: accept)
        routes.get(SiteURL.route(SiteURL.adminCharter), use: editForm)
        routes.post(SiteURL.route(SiteURL.adminCharter), use: publish)
    }

    static func current(_ db: any Database) async throws -> Charter? {
        try await Charter.query(on: db).sort(\.$version, .descending).first()
    }

    static func hasAccepted(_ user: User, _ charter: Charter, on db: any Database) async throws -> Bool {
        try await CharterAcceptance.query(on: db).filter(\.$user.$id == user.requireID()).filter(\.$charter.$id == charter.requireID()).count() > 0
    }

    static func recordAcceptance(_ user: User, _ charter: Charter, on db: any Database, now: Date) async throws {
        guard try await !hasAccepted(user, charter, on: db) else { return }
        let acceptance = CharterAcceptance()
        acceptance.$user.id = try user.requireID()
        acceptance.$charter.id = try charter.requireID()
        acceptance.acceptedAt = now
        do { try await acceptance.create(on: db) } catch let error as any DatabaseError where error.isConstraintFailure {}
    }

    struct Page: Encodable, Sendable {
        let heading: String
        let version: String
        let paragraphs: [String]
        let mustAccept: Bool
        let accepted: Bool
        let empty: Bool
    }

    @Sendable func show(req: Request) async throws -> Response {
        let t = req.t
        guard let charter = try await Self.current(req.db) else {
            return try await req.renderPage("charter", title: t("charter.heading"),
                                            Page(heading: t("charter.heading"), version: "", paragraphs: [], mustAccept: false, accepted: false, empty: true))
        }
        var accepted = false
        if let user = req.currentUser { accepted = try await Self.hasAccepted(user, charter, on: req.db) }
        let mustAccept = req.currentUser.map { $0.isMember } ?? false
        return try await req.renderPage("charter", title: t("charter.heading"), Page(
            heading: t("charter.heading"), version: t("charter.version", String(charter.version), DateFormatting.date(charter.publishedAt, req.locale)),
            paragraphs: charter.body.components(separatedBy: "\n\n").filter { !$0.isEmpty },
            mustAccept: mustAccept && !accepted, accepted: accepted, empty: false))
    }

    @Sendable func accept(req: Request) async throws -> Response {
        let user = try req.requireUser()
        guard let charter = try await Self.current(req.db) else { throw PageError.notFound }
        try await Self.recordAcceptance(user, charter, on: req.db, now: req.now)
        try await req.flash(.success, "flash.charter_accepted")
        return req.redirect(to: SiteURL.home, redirectType: .normal)
    }

    private func form(_ req: Request, values: [String: String], errors: FormErrors = .init()) -> FormPage {
        let t = req.t
        let form = FormModel(id: "charter", action: SiteURL.adminCharter, submitLabel: t("charter.publish"),
                             fields: [.init(name: "body", label: t("charter.body"), type: "textarea", value: values["body"] ?? "",
                                            error: errors["body"].map { t($0) }, hint: t("charter.body_hint"))],
                             errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        return FormPage(heading: t("charter.edit_heading"), intro: t("charter.edit_intro"), forms: [form],
                        links: [.init(url: SiteURL.charter, label: t("charter.heading"))])
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let current = try await Self.current(req.db)
        return try await req.renderPage("form-page", title: req.t("charter.edit_heading"), form(req, values: ["body": current?.body ?? ""]))
    }

    @Sendable func publish(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let values = try await req.formValues()
        let body = (values["body"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var errors = FormErrors()
        if body.scalarLength < 20 { errors.add("body", "charter.too_short") } else if body.scalarLength > 50_000 { errors.add("body", "field.too_long") }
        guard errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("charter.edit_heading"), form(req, values: values, errors: errors), status: .unprocessableEntity)
        }
        let now = req.now
        let publisher = req.currentUser?.id
        do {
            try await req.db.transaction { db in
                let next = (try await Self.current(db)?.version ?? 0) + 1
                let charter = Charter()
                charter.version = next
                charter.body = body
                charter.publishedAt = now
                charter.$publishedBy.id = publisher
                try await charter.create(on: db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Two admins published at once: the other version won; ask to try again.
            errors.add("body", "charter.conflict")
            return try await req.renderPage("form-page", title: req.t("charter.edit_heading"), form(req, values: values, errors: errors), status: .conflict)
        }
        try await req.flash(.success, "flash.charter_published")
        return req.redirect(to: SiteURL.charter, redirectType: .normal)
    }
}

/// Members who have not accepted the current charter are sent to it before anything else, whatever
/// the request: a page, or a form posted from a page opened before the new version (nothing is done).
/// Leaving stays possible: signing out, downloading one's data, deleting one's account.
struct CharterGateMiddleware: AsyncMiddleware {
    static let open: Set<String> = [SiteURL.charter, SiteURL.signOut, SiteURL.language, SiteURL.healthz, SiteURL.readyz, SiteURL.theme,
                                    SiteURL.privacy, SiteURL.accountExport, SiteURL.accountDelete]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        // Read with the account by the session middleware, in the same query.
        guard let user = request.currentUser, user.isMember, !Self.open.contains(request.url.path), request.sessionContext.owesCharter
        else { return try await next.respond(to: request) }
        if request.method != .GET && request.method != .HEAD { try await request.flash(.info, "charter.accept_first") }
        return request.redirect(to: SiteURL.charter, redirectType: .normal)
    }
}
