import Fluent
import SQLKit
import Vapor

/// What every template receives: the reader's language, the layout, and the page's own model.
struct PageContext<Model: Encodable & Sendable>: Encodable, Sendable {
    let locale: String
    let layout: LayoutModel
    let page: Model
}

struct LayoutModel: Encodable, Sendable {
    struct CurrentUser: Encodable, Sendable {
        let name: String
        let isAdmin: Bool
        let isApplicant: Bool
        let isOrganisation: Bool
        /// Someone from outside invited to a training: their trainings and their account, nothing else.
        let isGuest: Bool
        let isMember: Bool
        let canReview: Bool
    }

    struct Flash: Encodable, Sendable {
        let kind: String
        let text: String
    }

    let title: String
    let communityName: String
    let path: String
    /// Nil on pages drawn without a session (an error before the session loaded): forms are then hidden.
    let csrf: String?
    let user: CurrentUser?
    let flash: [Flash]
    let otherLocale: String
    let otherLocaleName: String
    /// Unread notifications, shown in the header.
    var unreadNotifications: Int = 0
    /// Members have direct messages: the link, and the conversations with a message they have not read.
    var hasMessages = false
    var unreadMessages = 0
}

extension Request {
    /// The reader's language: their account setting, else the one chosen in this session,
    /// else `Accept-Language`, else French.
    public var locale: AppLocale {
        currentUser?.locale
            ?? sessionContext.record?.locale
            ?? AppLocale.negotiate(acceptLanguage: headers.first(name: .acceptLanguage))
            ?? .default
    }

    public var t: Translator { Translator(catalogue: maillon.catalogue, locale: locale) }

    /// Renders a full page: the template, fed by its model, inside the layout.
    func renderPage<Model: Encodable & Sendable>(
        _ template: String, title: String, _ model: Model, status: HTTPStatus = .ok
    ) async throws -> Response {
        let flash = try await takeFlash()
        var layout = makeLayout(title: title, csrf: try await csrfToken(), flash: flash)
        if let user = currentUser {
            layout.hasMessages = user.isMember
            (layout.unreadMessages, layout.unreadNotifications) = try await LayoutCounts.unread(for: user.requireID(), messages: user.isMember, on: db)
        }
        return try await render(template, PageContext(locale: locale.rawValue, layout: layout, page: model), status: status)
    }

    func makeLayout(title: String, csrf: String?, flash: [FlashMessage]) -> LayoutModel {
        let t = self.t
        let other: AppLocale = locale == .fr ? .en : .fr
        return LayoutModel(
            title: title,
            communityName: maillon.settings.communityName,
            path: url.path,
            csrf: csrf,
            user: currentUser.map { user in
                .init(name: user.name, isAdmin: user.role == .admin, isApplicant: user.role == .applicant, isOrganisation: user.role == .organisationContact, isGuest: user.role == .guest,
                      isMember: user.isMember, canReview: principal.map { AccessPolicy.allows($0, .reviewApplications) } ?? false)
            },
            flash: flash.map { message in .init(kind: message.kind.rawValue, text: message.count.map { t.count(message.key, $0) } ?? t(message.key)) },
            otherLocale: other.rawValue,
            otherLocaleName: t("language.\(other.rawValue)")
        )
    }

    func render<Context: Encodable & Sendable>(_ template: String, _ context: Context, status: HTTPStatus) async throws -> Response {
        let view = try await view.render(template, context)
        let response = try await view.encodeResponse(for: self)
        response.status = status
        return response
    }
}

/// The numbers the layout's header shows on every page for the signed-in person.
enum LayoutCounts {
    /// What the layout shows as unread, in one query: conversations with a message the member has not
    /// read (from people they did not block; `messages` false for those without messaging), and in-app
    /// notifications.
    static func unread(for userID: UUID, messages: Bool, on db: any Database) async throws -> (messages: Int, notifications: Int) {
        let sql = db as! any SQLDatabase
        let conversations: SQLQueryString = messages ? """
            SELECT COUNT(DISTINCT cm.conversation_id) FROM \(ident: ConversationMember.schema) cm
            JOIN \(ident: DirectMessage.schema) m ON m.conversation_id = cm.conversation_id
            WHERE cm.user_id = \(bind: userID) AND m.author_id <> \(bind: userID) AND (cm.last_read_at IS NULL OR m.created_at > cm.last_read_at)
              AND m.author_id NOT IN (SELECT blocked_id FROM \(ident: MemberBlock.schema) WHERE blocker_id = \(bind: userID))
            """ : "SELECT 0"
        guard let row = try await sql.raw("""
            SELECT (\(conversations)) AS messages,
              (SELECT COUNT(*) FROM \(ident: AppNotification.schema) WHERE user_id = \(bind: userID) AND in_app = \(bind: true) AND read_at IS NULL) AS notifications
            """).first() else { return (0, 0) }
        return (try row.decode(column: "messages", as: Int.self), try row.decode(column: "notifications", as: Int.self))
    }
}
