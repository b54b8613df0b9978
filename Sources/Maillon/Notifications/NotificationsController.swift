import Fluent
import Vapor

/// The notification centre, its preferences, and one-click unsubscribe.
struct NotificationsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.notifications), use: list)
        routes.post(SiteURL.route(SiteURL.notificationsReadAll), use: readAll)
        routes.post(SiteURL.route(SiteURL.notifications) + [":id", "read"], use: read)
        routes.get(SiteURL.route(SiteURL.notificationPreferences), use: preferences)
        routes.post(SiteURL.route(SiteURL.notificationPreferences), use: savePreferences)
        routes.get(SiteURL.route(SiteURL.unsubscribe), use: unsubscribeForm)
        routes.post(SiteURL.route(SiteURL.unsubscribe), use: unsubscribe)
    }

    struct ListPage: Encodable, Sendable {
        struct Item: Encodable, Sendable {
            let id: String
            let text: String
            let link: String?
            let createdAt: String
            let unread: Bool
        }

        let heading: String
        let items: [Item]
        let unreadCount: Int
        let pagination: Pagination
    }

    @Sendable func list(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        let page = Pagination.requestedPage(req)
        let userID = try user.requireID()
        let mine = AppNotification.query(on: req.db).filter(\.$user.$id == userID).filter(\.$inApp == true)
        let total = try await mine.copy().count()
        let unread = try await mine.copy().filter(\.$readAt == nil).count()
        let rows = try await mine.copy().sort(\.$createdAt, .descending).sort(\.$id)
            .range(((page - 1) * Pagination.perPage)..<(page * Pagination.perPage)).all()
        let t = req.t
        let items = rows.map { row in
            ListPage.Item(id: row.id?.uuidString ?? "", text: row.text(t), link: SiteURL.localPath(row.link),
                          createdAt: DateFormatting.dateTime(row.createdAt, req.locale), unread: row.readAt == nil)
        }
        return try await req.renderPage("notifications", title: t("notifications.heading"), ListPage(
            heading: t("notifications.heading"), items: items, unreadCount: unread,
            pagination: try Pagination(page: page, per: Pagination.perPage, total: total, path: SiteURL.notifications, t: t)))
    }

    @Sendable func read(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        // Someone else's notification answers exactly like one that does not exist.
        guard let id = req.parameters.get("id", as: UUID.self),
              let notification = try await AppNotification.query(on: req.db)
                .filter(\.$id == id).filter(\.$user.$id == user.requireID()).first()
        else { throw PageError.notFound }
        if notification.readAt == nil {
            notification.readAt = req.now
            try await notification.save(on: req.db)
        }
        let values = try await req.formValues()
        return req.redirect(to: SiteURL.localPath(values["next"]) ?? SiteURL.notifications, redirectType: .normal)
    }

    @Sendable func readAll(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        try await AppNotification.query(on: req.db)
            .filter(\.$user.$id == user.requireID()).filter(\.$readAt == nil)
            .set(\.$readAt, to: req.now).update()
        try await req.flash(.success, "flash.notifications_read")
        return req.redirect(to: SiteURL.notifications, redirectType: .normal)
    }

    static func preferencesPage(_ req: Request, user: User, chosen: [String: NotificationChannel], errors: FormErrors = .init()) -> FormPage {
        let t = req.t
        let kinds = NotificationKind.all.filter { $0.isOffered(to: user.role) }
        let fields = kinds.map { kind in
            let current = chosen[kind.id] ?? kind.defaultChannel
            return FormModel.Field(
                name: kind.id, label: t("notification_kind.\(kind.id)"), type: "select", value: current.rawValue,
                error: errors[kind.id].map { t($0) },
                hint: kind.essential ? t("notifications.essential") : nil,
                options: kind.choices.map { .init(value: $0.rawValue, label: t("channel.\($0.rawValue)"), selected: $0 == current) }
            )
        }
        let form = FormModel(id: "notification-preferences", action: SiteURL.notificationPreferences, submitLabel: t("form.save"),
                             fields: fields, errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        return FormPage(heading: t("notifications.preferences"), intro: t("notifications.preferences_intro"), forms: [form],
                        links: [.init(url: SiteURL.notifications, label: t("notifications.heading"))])
    }

    private func currentChoices(_ req: Request, _ user: User) async throws -> [String: NotificationChannel] {
        let rows = try await NotificationPreference.query(on: req.db).filter(\.$user.$id == user.requireID()).all()
        return Dictionary(rows.map { ($0.kind, $0.channel) }, uniquingKeysWith: { $1 })
    }

    @Sendable func preferences(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        return try await req.renderPage("form-page", title: req.t("notifications.preferences"),
                                        Self.preferencesPage(req, user: user, chosen: try await currentChoices(req, user)))
    }

    @Sendable func savePreferences(req: Request) async throws -> Response {
        let user = try req.requireAccountOwner()
        let values = try await req.formValues()
        var errors = FormErrors()
        var chosen: [String: NotificationChannel] = [:]
        for kind in NotificationKind.all where kind.isOffered(to: user.role) {
            guard let raw = values[kind.id] else { continue }
            guard let channel = NotificationChannel(rawValue: raw), kind.choices.contains(channel) else {
                errors.add(kind.id, "field.invalid_choice")
                continue
            }
            chosen[kind.id] = channel
        }
        guard errors.isEmpty else {
            var shown = try await currentChoices(req, user)
            shown.merge(chosen) { $1 }
            return try await req.renderPage("form-page", title: req.t("notifications.preferences"),
                                            Self.preferencesPage(req, user: user, chosen: shown, errors: errors), status: .unprocessableEntity)
        }
        let choices = chosen
        try await req.db.transaction { db in
            for (kind, channel) in choices {
                try await Self.setPreference(userID: user.requireID(), kind: kind, channel: channel, on: db)
            }
        }
        try await req.flash(.success, "flash.saved")
        return req.redirect(to: SiteURL.notificationPreferences, redirectType: .normal)
    }

    static func setPreference(userID: UUID, kind: String, channel: NotificationChannel, on db: any Database) async throws {
        if let existing = try await NotificationPreference.query(on: db).filter(\.$user.$id == userID).filter(\.$kind == kind).first() {
            existing.channel = channel
            try await existing.save(on: db)
        } else {
            let preference = NotificationPreference()
            preference.$user.id = userID
            preference.kind = kind
            preference.channel = channel
            try await preference.create(on: db)
        }
    }

    struct UnsubscribePage: Encodable, Sendable {
        let heading: String
        let text: String
        let token: String
        let submitLabel: String
    }

    /// The link in a mail shows a confirmation (mail scanners follow links); the button, or the
    /// mail client's one-click POST, does it.
    @Sendable func unsubscribeForm(req: Request) async throws -> Response {
        let t = req.t
        let token: String? = req.query["token"]
        guard let (_, kind) = try await Unsubscribe(database: req.db).verify(token), let token else {
            let page = MessagePage(heading: t("unsubscribe.invalid.heading"), paragraphs: [t("unsubscribe.invalid.body")])
            return try await req.renderPage("message", title: page.heading, page, status: .badRequest)
        }
        return try await req.renderPage("unsubscribe", title: t("unsubscribe.heading"), UnsubscribePage(
            heading: t("unsubscribe.heading"), text: t("unsubscribe.confirm", t("notification_kind.\(kind.id)")),
            token: token, submitLabel: t("unsubscribe.submit")))
    }

    @Sendable func unsubscribe(req: Request) async throws -> Response {
        let t = req.t
        let values = try await req.formValues()
        guard let (userID, kind) = try await Unsubscribe(database: req.db).verify(values["token"] ?? req.query["token"]),
              !kind.essential, try await User.find(userID, on: req.db) != nil
        else {
            let page = MessagePage(heading: t("unsubscribe.invalid.heading"), paragraphs: [t("unsubscribe.invalid.body")])
            return try await req.renderPage("message", title: page.heading, page, status: .badRequest)
        }
        try await Self.setPreference(userID: userID, kind: kind.id, channel: .off, on: req.db)
        let page = MessagePage(heading: t("unsubscribe.done.heading"), paragraphs: [t("unsubscribe.done.body", t("notification_kind.\(kind.id)"))],
                               linkURL: SiteURL.notificationPreferences, linkLabel: t("notifications.preferences"))
        return try await req.renderPage("message", title: page.heading, page)
    }
}
