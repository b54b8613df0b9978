import Fluent
import Vapor

/// Spaces, threads and posts (`/discussions`): members only. Handlers read input, check who may act
/// (`AccessPolicy`, through `DiscussionReader`), call `Discussing`, and render a page model.
struct DiscussionsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let base = SiteURL.route(SiteURL.discussions)
        routes.get(base, use: spaces)
        routes.get(base + ["search"], use: search)
        routes.get(base + ["threads", ":thread"], use: thread)
        routes.post(base + ["threads", ":thread", "reply"], use: reply)
        routes.post(base + ["threads", ":thread", "follow"], use: follow)
        routes.get(base + ["posts", ":post"], use: locate)
        routes.get(base + ["posts", ":post", "edit"], use: editForm)
        routes.post(base + ["posts", ":post", "edit"], use: edit)
        routes.post(base + ["posts", ":post", "delete"], use: delete)
        routes.post(base + ["posts", ":post", "react"], use: react)
        routes.post(base + ["posts", ":post", "accept"], use: accept)
        routes.get(base + ["posts", ":post", "report"], use: reportForm)
        routes.post(base + ["posts", ":post", "report"], use: report)
        routes.get(base + [":slug"], use: space)
        routes.get(base + [":slug", "new"], use: newThreadForm)
        routes.post(base + [":slug", "new"], use: newThread)
        routes.post(base + [":slug", "membership"], use: membership)
        routes.get(SiteURL.route(SiteURL.adminSpaces), use: adminSpaces)
        routes.post(SiteURL.route(SiteURL.adminSpaces), use: createSpace)
    }

    // MARK: Finding things, and who may see them

    private func space(_ req: Request, _ reader: DiscussionReader) async throws -> Space {
        let slug = try req.slugParameter()
        guard let space = try await Space.query(on: req.db).filter(\.$slug == slug).first() else { throw PageError.notFound }
        guard reader.mayTakePart(in: space) else { throw PageError.forbidden }
        return space
    }

    private func thread(_ req: Request, _ reader: DiscussionReader) async throws -> (DiscussionThread, Space) {
        guard let id = req.parameters.get("thread", as: UUID.self), let thread = try await DiscussionThread.find(id, on: req.db),
              let space = try await Space.find(thread.$space.id, on: req.db) else { throw PageError.notFound }
        guard reader.mayTakePart(in: space) else { throw PageError.forbidden }
        return (thread, space)
    }

    private func post(_ req: Request, _ reader: DiscussionReader) async throws -> (Post, DiscussionThread, Space) {
        guard let id = req.parameters.get("post", as: UUID.self), let post = try await Post.find(id, on: req.db),
              let thread = try await DiscussionThread.find(post.$thread.id, on: req.db), let space = try await Space.find(thread.$space.id, on: req.db)
        else { throw PageError.notFound }
        guard reader.mayTakePart(in: space) else { throw PageError.forbidden }
        return (post, thread, space)
    }

    private func discussing(_ req: Request, _ db: any Database) -> Discussing {
        Discussing(application: req.application, database: db, now: req.now)
    }

    // MARK: Search

    @Sendable func search(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        let page = try await SearchPage.build(req, reader)
        return try await req.renderPage("discussion-search", title: page.heading, page)
    }

    // MARK: Spaces

    @Sendable func spaces(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        let page = try await SpacesPage.build(req, reader)
        return try await req.renderPage("discussions", title: page.heading, page)
    }

    @Sendable func space(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        let space = try await space(req, reader)
        let filter = req.query[String.self, at: "filter"].flatMap(SpacePage.Filter.init(rawValue:)) ?? .all
        let page = try await SpacePage.build(req, reader, space, filter: filter)
        return try await req.renderPage("discussion-space", title: page.heading, page)
    }

    /// Join or leave a theme space, mute or unmute any space one takes part in.
    @Sendable func membership(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        let space = try await space(req, reader)
        let values = try await req.formValues()
        let discussing = discussing(req, req.db)
        switch values["action"] {
        case "join" where space.isTheme: try await discussing.setMembership(space, for: reader.user, joined: true)
        case "leave" where space.isTheme: try await discussing.setMembership(space, for: reader.user, joined: false)
        case "mute": try await discussing.setMembership(space, for: reader.user, muted: true)
        case "unmute": try await discussing.setMembership(space, for: reader.user, muted: false)
        default: throw Abort(.badRequest)
        }
        try await req.flash(.success, "discussion.flash.\(values["action"] ?? "join")")
        return req.redirect(to: SiteURL.discussionSpace(space.slug), redirectType: .normal)
    }

    // MARK: Threads

    private func threadForm(_ req: Request, _ space: Space, values: [String: String], errors: FormErrors) -> FormPage {
        let t = req.t
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        let form = FormModel(id: "thread", action: SiteURL.newDiscussionThread(space.slug), submitLabel: t("discussion.start"), fields: [
            .init(name: "title", label: t("discussion.field.title"), value: values["title"] ?? "", error: error("title")),
            .init(name: "body", label: t("discussion.field.body"), type: "textarea", value: values["body"] ?? "", error: error("body"), hint: t("discussion.field.body_hint")),
            .init(name: "help", label: t("discussion.field.help"), type: "checkbox", value: values["help"] ?? "", error: error("help"), hint: t("discussion.field.help_hint"),
                  required: false),
            .init(name: "tags", label: t("discussion.field.tags"), value: values["tags"] ?? "", error: error("tags"), hint: t("discussion.field.tags_hint"), required: false),
        ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        return FormPage(heading: t("discussion.new_heading", space.name), forms: [form], links: [.init(url: SiteURL.discussionSpace(space.slug), label: t("discussion.back_to", space.name))])
    }

    @Sendable func newThreadForm(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        if let refusal = try await req.refusalIfSuspended() { return refusal }
        let space = try await space(req, reader)
        return try await req.renderPage("form-page", title: req.t("discussion.new_heading", space.name), threadForm(req, space, values: [:], errors: .init()))
    }

    @Sendable func newThread(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        if let refusal = try await req.refusalIfSuspended() { return refusal }
        let space = try await space(req, reader)
        let values = try await req.formValues()
        let input = ThreadInput(values: values)
        guard input.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("discussion.new_heading", space.name), threadForm(req, space, values: values, errors: input.errors),
                                            status: .unprocessableEntity)
        }
        let thread = try await req.db.transaction { db in
            try await discussing(req, db).start(in: space, by: reader.user, title: input.title, body: input.body, isHelpRequest: input.isHelpRequest, tags: input.tags)
        }
        return req.redirect(to: SiteURL.discussionThread(try thread.requireID()), redirectType: .normal)
    }

    @Sendable func thread(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        let (thread, space) = try await thread(req, reader)
        let quote = req.query[String.self, at: "quote"].flatMap(UUID.init(uuidString:))
        let state = try await ThreadState.of(thread: thread.requireID(), user: reader.userID, on: req.db)
        let page = try await ThreadPage.build(req, reader, space, thread, state: state, reply: quote.map { ["quote": $0.uuidString] } ?? [:], errors: .init())
        // Read once shown: markers on the next visit start from here.
        try await discussing(req, req.db).markRead(thread, by: reader.user, state: state)
        return try await req.renderPage("discussion-thread", title: page.heading, page)
    }

    @Sendable func reply(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        if let refusal = try await req.refusalIfSuspended() { return refusal }
        let (thread, space) = try await thread(req, reader)
        let values = try await req.formValues()
        var form = FormReader(values)
        let body = form.text("body", max: PostText.maximumLength, required: true)
        let quote = values["quote"].flatMap(UUID.init(uuidString:))
        func refused(_ errors: FormErrors) async throws -> Response {
            let state = try await ThreadState.of(thread: thread.requireID(), user: reader.userID, on: req.db)
            let page = try await ThreadPage.build(req, reader, space, thread, state: state, reply: values, errors: errors)
            return try await req.renderPage("discussion-thread", title: page.heading, page, status: .unprocessableEntity)
        }
        guard form.errors.isEmpty else { return try await refused(form.errors) }
        do {
            let post = try await req.db.transaction { db in try await discussing(req, db).reply(to: thread, by: reader.user, body: body, quoting: quote) }
            return req.redirect(to: SiteURL.discussionPost(try post.requireID()), redirectType: .normal)
        } catch let refusal as Discussing.Refusal {
            var errors = FormErrors()
            errors.add("body", refusal.key)
            return try await refused(errors)
        }
    }

    @Sendable func follow(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        let (thread, _) = try await thread(req, reader)
        let values = try await req.formValues()
        let choice: ThreadState.Following? = switch values["following"] {
        case "following": .following
        case "muted": .muted
        case "none": nil
        default: throw Abort(.badRequest)
        }
        try await discussing(req, req.db).follow(thread, by: reader.user, choice)
        try await req.flash(.success, "discussion.flash.follow.\(values["following"] ?? "none")")
        return req.redirect(to: SiteURL.discussionThread(try thread.requireID()), redirectType: .normal)
    }

    // MARK: Posts

    /// A post's own address leads to the page of its thread that holds it.
    @Sendable func locate(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        let (post, thread, _) = try await post(req, reader)
        let threadID = try thread.requireID()
        let postID = try post.requireID()
        let before = try await Post.query(on: req.db).filter(\.$thread.$id == threadID).group(.or) { group in
            group.filter(\.$createdAt < post.createdAt).group(.and) { $0.filter(\.$createdAt == post.createdAt).filter(\.$id < postID) }
        }.count()
        let page = before / ThreadPage.perPage + 1
        return req.redirect(to: SiteURL.discussionThread(threadID) + (page > 1 ? "?page=\(page)" : "") + "#post-\(try post.requireID().uuidString)", redirectType: .normal)
    }

    private func editPage(_ req: Request, _ post: Post, values: [String: String], errors: FormErrors) throws -> FormPage {
        let t = req.t
        let form = FormModel(id: "edit-post", action: SiteURL.discussionPostAction(try post.requireID(), "edit"), submitLabel: t("form.save"), fields: [
            .init(name: "body", label: t("discussion.field.body"), type: "textarea", value: values["body"] ?? "", error: errors["body"].map { t($0) },
                  hint: t("discussion.field.body_hint")),
        ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        return FormPage(heading: t("discussion.edit_heading"), forms: [form], links: [.init(url: SiteURL.discussionPost(try post.requireID()), label: t("discussion.cancel_edit"))])
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        if let refusal = try await req.refusalIfSuspended() { return refusal }
        let (post, _, _) = try await post(req, reader)
        guard post.$author.id == reader.userID, post.deletedAt == nil else { throw PageError.forbidden }
        return try await req.renderPage("form-page", title: req.t("discussion.edit_heading"), try editPage(req, post, values: ["body": post.body], errors: .init()))
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        if let refusal = try await req.refusalIfSuspended() { return refusal }
        let (post, _, _) = try await post(req, reader)
        guard post.$author.id == reader.userID, post.deletedAt == nil else { throw PageError.forbidden }
        let values = try await req.formValues()
        var form = FormReader(values)
        let body = form.text("body", max: PostText.maximumLength, required: true)
        guard form.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("discussion.edit_heading"), try editPage(req, post, values: values, errors: form.errors),
                                            status: .unprocessableEntity)
        }
        try await discussing(req, req.db).edit(post, by: reader.user, body: body)
        return req.redirect(to: SiteURL.discussionPost(try post.requireID()), redirectType: .normal)
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        let (post, _, space) = try await post(req, reader)
        let moderating = post.$author.id != reader.userID
        guard !moderating || reader.mayModerate(space) else { throw PageError.forbidden }
        try await req.db.transaction { db in try await discussing(req, db).delete(post, by: reader.user, moderating: moderating) }
        try await req.flash(.success, "discussion.flash.deleted")
        return req.redirect(to: SiteURL.discussionPost(try post.requireID()), redirectType: .normal)
    }

    @Sendable func react(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        if let refusal = try await req.refusalIfSuspended() { return refusal }
        let (post, _, _) = try await post(req, reader)
        guard let kind = try await req.formValues()["kind"].flatMap(PostReaction.Kind.init(rawValue:)) else { throw Abort(.badRequest) }
        do {
            try await discussing(req, req.db).toggle(kind, on: post, by: reader.user)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // The same click arrived twice at once: the reaction is there, once.
        } catch let refusal as Discussing.Refusal {
            try await req.flash(.error, refusal.key)
        }
        return req.redirect(to: SiteURL.discussionPost(try post.requireID()), redirectType: .normal)
    }

    @Sendable func accept(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        if let refusal = try await req.refusalIfSuspended() { return refusal }
        let (post, thread, _) = try await post(req, reader)
        guard thread.$author.id == reader.userID else { throw PageError.forbidden }
        do {
            try await req.db.transaction { db in
                try await db.lockRow(of: DiscussionThread.schema, id: thread.requireID(), touching: "answer_post_id")
                guard let locked = try await DiscussionThread.find(thread.requireID(), on: db) else { throw PageError.notFound }
                try await discussing(req, db).accept(post, in: locked, by: reader.user)
            }
            try await req.flash(.success, "discussion.flash.accepted")
        } catch let refusal as Discussing.Refusal {
            try await req.flash(.error, refusal.key)
        }
        return req.redirect(to: SiteURL.discussionPost(try post.requireID()), redirectType: .normal)
    }

    // MARK: Reports

    private func reportPage(_ req: Request, _ post: Post, values: [String: String], errors: FormErrors) throws -> FormPage {
        let t = req.t
        let form = ReportForm.model(t, action: SiteURL.discussionPostAction(try post.requireID(), "report"), values: values, errors: errors)
        return FormPage(heading: t("moderation.report_heading"), intro: t("moderation.report_intro"), forms: [form],
                        links: [.init(url: SiteURL.discussionPost(try post.requireID()), label: t("discussion.cancel_edit"))])
    }

    @Sendable func reportForm(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        let (post, _, _) = try await post(req, reader)
        return try await req.renderPage("form-page", title: req.t("moderation.report_heading"), try reportPage(req, post, values: [:], errors: .init()))
    }

    /// Anyone taking part reports a post; two members' reports, or a moderator's, hide it until reviewed.
    @Sendable func report(req: Request) async throws -> Response {
        let reader = try await DiscussionReader.of(req)
        let (post, _, space) = try await post(req, reader)
        let values = try await req.formValues()
        var form = FormReader(values)
        guard let reason = form.choice("reason", as: PostReport.Reason.self) else {
            return try await req.renderPage("form-page", title: req.t("moderation.report_heading"), try reportPage(req, post, values: values, errors: form.errors),
                                            status: .unprocessableEntity)
        }
        do {
            let hidden = try await req.db.transaction { db in
                try await Moderating(application: req.application, database: db, now: req.now)
                    .report(post, in: space, by: reader.user, reason: reason, reporterModerates: reader.mayModerate(space))
            }
            try await req.flash(.success, hidden ? "moderation.flash.reported_hidden" : "moderation.flash.reported")
        } catch let refusal as Moderating.Refusal {
            try await req.flash(.error, refusal.key)
        }
        return req.redirect(to: SiteURL.discussionPost(try post.requireID()), redirectType: .normal)
    }

    // MARK: Theme spaces (admins)

    private func spacesAdminPage(_ req: Request, values: [String: String], errors: FormErrors) async throws -> FormPage {
        let t = req.t
        let themes = try await Space.query(on: req.db).filter(\.$chapter.$id == nil).sort(\.$name).all()
        let form = FormModel(id: "space", action: SiteURL.adminSpaces, submitLabel: t("discussion.space_create"), fields: [
            .init(name: "name", label: t("discussion.field.space_name"), value: values["name"] ?? "", error: errors["name"].map { t($0) }),
            .init(name: "description", label: t("discussion.field.space_description"), type: "textarea", value: values["description"] ?? "",
                  error: errors["description"].map { t($0) }),
        ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        return FormPage(heading: t("discussion.spaces_admin"), intro: t("discussion.spaces_admin_intro"), forms: [form],
                        links: themes.map { .init(url: SiteURL.discussionSpace($0.slug), label: $0.name) })
    }

    @Sendable func adminSpaces(req: Request) async throws -> Response {
        try req.authorize(.manageSpaces)
        return try await req.renderPage("form-page", title: req.t("discussion.spaces_admin"), try await spacesAdminPage(req, values: [:], errors: .init()))
    }

    @Sendable func createSpace(req: Request) async throws -> Response {
        try req.authorize(.manageSpaces)
        let values = try await req.formValues()
        var form = FormReader(values)
        let name = form.text("name", max: 80, required: true)
        let description = form.text("description", max: 500, required: true)
        guard form.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("discussion.spaces_admin"), try await spacesAdminPage(req, values: values, errors: form.errors),
                                            status: .unprocessableEntity)
        }
        let space = Space()
        space.name = name
        space.description = description
        space.createdAt = req.now
        do {
            space.slug = try await Space.freeSlug(name, on: req.db)
            try await space.create(on: req.db)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            var errors = FormErrors()
            errors.add("name", "discussion.space_exists")
            return try await req.renderPage("form-page", title: req.t("discussion.spaces_admin"), try await spacesAdminPage(req, values: values, errors: errors),
                                            status: .unprocessableEntity)
        }
        try await req.flash(.success, "discussion.flash.space_created")
        return req.redirect(to: SiteURL.discussionSpace(space.slug), redirectType: .normal)
    }
}

/// The new-thread form, read: a title, the first post, and whether it asks for help.
struct ThreadInput {
    let title: String
    let body: String
    let isHelpRequest: Bool
    /// Skills, as the profiles spell them: a help request reaches the members who have them.
    let tags: [(slug: String, label: String)]
    var errors: FormErrors

    static let maximumTags = 5

    init(values: [String: String]) {
        var form = FormReader(values)
        title = form.text("title", max: 150, required: true)
        body = form.text("body", max: PostText.maximumLength, required: true)
        isHelpRequest = values["help"] == "yes"
        let raw = form.text("tags", max: 300)
        tags = Taxonomy.normaliseSkills(raw, limit: 50)
        if tags.count > Self.maximumTags { form.errors.add("tags", "discussion.too_many_tags") }
        errors = form.errors
    }
}
