import Fluent
import Vapor

/// The moderation queue (`/moderation`): reported and hidden posts, for the admins (everywhere) and
/// the ambassadors (their chapters' spaces); one form per post to restore, delete, warn or suspend;
/// and the log of every action.
struct ModerationController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.moderation), use: queue)
        routes.post(SiteURL.route(SiteURL.moderation) + ["posts", ":post"], use: act)
        routes.post(SiteURL.route(SiteURL.moderation) + ["messages", ":message"], use: actOnMessage)
        routes.post(SiteURL.route(SiteURL.moderation) + ["suspensions", ":suspension", "lift"], use: lift)
        routes.get(SiteURL.route(SiteURL.moderationLog), use: log)
    }

    typealias Action = Moderating.Action

    /// A moderator's decision form, read: an action, a reason (needed but to restore), and days for a suspension.
    struct Decision {
        let action: Action?
        let reason: String
        let days: Int?
        let errors: FormErrors

        init(values: [String: String]) {
            var form = FormReader(values)
            action = form.choice("action", as: Action.self)
            reason = form.text("reason", max: 500, required: action != nil && action != .restore)
            days = action == .suspend ? form.number("days", 1...365, required: true) : nil
            errors = form.errors
        }
    }

    struct QueuePage: Encodable, Sendable {
        struct Item: Encodable, Sendable {
            let thread: String
            let url: String
            let space: String
            let author: String
            let excerpt: String
            let hidden: Bool
            let reports: [String]
            let form: [FormModel]
        }

        /// A suspension still running, and the form that ends it now.
        struct Suspended: Encodable, Sendable {
            let member: String
            let memberURL: String
            /// Until when, and why.
            let summary: String
            let form: [FormModel]
        }

        let heading: String
        let items: [Item]
        /// Reported direct messages: admins only.
        var messages: [Item] = []
        /// Suspensions running: admins only (a suspension holds everywhere, beyond any one chapter).
        var suspensions: [Suspended] = []
        let logURL: String
    }

    /// The posts with open reports or hidden, which the reader moderates.
    private func queuePage(_ req: Request, _ reader: DiscussionReader, failed: (UUID, [String: String], FormErrors)? = nil) async throws -> QueuePage {
        let t = req.t
        let reports = try await PostReport.query(on: req.db).filter(\.$closedAt == nil).sort(\.$createdAt).limit(500).all()
        let hiddenIDs = try await Post.query(on: req.db).filter(\.$hiddenAt != nil).filter(\.$deletedAt == nil).limit(200).all(\.$id)
        let postIDs = Array(Set(reports.map { $0.$post.id } + hiddenIDs.compactMap { $0 }))
        let posts = try await Post.query(on: req.db).filter(\.$id ~~ postIDs).filter(\.$deletedAt == nil).sort(\.$createdAt).all()
        let threads = Dictionary(try await DiscussionThread.query(on: req.db).filter(\.$id ~~ Array(Set(posts.map { $0.$thread.id }))).all()
            .map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        let spaces = Dictionary(try await Space.query(on: req.db).filter(\.$id ~~ Array(Set(threads.values.map { $0.$space.id }))).all()
            .map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        let names = try await DiscussionNames.of(posts.compactMap(\.$author.id), on: req.db)
        let items = posts.compactMap { post -> QueuePage.Item? in
            guard let postID = post.id, let thread = threads[post.$thread.id], let space = spaces[thread.$space.id], reader.mayModerate(space) else { return nil }
            let reasons = Dictionary(grouping: reports.filter { $0.$post.id == postID }, by: \.reason)
                .sorted { $0.key.rawValue < $1.key.rawValue }.map { t.count("moderation.reason_count.\($0.key.rawValue)", $0.value.count) }
            let (values, errors) = failed?.0 == postID ? (failed?.1 ?? [:], failed?.2 ?? .init()) : ([:], FormErrors())
            return QueuePage.Item(thread: thread.title, url: SiteURL.discussionPost(postID), space: space.name, author: names.name(post.$author.id, t),
                                  excerpt: PostText.excerpt(post.body, length: 400), hidden: post.hiddenAt != nil, reports: reasons,
                                  form: [actionForm(req, postID, values: values, errors: errors)])
        }
        var page = QueuePage(heading: t("moderation.heading"), items: items, logURL: SiteURL.moderationLog)
        if reader.principal?.role == .admin {
            page.messages = try await messageItems(req, failed: failed)
            page.suspensions = try await suspensionItems(req, failed: failed)
        }
        return page
    }

    /// The suspensions still running, soonest over first, each with a form to lift it now (a reason is needed).
    private func suspensionItems(_ req: Request, failed: (UUID, [String: String], FormErrors)?) async throws -> [QueuePage.Suspended] {
        let t = req.t
        let suspensions = try await Suspension.query(on: req.db).filter(\.$until > req.now).sort(\.$until).limit(200).all()
        let names = try await DiscussionNames.of(suspensions.map { $0.$user.id }, on: req.db)
        return suspensions.compactMap { suspension in
            guard let id = suspension.id else { return nil }
            let (values, errors) = failed?.0 == id ? (failed?.1 ?? [:], failed?.2 ?? .init()) : ([:], FormErrors())
            let form = FormModel(id: "lift-\(id.uuidString)", action: SiteURL.liftSuspension(id), submitLabel: t("moderation.lift_submit"), fields: [
                .init(name: "reason", label: t("moderation.field.why"), value: values["reason"] ?? "", error: errors["reason"].map { t($0) },
                      hint: t("moderation.lift_hint")),
            ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
            return QueuePage.Suspended(member: names.name(suspension.$user.id, t), memberURL: SiteURL.member(suspension.$user.id),
                                       summary: t("moderation.suspended_until", DateFormatting.dateTime(suspension.until, req.locale), suspension.reason),
                                       form: [form])
        }
    }

    /// Direct messages with open reports (admins only): a message has no space for an ambassador to moderate.
    private func messageItems(_ req: Request, failed: (UUID, [String: String], FormErrors)?) async throws -> [QueuePage.Item] {
        let t = req.t
        let reports = try await MessageReport.query(on: req.db).filter(\.$closedAt == nil).sort(\.$createdAt).limit(300).all()
        let messages = try await DirectMessage.query(on: req.db).filter(\.$id ~~ Array(Set(reports.map { $0.$message.id }))).sort(\.$createdAt).all()
        let names = try await DiscussionNames.of(messages.map { $0.$author.id }, on: req.db)
        return messages.compactMap { message in
            guard let id = message.id else { return nil }
            let reasons = Dictionary(grouping: reports.filter { $0.$message.id == id }, by: \.reason)
                .sorted { $0.key.rawValue < $1.key.rawValue }.map { t.count("moderation.reason_count.\($0.key.rawValue)", $0.value.count) }
            let (values, errors) = failed?.0 == id ? (failed?.1 ?? [:], failed?.2 ?? .init()) : ([:], FormErrors())
            return QueuePage.Item(thread: t("moderation.a_message"), url: SiteURL.moderation + "#moderate-\(id.uuidString)", space: t("nav.messages"),
                                  author: names.name(message.$author.id, t), excerpt: PostText.excerpt(message.body, length: 400), hidden: false, reports: reasons,
                                  form: [actionForm(req, id, target: SiteURL.moderation + "/messages/\(id.uuidString)", values: values, errors: errors)])
        }
    }

    private func actionForm(_ req: Request, _ postID: UUID, target: String? = nil, values: [String: String], errors: FormErrors) -> FormModel {
        let t = req.t
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        let chosen = values["action"] ?? Action.restore.rawValue
        // A direct message is not hidden: it is dismissed, deleted, or its author warned or suspended.
        let actions = target == nil ? Action.allCases : Action.allCases.filter { $0 != .hide }
        return FormModel(id: "moderate-\(postID.uuidString)", action: target ?? SiteURL.moderationAction(postID), submitLabel: t("moderation.apply"), fields: [
            .init(name: "action", label: t("moderation.field.action"), type: "select", value: chosen, error: error("action"),
                  options: actions.map { .init(value: $0.rawValue, label: t("moderation.action.\($0.rawValue)"), selected: $0.rawValue == chosen) }),
            .init(name: "reason", label: t("moderation.field.why"), value: values["reason"] ?? "", error: error("reason"), hint: t("moderation.field.why_hint"), required: false),
            .init(name: "days", label: t("moderation.field.days"), value: values["days"] ?? "7", error: error("days"), hint: t("moderation.field.days_hint"),
                  required: false, inputmode: "numeric"),
        ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
    }

    @Sendable func queue(req: Request) async throws -> Response {
        try req.authorize(.moderate)
        let reader = try await DiscussionReader.of(req)
        let page = try await queuePage(req, reader)
        return try await req.renderPage("moderation", title: page.heading, page)
    }

    @Sendable func act(req: Request) async throws -> Response {
        try req.authorize(.moderate)
        let reader = try await DiscussionReader.of(req)
        guard let id = req.parameters.get("post", as: UUID.self), let post = try await Post.find(id, on: req.db),
              let thread = try await DiscussionThread.find(post.$thread.id, on: req.db), let space = try await Space.find(thread.$space.id, on: req.db)
        else { throw PageError.notFound }
        guard reader.mayModerate(space) else { throw PageError.forbidden }
        let values = try await req.formValues()
        let decision = Decision(values: values)
        guard decision.errors.isEmpty, let action = decision.action else {
            let page = try await queuePage(req, reader, failed: (id, values, decision.errors))
            return try await req.renderPage("moderation", title: page.heading, page, status: .unprocessableEntity)
        }
        let reason = decision.reason, days = decision.days
        try await req.db.transaction { db in
            let moderating = Moderating(application: req.application, database: db, now: req.now)
            switch action {
            case .hide: try await moderating.hide(post, in: space, by: reader.user, reason: reason)
            case .restore: try await moderating.restore(post, in: space, by: reader.user, reason: reason)
            case .delete: try await moderating.remove(post, in: space, by: reader.user, reason: reason)
            case .warn:
                guard let author = post.$author.id else { return }
                try await moderating.warn(author, about: post, in: space, by: reader.user, reason: reason)
            case .suspend:
                guard let author = post.$author.id else { return }
                try await moderating.suspend(author, days: days ?? 7, about: post, in: space, by: reader.user, reason: reason)
            }
        }
        try await req.flash(.success, "moderation.flash.\(action.rawValue)")
        return req.redirect(to: SiteURL.moderation, redirectType: .normal)
    }

    /// An admin's decision on a reported direct message.
    @Sendable func actOnMessage(req: Request) async throws -> Response {
        try req.authorize(.manageSpaces)
        let reader = try await DiscussionReader.of(req)
        guard let id = req.parameters.get("message", as: UUID.self), let message = try await DirectMessage.find(id, on: req.db) else { throw PageError.notFound }
        let values = try await req.formValues()
        let decision = Decision(values: values)
        guard decision.errors.isEmpty, let action = decision.action else {
            let page = try await queuePage(req, reader, failed: (id, values, decision.errors))
            return try await req.renderPage("moderation", title: page.heading, page, status: .unprocessableEntity)
        }
        let reason = decision.reason, days = decision.days
        try await req.db.transaction { db in
            try await Moderating(application: req.application, database: db, now: req.now).decide(message, action: action, days: days, by: reader.user, reason: reason)
        }
        try await req.flash(.success, "moderation.flash.\(action.rawValue)")
        return req.redirect(to: SiteURL.moderation, redirectType: .normal)
    }

    /// An admin ends a suspension now, with a reason the member reads.
    @Sendable func lift(req: Request) async throws -> Response {
        try req.authorize(.manageSpaces)
        let reader = try await DiscussionReader.of(req)
        guard let id = req.parameters.get("suspension", as: UUID.self), try await Suspension.find(id, on: req.db) != nil else { throw PageError.notFound }
        let values = try await req.formValues()
        var form = FormReader(values)
        let reason = form.text("reason", max: 500, required: true)
        guard form.errors.isEmpty else {
            let page = try await queuePage(req, reader, failed: (id, values, form.errors))
            return try await req.renderPage("moderation", title: page.heading, page, status: .unprocessableEntity)
        }
        try await req.db.transaction { db in
            // Read again under the row's lock: two admins lifting at once log and tell it once.
            // Already over (lifted by someone else, or its date passed): nothing to do.
            guard let current = try await db.lockAndRead(Suspension.self, id: id, touching: "until"), current.until > req.now else { return }
            try await Moderating(application: req.application, database: db, now: req.now).lift(current, by: reader.user, reason: reason)
        }
        try await req.flash(.success, "moderation.flash.lift")
        return req.redirect(to: SiteURL.moderation, redirectType: .normal)
    }

    struct LogPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let when: String
            let actor: String
            let action: String
            let member: String
            let space: String
            let reason: String
        }

        let heading: String
        let rows: [Row]
        let pagination: Pagination
    }

    /// Every action, newest first: the admins see all, an ambassador their chapters' spaces.
    @Sendable func log(req: Request) async throws -> Response {
        try req.authorize(.moderate)
        let reader = try await DiscussionReader.of(req)
        let t = req.t
        var query = ModerationEntry.query(on: req.db)
        if reader.principal?.role != .admin {
            let chapters = Array(reader.principal?.ambassadorOf ?? [])
            let spaces = try await Space.query(on: req.db).filter(\.$chapter.$id ~~ chapters).all(\.$id)
            query = query.filter(\.$space.$id ~~ spaces.compactMap { $0 })
        }
        let perPage = 50
        let pagination = try Pagination(page: Pagination.requestedPage(req), per: perPage, total: try await query.count(), path: SiteURL.moderationLog, t: t)
        let entries = try await query.sort(\.$createdAt, .descending).sort(\.$id).range(((pagination.page - 1) * perPage)..<(pagination.page * perPage)).all()
        let names = try await DiscussionNames.of(entries.compactMap(\.$actor.id) + entries.compactMap(\.$member.id), on: req.db)
        let spaceNames = Dictionary(try await Space.query(on: req.db).filter(\.$id ~~ entries.compactMap(\.$space.id)).all().map { ($0.id ?? UUID(), $0.name) },
                                    uniquingKeysWith: { a, _ in a })
        let rows = entries.map { entry in
            LogPage.Row(when: DateFormatting.dateTime(entry.createdAt, req.locale),
                        actor: entry.$actor.id == nil ? t("moderation.rule") : names.name(entry.$actor.id, t),
                        action: t("moderation.logged.\(entry.action.rawValue)"), member: entry.$member.id == nil ? "" : names.name(entry.$member.id, t),
                        space: entry.$space.id.flatMap { spaceNames[$0] } ?? "",
                        reason: entry.action == .hide && entry.reason.isEmpty
                            ? t(entry.$actor.id == nil ? "moderation.auto_reason.reports" : "moderation.auto_reason.moderator") : entry.reason)
        }
        return try await req.renderPage("moderation-log", title: t("moderation.log_heading"),
                                        LogPage(heading: t("moderation.log_heading"), rows: rows, pagination: pagination))
    }
}
