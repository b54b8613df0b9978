import Fluent
import Vapor

/// Admins create, edit and archive chapters and appoint or remove their ambassadors.
struct AdminChaptersController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let admin = SiteURL.route(SiteURL.adminChapters)
        routes.get(admin, use: list)
        routes.get(admin + ["new"], use: newForm)
        routes.post(admin + ["new"], use: create)
        routes.get(admin + [":id"], use: edit)
        routes.post(admin + [":id"], use: update)
        routes.post(admin + [":id", "ambassadors"], use: appoint)
        routes.post(admin + [":id", "ambassadors", ":userID", "remove"], use: remove)
    }

    struct ListPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let name: String
            let region: String
            let status: String
            let editURL: String
        }
        let heading: String
        let rows: [Row]
    }

    struct EditPage: Encodable, Sendable {
        struct Ambassador: Encodable, Sendable {
            let name: String
            let email: String
            let removeURL: String
        }
        let heading: String
        let forms: [FormModel]
        let ambassadors: [Ambassador]
        let appointForm: [FormModel]
        let isNew: Bool
    }

    @Sendable func list(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let t = req.t
        let rows = try await Chapter.query(on: req.db).sort(\.$name).all().map {
            ListPage.Row(name: $0.name, region: $0.region, status: t("chapter.status.\($0.status.rawValue)"), editURL: SiteURL.adminChapter($0.id ?? UUID()))
        }
        return try await req.renderPage("admin-chapters", title: t("admin.chapters.heading"), ListPage(heading: t("admin.chapters.heading"), rows: rows))
    }

    static func chapterForm(_ req: Request, action: String, values: [String: String], errors: FormErrors, isNew: Bool) -> FormModel {
        let t = req.t
        func field(_ name: String, _ label: String, type: String = "text", required: Bool = true) -> FormModel.Field {
            .init(name: name, label: t(label), type: type, value: values[name] ?? "", error: errors[name].map { t($0) }, required: required)
        }
        var fields = [
            field("name", "chapter.field.name"),
            field("slug", "chapter.field.slug", required: false),
            field("region", "chapter.field.region"),
            field("description", "chapter.field.description", type: "textarea"),
            field("contact_email", "chapter.field.contact", type: "email", required: false),
        ]
        fields[1].hint = t("chapter.field.slug_hint")
        if !isNew {
            let status = values["status"] ?? "active"
            fields.append(.init(name: "status", label: t("chapter.field.status"), type: "select", value: status, error: errors["status"].map { t($0) },
                                options: Chapter.Status.allCases.map { .init(value: $0.rawValue, label: t("chapter.status.\($0.rawValue)"), selected: $0.rawValue == status) }))
        }
        return FormModel(id: "chapter", action: action, submitLabel: t(isNew ? "chapter.create" : "form.save"), fields: fields,
                         errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
    }

    private func page(_ req: Request, chapter: Chapter?, values: [String: String], errors: FormErrors = .init(), appointError: String? = nil) async throws -> EditPage {
        let t = req.t
        guard let chapter, let id = chapter.id else {
            return EditPage(heading: t("admin.chapters.new"), forms: [Self.chapterForm(req, action: SiteURL.adminChapters + "/new", values: values, errors: errors, isNew: true)],
                            ambassadors: [], appointForm: [], isNew: true)
        }
        let ambassadors = try await Ambassadorship.query(on: req.db).filter(\.$chapter.$id == id).with(\.$user).all().map {
            EditPage.Ambassador(name: $0.user.name, email: $0.user.email, removeURL: SiteURL.adminChapter(id) + "/ambassadors/\($0.user.id?.uuidString ?? "")/remove")
        }
        let appoint = FormModel(id: "appoint", action: SiteURL.adminChapter(id) + "/ambassadors", submitLabel: t("chapter.appoint"),
                                fields: [.init(name: "email", label: t("chapter.appoint_email"), type: "email", error: appointError.map { t($0) }, autocomplete: "off")],
                                errorSummary: appointError == nil ? nil : t("form.has_errors"))
        return EditPage(heading: chapter.name, forms: [Self.chapterForm(req, action: SiteURL.adminChapter(id), values: values, errors: errors, isNew: false)],
                        ambassadors: ambassadors, appointForm: [appoint], isNew: false)
    }

    private static func values(of chapter: Chapter) -> [String: String] {
        ["name": chapter.name, "slug": chapter.slug, "region": chapter.region, "description": chapter.description,
         "contact_email": chapter.contactEmail ?? "", "status": chapter.status.rawValue]
    }

    private func find(_ req: Request) async throws -> Chapter {
        guard let id = req.parameters.get("id", as: UUID.self), let chapter = try await Chapter.find(id, on: req.db) else { throw PageError.notFound }
        return chapter
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        return try await req.renderPage("admin-chapter", title: req.t("admin.chapters.new"), page(req, chapter: nil, values: [:]))
    }

    /// Validates and copies the form into `chapter`; returns the problems.
    private func apply(_ values: [String: String], to chapter: Chapter, isNew: Bool, db: any Database) async throws -> FormErrors {
        var errors = FormErrors()
        let name = (values["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let slug = Slug.make((values["slug"] ?? "").isEmpty ? name : values["slug"] ?? "")
        let region = (values["region"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let description = (values["description"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let contact = EmailAddress.normalise(values["contact_email"] ?? "")
        if name.isEmpty { errors.add("name", "field.required") } else if name.scalarLength > 80 { errors.add("name", "field.too_long") }
        if slug.isEmpty { errors.add("slug", "field.required") }
        if region.isEmpty { errors.add("region", "field.required") } else if region.scalarLength > 80 { errors.add("region", "field.too_long") }
        if description.isEmpty { errors.add("description", "field.required") } else if description.scalarLength > 5000 { errors.add("description", "field.too_long") }
        if !contact.isEmpty && !EmailAddress.isPlausible(contact) { errors.add("contact_email", "email.invalid") }
        var status = chapter.status
        if !isNew {
            guard let chosen = Chapter.Status(rawValue: values["status"] ?? "") else { errors.add("status", "field.invalid_choice"); return errors }
            status = chosen
        }
        if errors["slug"] == nil, try await Chapter.query(on: db).filter(\.$slug == slug).filter(\.$id != (chapter.id ?? UUID())).count() > 0 {
            errors.add("slug", "chapter.slug_taken")
        }
        guard errors.isEmpty else { return errors }
        chapter.name = name
        chapter.slug = slug
        chapter.region = region
        chapter.description = description
        chapter.contactEmail = contact.isEmpty ? nil : contact
        chapter.status = status
        return errors
    }

    @Sendable func create(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let values = try await req.formValues()
        let chapter = Chapter()
        chapter.status = .active
        let errors = try await apply(values, to: chapter, isNew: true, db: req.db)
        guard errors.isEmpty else {
            return try await req.renderPage("admin-chapter", title: req.t("admin.chapters.new"), page(req, chapter: nil, values: values, errors: errors), status: .unprocessableEntity)
        }
        do { try await chapter.create(on: req.db) } catch let error as any DatabaseError where error.isConstraintFailure {
            var taken = FormErrors()
            taken.add("slug", "chapter.slug_taken")
            return try await req.renderPage("admin-chapter", title: req.t("admin.chapters.new"), page(req, chapter: nil, values: values, errors: taken), status: .unprocessableEntity)
        }
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.adminChapter(try chapter.requireID()), redirectType: .normal)
    }

    @Sendable func edit(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let chapter = try await find(req)
        return try await req.renderPage("admin-chapter", title: chapter.name, page(req, chapter: chapter, values: Self.values(of: chapter)))
    }

    @Sendable func update(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let chapter = try await find(req)
        let values = try await req.formValues()
        let errors = try await apply(values, to: chapter, isNew: false, db: req.db)
        guard errors.isEmpty else {
            let original = try await find(req)
            return try await req.renderPage("admin-chapter", title: original.name, page(req, chapter: original, values: values, errors: errors), status: .unprocessableEntity)
        }
        try await chapter.save(on: req.db)
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.adminChapter(try chapter.requireID()), redirectType: .normal)
    }

    @Sendable func appoint(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let chapter = try await find(req)
        let values = try await req.formValues()
        let email = EmailAddress.normalise(values["email"] ?? "")
        guard let user = try await User.query(on: req.db).filter(\.$email == email).first(), user.isMember else {
            return try await req.renderPage("admin-chapter", title: chapter.name,
                                            page(req, chapter: chapter, values: Self.values(of: chapter), appointError: "chapter.appoint_not_member"), status: .unprocessableEntity)
        }
        let ambassadorship = Ambassadorship()
        ambassadorship.startedAt = req.now
        ambassadorship.$chapter.id = try chapter.requireID()
        ambassadorship.$user.id = try user.requireID()
        do {
            try await req.db.transaction { db in
                try await ambassadorship.create(on: db)
                // A privilege change: their sessions end, so the next one is made with the new rights.
                try await UserSession.query(on: db).filter(\.$user.$id == user.requireID()).delete()
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {}
        try await req.flash(.success, "flash.ambassador_appointed")
        return req.redirect(to: SiteURL.adminChapter(try chapter.requireID()), redirectType: .normal)
    }

    @Sendable func remove(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let chapter = try await find(req)
        guard let userID = req.parameters.get("userID", as: UUID.self) else { throw PageError.notFound }
        try await req.db.transaction { db in
            try await Ambassadorship.query(on: db).filter(\.$chapter.$id == chapter.requireID()).filter(\.$user.$id == userID).delete()
            try await UserSession.query(on: db).filter(\.$user.$id == userID).delete()
        }
        try await req.flash(.success, "flash.ambassador_removed")
        return req.redirect(to: SiteURL.adminChapter(try chapter.requireID()), redirectType: .normal)
    }
}
