import Fluent
import SQLKit
import Vapor

/// Direct messages (`/messages`): members only; a conversation is read and written by its members only.
struct MessagesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let base = SiteURL.route(SiteURL.messages)
        routes.get(base, use: list)
        routes.get(base + ["new"], use: newForm)
        routes.post(base + ["new"], use: start)
        routes.get(base + ["settings"], use: settings)
        routes.post(base + ["settings"], use: saveSettings)
        routes.get(base + [":conversation"], use: show)
        routes.post(base + [":conversation"], use: write)
        routes.post(base + [":conversation", "leave"], use: leave)
        routes.get(base + [":conversation", "report", ":message"], use: reportForm)
        routes.post(base + [":conversation", "report", ":message"], use: report)
        routes.post(SiteURL.route(SiteURL.members) + [":user", "block"], use: block)
    }

    private func messaging(_ req: Request, _ db: any Database) -> Messaging {
        Messaging(application: req.application, database: db, now: req.now)
    }

    // MARK: The list

    struct ListPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let url: String
            let people: String
            let excerpt: String
            let when: String
            let unread: Bool
        }

        let heading: String
        let rows: [Row]
        let pagination: Pagination
        let settingsURL: String
    }

    @Sendable func list(req: Request) async throws -> Response {
        let user = try req.requireMember()
        let userID = try user.requireID()
        let t = req.t
        let perPage = 20
        let mine = ConversationMember.query(on: req.db).filter(\.$user.$id == userID)
        let pagination = try Pagination(page: Pagination.requestedPage(req), per: perPage, total: try await mine.count(), path: SiteURL.messages, t: t)
        let memberships = try await mine.join(Conversation.self, on: \ConversationMember.$conversation.$id == \Conversation.$id)
            .sort(Conversation.self, \.$lastMessageAt, .descending).range(((pagination.page - 1) * perPage)..<(pagination.page * perPage)).all()
        let ids = memberships.map { $0.$conversation.id }
        let everyone = try await ConversationMember.query(on: req.db).filter(\.$conversation.$id ~~ ids).all()
        let blocked = Set(try await MemberBlock.query(on: req.db).filter(\.$blocker.$id == userID).all().map { $0.$blocked.id })
        let names = try await DiscussionNames.of(everyone.map { $0.$user.id }, on: req.db)
        let latest = try await ConversationMessages.latest(in: ids, hiding: blocked, on: req.db)
        let rows = try memberships.map { membership -> ListPage.Row in
            let id = membership.$conversation.id
            let others = everyone.filter { $0.$conversation.id == id && $0.$user.id != userID }.map { names.name($0.$user.id, t) }
            let last = latest[id]
            return ListPage.Row(url: SiteURL.conversation(id), people: others.isEmpty ? t("messages.alone") : others.joined(separator: ", "),
                                excerpt: last.map { PostText.excerpt($0.body, length: 120) } ?? "",
                                when: DateFormatting.dateTime(try membership.joined(Conversation.self).lastMessageAt, req.locale),
                                unread: last.map { $0.authorID != userID && (membership.lastReadAt.map { read in last?.createdAt ?? .distantPast > read } ?? true) } ?? false)
        }
        return try await req.renderPage("messages", title: t("messages.heading"),
                                        ListPage(heading: t("messages.heading"), rows: rows, pagination: pagination, settingsURL: SiteURL.messageSettings))
    }

    // MARK: Starting a conversation

    private func newPage(_ req: Request, to recipients: [User], values: [String: String], errors: FormErrors, summary: String? = nil) -> FormPage {
        let t = req.t
        let form = FormModel(id: "message", action: SiteURL.newConversation, submitLabel: t("messages.send"), fields: [
            .init(name: "others", label: t("messages.field.others"), value: values["others"] ?? "", error: errors["others"].map { t($0) },
                  hint: t("messages.field.others_hint"), required: false),
            .init(name: "body", label: t("messages.field.body"), type: "textarea", value: values["body"] ?? "", error: errors["body"].map { t($0) }),
        ], errorSummary: summary ?? (errors.isEmpty ? nil : t("form.has_errors")),
           hidden: recipients.isEmpty ? [] : [.init(name: "to", value: recipients.compactMap(\.id?.uuidString).joined(separator: ","))])
        return FormPage(heading: recipients.isEmpty ? t("messages.new_heading") : t("messages.new_to", recipients.map(\.name).joined(separator: ", ")),
                        intro: t("messages.new_intro"), forms: [form], links: [.init(url: SiteURL.messages, label: t("messages.heading"))])
    }

    /// The people named by `to` (ids) and `others` (handles), members only.
    private func recipients(_ req: Request, ids: [UUID], handles: String) async throws -> [User] {
        let named = Mentions.handles(in: " " + handles.split(whereSeparator: { $0 == "," || $0 == " " }).map { $0.hasPrefix("@") ? String($0) : "@" + $0 }.joined(separator: " "))
        var users = ids.isEmpty ? [] : try await User.query(on: req.db).filter(\.$id ~~ ids).all()
        users += try await Mentions.members(named, on: req.db).values
        var seen = Set<UUID>()
        return users.filter { $0.isMember && seen.insert($0.id ?? UUID()).inserted }
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        _ = try req.requireMember()
        let to = req.query[String.self, at: "to"].flatMap(UUID.init(uuidString:)).map { [$0] } ?? []
        let recipients = try await recipients(req, ids: to, handles: "")
        return try await req.renderPage("form-page", title: req.t("messages.new_heading"), newPage(req, to: recipients, values: [:], errors: .init()))
    }

    @Sendable func start(req: Request) async throws -> Response {
        let user = try req.requireMember()
        if let refusal = try await req.refusalIfSuspended() { return refusal }
        let values = try await req.formValues()
        let ids = (values["to"] ?? "").split(separator: ",").compactMap { UUID(uuidString: String($0)) }.prefix(Messaging.largestGroup)
        var form = FormReader(values)
        let text = form.text("body", max: PostText.maximumLength, required: true)
        let others = form.text("others", max: 400)
        let recipients = try await recipients(req, ids: Array(ids), handles: others)
        guard form.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("messages.new_heading"), newPage(req, to: recipients.filter { ids.contains($0.id ?? UUID()) }, values: values, errors: form.errors),
                                            status: .unprocessableEntity)
        }
        do {
            let conversation = try await req.db.transaction { db in try await messaging(req, db).start(by: user, with: recipients, body: text) }
            return req.redirect(to: SiteURL.conversation(try conversation.requireID()), redirectType: .normal)
        } catch let refusal as Messaging.Refusal {
            return try await req.renderPage("form-page", title: req.t("messages.new_heading"),
                                            newPage(req, to: recipients.filter { ids.contains($0.id ?? UUID()) }, values: values, errors: .init(), summary: req.t(refusal.key)),
                                            status: refusal == .dailyCap ? .tooManyRequests : .unprocessableEntity)
        }
    }

    // MARK: A conversation

    struct ConversationPage: Encodable, Sendable {
        struct Message: Encodable, Sendable {
            let author: String
            let mine: Bool
            let when: String
            let html: String
            let reportURL: String?
        }

        let heading: String
        let messages: [Message]
        let pagination: Pagination
        let form: [FormModel]
        let leaveURL: String
        let backURL: String
    }

    private func conversation(_ req: Request, _ user: User) async throws -> (Conversation, ConversationMember) {
        guard let id = req.parameters.get("conversation", as: UUID.self), let conversation = try await Conversation.find(id, on: req.db) else { throw PageError.notFound }
        guard let membership = try await ConversationMember.query(on: req.db).filter(\.$conversation.$id == id).filter(\.$user.$id == user.requireID()).first()
        else { throw PageError.forbidden }
        return (conversation, membership)
    }

    private func page(_ req: Request, _ conversation: Conversation, _ user: User, values: [String: String], errors: FormErrors, summary: String? = nil) async throws -> ConversationPage {
        let t = req.t
        let id = try conversation.requireID()
        let userID = try user.requireID()
        let blocked = try await MemberBlock.query(on: req.db).filter(\.$blocker.$id == userID).all().map { $0.$blocked.id }
        let visible = DirectMessage.query(on: req.db).filter(\.$conversation.$id == id).filter(\.$author.$id !~ blocked)
        let total = try await visible.count()
        let perPage = 50
        let last = max(1, (total + perPage - 1) / perPage)
        let requested = req.query[String.self, at: "page"].flatMap(Int.init) ?? last
        let pagination = try Pagination(page: min(max(requested, 1), last), per: perPage, total: total, path: SiteURL.conversation(id), t: t)
        let messages = try await visible.sort(\.$createdAt).sort(\.$id).range(((pagination.page - 1) * perPage)..<(pagination.page * perPage)).all()
        let members = try await ConversationMember.query(on: req.db).filter(\.$conversation.$id == id).all().map { $0.$user.id }
        let names = try await DiscussionNames.of(members + messages.map { $0.$author.id }, on: req.db)
        let others = members.filter { $0 != userID }.map { names.name($0, t) }
        let form = FormModel(id: "reply", action: SiteURL.conversation(id), submitLabel: t("messages.send"), fields: [
            .init(name: "body", label: t("messages.field.reply"), type: "textarea", value: values["body"] ?? "", error: errors["body"].map { t($0) }),
        ], errorSummary: summary ?? (errors.isEmpty ? nil : t("form.has_errors")))
        return ConversationPage(
            heading: others.isEmpty ? t("messages.alone") : t("messages.with", others.joined(separator: ", ")),
            messages: messages.map { .init(author: names.name($0.$author.id, t), mine: $0.$author.id == userID, when: DateFormatting.dateTime($0.createdAt, req.locale),
                                           html: PostText.html($0.body),
                                           reportURL: $0.$author.id == userID ? nil : $0.id.map { SiteURL.conversation(id) + "/report/\($0.uuidString)" }) },
            pagination: pagination, form: [form], leaveURL: SiteURL.conversation(id) + "/leave", backURL: SiteURL.messages)
    }

    @Sendable func show(req: Request) async throws -> Response {
        let user = try req.requireMember()
        let (conversation, membership) = try await conversation(req, user)
        let page = try await page(req, conversation, user, values: [:], errors: .init())
        membership.lastReadAt = req.now
        try await membership.update(on: req.db)
        return try await req.renderPage("conversation", title: page.heading, page)
    }

    @Sendable func write(req: Request) async throws -> Response {
        let user = try req.requireMember()
        if let refusal = try await req.refusalIfSuspended() { return refusal }
        let (conversation, _) = try await conversation(req, user)
        let values = try await req.formValues()
        var form = FormReader(values)
        let text = form.text("body", max: PostText.maximumLength, required: true)
        guard form.errors.isEmpty else {
            return try await req.renderPage("conversation", title: req.t("messages.heading"), try await page(req, conversation, user, values: values, errors: form.errors),
                                            status: .unprocessableEntity)
        }
        do {
            try await req.db.transaction { db in try await messaging(req, db).write(text, in: conversation, by: user) }
        } catch let refusal as Messaging.Refusal {
            return try await req.renderPage("conversation", title: req.t("messages.heading"),
                                            try await page(req, conversation, user, values: values, errors: .init(), summary: req.t(refusal.key)), status: .unprocessableEntity)
        }
        return req.redirect(to: SiteURL.conversation(try conversation.requireID()), redirectType: .normal)
    }

    @Sendable func leave(req: Request) async throws -> Response {
        let user = try req.requireMember()
        let (conversation, membership) = try await conversation(req, user)
        try await req.db.transaction { db in
            try await membership.delete(on: db)
            // The last one out takes the conversation with them.
            if try await ConversationMember.query(on: db).filter(\.$conversation.$id == conversation.requireID()).count() == 0 { try await conversation.delete(on: db) }
        }
        try await req.flash(.success, "messages.flash.left")
        return req.redirect(to: SiteURL.messages, redirectType: .normal)
    }

    // MARK: Reports

    private func reported(_ req: Request, _ user: User) async throws -> (Conversation, DirectMessage) {
        let (conversation, _) = try await conversation(req, user)
        guard let id = req.parameters.get("message", as: UUID.self), let message = try await DirectMessage.find(id, on: req.db),
              message.$conversation.id == conversation.id else { throw PageError.notFound }
        return (conversation, message)
    }

    private func reportPage(_ req: Request, _ conversation: Conversation, _ message: DirectMessage, values: [String: String], errors: FormErrors) throws -> FormPage {
        let t = req.t
        let form = ReportForm.model(t, action: SiteURL.conversation(try conversation.requireID()) + "/report/\(try message.requireID().uuidString)",
                                    values: values, errors: errors)
        return FormPage(heading: t("moderation.report_message_heading"), intro: t("moderation.report_message_intro"), forms: [form],
                        links: [.init(url: SiteURL.conversation(try conversation.requireID()), label: t("messages.heading"))])
    }

    @Sendable func reportForm(req: Request) async throws -> Response {
        let user = try req.requireMember()
        let (conversation, message) = try await reported(req, user)
        return try await req.renderPage("form-page", title: req.t("moderation.report_message_heading"), try reportPage(req, conversation, message, values: [:], errors: .init()))
    }

    @Sendable func report(req: Request) async throws -> Response {
        let user = try req.requireMember()
        let (conversation, message) = try await reported(req, user)
        let values = try await req.formValues()
        var form = FormReader(values)
        guard let reason = form.choice("reason", as: PostReport.Reason.self) else {
            return try await req.renderPage("form-page", title: req.t("moderation.report_message_heading"),
                                            try reportPage(req, conversation, message, values: values, errors: form.errors), status: .unprocessableEntity)
        }
        do {
            try await req.db.transaction { db in try await Moderating(application: req.application, database: db, now: req.now).report(message, by: user, reason: reason) }
            try await req.flash(.success, "moderation.flash.reported")
        } catch let refusal as Moderating.Refusal {
            try await req.flash(.error, refusal.key)
        }
        return req.redirect(to: SiteURL.conversation(try conversation.requireID()), redirectType: .normal)
    }

    // MARK: Settings and blocks

    private func settingsPage(_ req: Request, _ user: User) async throws -> FormPage {
        let t = req.t
        let blocked = try await MemberBlock.query(on: req.db).filter(\.$blocker.$id == user.requireID()).with(\.$blocked).all()
        let form = FormModel(id: "message-settings", action: SiteURL.messageSettings, submitLabel: t("form.save"), fields: [
            .init(name: "accepts", label: t("messages.field.accepts"), type: "checkbox", value: user.acceptsMessages ? "yes" : "", hint: t("messages.field.accepts_hint"), required: false),
        ] + blocked.map { .init(name: "unblock_\($0.$blocked.id.uuidString)", label: t("messages.field.unblock", $0.blocked.name), type: "checkbox", value: "", required: false) })
        return FormPage(heading: t("messages.settings_heading"), intro: blocked.isEmpty ? t("messages.no_blocks") : t("messages.blocks_intro"), forms: [form],
                        links: [.init(url: SiteURL.messages, label: t("messages.heading"))])
    }

    @Sendable func settings(req: Request) async throws -> Response {
        let user = try req.requireMember()
        return try await req.renderPage("form-page", title: req.t("messages.settings_heading"), try await settingsPage(req, user))
    }

    @Sendable func saveSettings(req: Request) async throws -> Response {
        let user = try req.requireMember()
        let values = try await req.formValues()
        user.acceptsMessages = values["accepts"] == "yes"
        try await user.update(on: req.db)
        let unblock = values.keys.filter { $0.hasPrefix("unblock_") && values[$0] == "yes" }.compactMap { UUID(uuidString: String($0.dropFirst("unblock_".count))) }
        if !unblock.isEmpty { try await MemberBlock.query(on: req.db).filter(\.$blocker.$id == user.requireID()).filter(\.$blocked.$id ~~ unblock).delete() }
        try await req.flash(.success, "messages.flash.settings")
        return req.redirect(to: SiteURL.messageSettings, redirectType: .normal)
    }

    /// Blocks a member (from their profile): nothing tells them.
    @Sendable func block(req: Request) async throws -> Response {
        let user = try req.requireMember()
        guard let id = req.parameters.get("user", as: UUID.self), id != user.id, let blocked = try await User.find(id, on: req.db) else { throw PageError.notFound }
        let row = MemberBlock()
        row.$blocker.id = try user.requireID()
        row.$blocked.id = try blocked.requireID()
        row.createdAt = req.now
        do { try await row.create(on: req.db) } catch let error as any DatabaseError where error.isConstraintFailure {}
        try await req.flash(.success, "messages.flash.blocked")
        return req.redirect(to: SiteURL.messageSettings, redirectType: .normal)
    }
}

/// The latest visible message of each conversation, in one query.
enum ConversationMessages {
    struct Latest: Sendable {
        let authorID: UUID
        let body: String
        let createdAt: Date
    }

    static func latest(in conversations: [UUID], hiding blocked: Set<UUID>, on db: any Database) async throws -> [UUID: Latest] {
        guard !conversations.isEmpty, let sql = db as? any SQLDatabase else { return [:] }
        let hidden: SQLQueryString = blocked.isEmpty ? "" : " AND author_id NOT IN (\(binds: Array(blocked)))"
        let rows = try await sql.raw("""
            SELECT conversation_id, author_id, body, created_at FROM (
              SELECT conversation_id, author_id, body, created_at, ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY created_at DESC) AS position
              FROM \(ident: DirectMessage.schema) WHERE conversation_id IN (\(binds: conversations))\(hidden)) ranked
            WHERE position = 1
            """).all()
        var latest: [UUID: Latest] = [:]
        for row in rows {
            latest[try row.decode(column: "conversation_id", as: UUID.self)] = Latest(
                authorID: try row.decode(column: "author_id", as: UUID.self), body: try row.decode(column: "body", as: String.self),
                createdAt: try row.decode(column: "created_at", as: Date.self))
        }
        return latest
    }
}
