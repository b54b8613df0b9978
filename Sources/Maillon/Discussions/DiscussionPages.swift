import Fluent
import SQLKit
import Vapor

/// Who is reading the discussions: a member (or admin), with their home chapter for the chapter spaces.
struct DiscussionReader: Sendable {
    let user: User
    let userID: UUID
    let homeChapter: UUID?
    let principal: Principal?

    static func of(_ req: Request) async throws -> DiscussionReader {
        let user = try req.requireMember()
        let id = try user.requireID()
        let home = try await Profile.query(on: req.db).filter(\.$user.$id == id).first()?.$homeChapter.id
        return DiscussionReader(user: user, userID: id, homeChapter: home, principal: req.principal)
    }

    func mayTakePart(in space: Space) -> Bool {
        AccessPolicy.allows(principal, .takePartInSpace(chapter: space.$chapter.id, homeChapter: homeChapter))
    }

    func mayModerate(_ space: Space) -> Bool {
        AccessPolicy.allows(principal, .moderateSpace(chapter: space.$chapter.id))
    }

    /// How far back "new" reaches: older activity is not counted as unread.
    static let unreadWindow: TimeInterval = 30 * 86400

    /// Threads with activity the reader has not seen, in the last 30 days: never opened and active since
    /// they joined, or active since they last read them. One query, over the recent threads only (the
    /// `(space_id, last_post_at)` index), whatever the number of threads.
    func unreadCounts(spaces: [UUID], now: Date, on db: any Database) async throws -> [UUID: Int] {
        guard !spaces.isEmpty, let sql = db as? any SQLDatabase else { return [:] }
        let since = max(user.createdAt ?? .distantPast, now.addingTimeInterval(-Self.unreadWindow))
        let rows = try await sql.raw("""
            SELECT t.space_id AS space_id, COUNT(*) AS unread FROM \(ident: DiscussionThread.schema) t
            LEFT JOIN \(ident: ThreadState.schema) s ON s.thread_id = t.id AND s.user_id = \(bind: userID)
            WHERE t.space_id IN (\(binds: spaces)) AND t.last_post_at > \(bind: since)
              AND (s.last_read_at IS NULL OR t.last_post_at > s.last_read_at)
            GROUP BY t.space_id
            """).all()
        var counts: [UUID: Int] = [:]
        for row in rows { counts[try row.decode(column: "space_id", as: UUID.self)] = try row.decode(column: "unread", as: Int.self) }
        return counts
    }
}

/// `/discussions`: the spaces a member takes part in (their chapter's, the theme spaces), and the
/// other theme spaces to join. The same handful of queries whatever the number of threads.
struct SpacesPage: Encodable, Sendable {
    struct Row: Encodable, Sendable {
        let name: String
        let url: String
        let description: String
        let threads: String
        let unread: String?
        let joined: Bool
        let muted: Bool
        let isTheme: Bool
        let membershipURL: String
    }

    let heading: String
    let mine: [Row]
    let others: [Row]
    let manageURL: String?
    let moderationURL: String?

    static func build(_ req: Request, _ reader: DiscussionReader) async throws -> SpacesPage {
        let t = req.t
        let spaces = try await Space.query(on: req.db).sort(\.$name).all().filter(reader.mayTakePart)
        let ids = spaces.compactMap(\.id)
        let memberships = Dictionary(try await SpaceMember.query(on: req.db).filter(\.$user.$id == reader.userID).all().map { ($0.$space.id, $0) },
                                     uniquingKeysWith: { a, _ in a })
        var threadCounts: [UUID: Int] = [:]
        if let sql = req.db as? any SQLDatabase, !ids.isEmpty {
            for row in try await sql.raw("""
                SELECT space_id, COUNT(*) AS threads FROM \(ident: DiscussionThread.schema) WHERE space_id IN (\(binds: ids)) GROUP BY space_id
                """).all() {
                threadCounts[try row.decode(column: "space_id", as: UUID.self)] = try row.decode(column: "threads", as: Int.self)
            }
        }
        let unread = try await reader.unreadCounts(spaces: ids, now: req.now, on: req.db)
        func row(_ space: Space) -> Row {
            let id = space.id ?? UUID()
            let membership = memberships[id]
            return Row(name: space.name, url: SiteURL.discussionSpace(space.slug),
                       description: space.isTheme ? space.description : t("discussion.chapter_space", space.name),
                       threads: t.count("discussion.thread_count", threadCounts[id] ?? 0),
                       unread: (unread[id] ?? 0) > 0 ? t.count("discussion.unread_count", unread[id] ?? 0) : nil,
                       joined: !space.isTheme || membership?.joined == true, muted: membership?.muted == true, isTheme: space.isTheme,
                       membershipURL: SiteURL.discussionMembership(space.slug))
        }
        // One's own: one's chapter's space (and those one runs), and the theme spaces one joined.
        let mine = spaces.filter { space in
            space.isTheme ? memberships[space.id ?? UUID()]?.joined == true
                : space.$chapter.id == reader.homeChapter || reader.principal?.ambassadorOf.contains(space.$chapter.id ?? UUID()) == true
        }
        let mineIDs = Set(mine.compactMap(\.id))
        return SpacesPage(heading: t("discussion.heading"), mine: mine.map(row), others: spaces.filter { !mineIDs.contains($0.id ?? UUID()) }.map(row),
                          manageURL: AccessPolicy.allows(reader.principal, .manageSpaces) ? SiteURL.adminSpaces : nil,
                          moderationURL: AccessPolicy.allows(reader.principal, .moderate) ? SiteURL.moderation : nil)
    }
}

/// A space's threads, latest activity first, 20 a page, with the help requests' filters.
struct SpacePage: Encodable, Sendable {
    enum Filter: String, CaseIterable, Sendable { case all, help, unanswered, resolved }

    struct Row: Encodable, Sendable {
        let title: String
        let url: String
        let byline: String
        let replies: String
        let status: String?
        let resolved: Bool
        let unread: Bool
    }

    struct FilterLink: Encodable, Sendable {
        let label: String
        let url: String
        let current: Bool
    }

    let heading: String
    let description: String
    let rows: [Row]
    let filters: [FilterLink]
    let pagination: Pagination
    let newThreadURL: String
    let membershipURL: String
    let isTheme: Bool
    let joined: Bool
    let muted: Bool
    let backURL: String

    static let perPage = 20

    static func build(_ req: Request, _ reader: DiscussionReader, _ space: Space, filter: Filter) async throws -> SpacePage {
        let t = req.t
        let spaceID = try space.requireID()
        var query = DiscussionThread.query(on: req.db).filter(\.$space.$id == spaceID)
        switch filter {
        case .all: break
        case .help: query = query.filter(\.$isHelpRequest == true)
        case .unanswered: query = query.filter(\.$isHelpRequest == true).filter(\.$answerPostID == nil)
        case .resolved: query = query.filter(\.$isHelpRequest == true).filter(\.$answerPostID != nil)
        }
        let total = try await query.count()
        let path = SiteURL.discussionSpace(space.slug) + (filter == .all ? "" : "?filter=\(filter.rawValue)")
        let pagination = try Pagination(page: Pagination.requestedPage(req), per: perPage, total: total, path: path, t: t)
        let threads = try await query.sort(\.$lastPostAt, .descending).sort(\.$id).range(((pagination.page - 1) * perPage)..<(pagination.page * perPage)).all()
        let names = try await DiscussionNames.of(threads.compactMap(\.$author.id), on: req.db)
        let states = Dictionary(try await ThreadState.query(on: req.db).filter(\.$user.$id == reader.userID).filter(\.$thread.$id ~~ threads.compactMap(\.id)).all()
            .map { ($0.$thread.id, $0) }, uniquingKeysWith: { a, _ in a })
        let membership = try await SpaceMember.query(on: req.db).filter(\.$space.$id == spaceID).filter(\.$user.$id == reader.userID).first()
        let since = max(reader.user.createdAt ?? .distantPast, req.now.addingTimeInterval(-DiscussionReader.unreadWindow))
        let rows = threads.map { thread in
            let lastRead = states[thread.id ?? UUID()]?.lastReadAt
            let unread = thread.lastPostAt > since && (lastRead.map { thread.lastPostAt > $0 } ?? true)
            return Row(title: thread.title, url: SiteURL.discussionThread(thread.id ?? UUID()),
                       byline: t("discussion.byline", names.name(thread.$author.id, t), DateFormatting.dateTime(thread.lastPostAt, req.locale)),
                       replies: t.count("discussion.reply_count", thread.replyCount),
                       status: thread.isHelpRequest ? t(thread.isResolved ? "discussion.help.resolved" : "discussion.help.open") : nil,
                       resolved: thread.isResolved, unread: unread)
        }
        return SpacePage(
            heading: space.name, description: space.isTheme ? space.description : t("discussion.chapter_space", space.name), rows: rows,
            filters: Filter.allCases.map { .init(label: t("discussion.filter.\($0.rawValue)"),
                                                 url: SiteURL.discussionSpace(space.slug) + ($0 == .all ? "" : "?filter=\($0.rawValue)"), current: $0 == filter) },
            pagination: pagination, newThreadURL: SiteURL.newDiscussionThread(space.slug), membershipURL: SiteURL.discussionMembership(space.slug),
            isTheme: space.isTheme, joined: !space.isTheme || membership?.joined == true, muted: membership?.muted == true, backURL: SiteURL.discussions)
    }
}

/// Authors' names for a page of posts or threads, in one query; an erased author reads "former member".
struct DiscussionNames {
    let names: [UUID: String]

    static func of(_ ids: [UUID], on db: any Database) async throws -> DiscussionNames {
        guard !ids.isEmpty, let sql = db as? any SQLDatabase else { return DiscussionNames(names: [:]) }
        // Two columns, not whole accounts: decoding a `User` model for each author was a twentieth of a thread page.
        let rows = try await sql.raw("SELECT id, name FROM \(ident: User.schema) WHERE id IN (\(binds: Array(Set(ids))))").all()
        return DiscussionNames(names: Dictionary(try rows.map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "name", as: String.self)) },
                                                 uniquingKeysWith: { a, _ in a }))
    }

    func name(_ id: UUID?, _ t: Translator) -> String {
        id.flatMap { names[$0] } ?? t("person.former_member")
    }
}

/// A thread, 30 posts a page, each with its quote, reactions and the reader's actions; the reply form
/// at the end. The same queries for 3 posts as for 300.
struct ThreadPage: Encodable, Sendable {
    struct Quote: Encodable, Sendable {
        let author: String
        let excerpt: String
        let url: String
    }

    struct Reaction: Encodable, Sendable {
        let kind: String
        let label: String
        let count: Int
        let mine: Bool
    }

    struct Item: Encodable, Sendable {
        let anchor: String
        let author: String
        let authorURL: String?
        let when: String
        let edited: Bool
        let deleted: Bool
        /// Hidden until reviewed: its text is shown to its author and the moderators only.
        let hidden: Bool
        let html: String
        let quote: Quote?
        let reactions: [Reaction]
        let reactURL: String
        let isAnswer: Bool
        let isNew: Bool
        let quoteURL: String?
        let editURL: String?
        let deleteURL: String?
        let acceptURL: String?
        let reportURL: String?
        /// Write to the author privately (another member's post).
        let messageURL: String?
    }

    let heading: String
    let spaceName: String
    let spaceURL: String
    let tags: [String]
    let status: String?
    let resolved: Bool
    let posts: [Item]
    let pagination: Pagination
    let following: String
    let followURL: String
    let replyForm: [FormModel]
    let quoting: Quote?

    static let perPage = 30

    /// `state`: the reader's state of the thread (read by the handler, which marks the thread read after).
    static func build(_ req: Request, _ reader: DiscussionReader, _ space: Space, _ thread: DiscussionThread, state: ThreadState?,
                      reply values: [String: String], errors: FormErrors) async throws -> ThreadPage {
        let t = req.t
        let threadID = try thread.requireID()
        let total = try await Post.query(on: req.db).filter(\.$thread.$id == threadID).count()
        let requested = req.query[String.self, at: "page"] == "last" ? Int.max : Pagination.requestedPage(req)
        let lastPage = max(1, (total + perPage - 1) / perPage)
        let pagination = try Pagination(page: min(requested, lastPage), per: perPage, total: total, path: SiteURL.discussionThread(threadID), t: t)
        let posts = try await Post.query(on: req.db).filter(\.$thread.$id == threadID).sort(\.$createdAt).sort(\.$id)
            .range(((pagination.page - 1) * perPage)..<(pagination.page * perPage)).all()
        let quoteIDs = Array(Set(posts.compactMap(\.quoteID) + (UUID(uuidString: values["quote"] ?? "").map { [$0] } ?? [])))
        let quoted = Dictionary(try await (quoteIDs.isEmpty ? [] : Post.query(on: req.db).filter(\.$id ~~ quoteIDs).filter(\.$thread.$id == threadID).all())
            .map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        let names = try await DiscussionNames.of(posts.compactMap(\.$author.id) + quoted.values.compactMap(\.$author.id), on: req.db)
        let mentioned = try await Mentions.members(Array(Set(posts.flatMap { Mentions.handles(in: $0.body) })), on: req.db)
        let mentionPaths = mentioned.compactMapValues { $0.id.map(SiteURL.member) }
        let postIDs = posts.compactMap(\.id)
        var counts: [UUID: [PostReaction.Kind: Int]] = [:]
        var mine: Set<String> = []
        if let sql = req.db as? any SQLDatabase, !postIDs.isEmpty {
            for row in try await sql.raw("""
                SELECT post_id, kind, COUNT(*) AS total, SUM(CASE WHEN user_id = \(bind: reader.userID) THEN 1 ELSE 0 END) AS mine
                FROM \(ident: PostReaction.schema) WHERE post_id IN (\(binds: postIDs)) GROUP BY post_id, kind
                """).all() {
                let postID = try row.decode(column: "post_id", as: UUID.self)
                guard let kind = PostReaction.Kind(rawValue: try row.decode(column: "kind", as: String.self)) else { continue }
                counts[postID, default: [:]][kind] = try row.decode(column: "total", as: Int.self)
                if try row.decode(column: "mine", as: Int.self) > 0 { mine.insert("\(postID)/\(kind.rawValue)") }
            }
        }
        let firstPostID = pagination.page == 1 ? posts.first?.id : nil
        let isAuthor = thread.$author.id == reader.userID
        func quote(_ id: UUID?) -> Quote? {
            guard let id, let post = quoted[id] else { return nil }
            let excerpt = post.deletedAt != nil ? t("discussion.deleted") : (post.hiddenAt != nil ? t("moderation.hidden") : PostText.excerpt(post.body, length: 200))
            return Quote(author: names.name(post.$author.id, t), excerpt: excerpt,
                         url: SiteURL.discussionPost(id))
        }
        let items = posts.map { post -> Item in
            let id = post.id ?? UUID()
            let own = post.$author.id == reader.userID && post.deletedAt == nil
            let hidden = post.hiddenAt != nil && post.deletedAt == nil
            let showsText = post.deletedAt == nil && (!hidden || post.$author.id == reader.userID || reader.mayModerate(space))
            return Item(
                anchor: "post-\(id.uuidString)", author: names.name(post.$author.id, t), authorURL: post.$author.id.map(SiteURL.member),
                when: DateFormatting.dateTime(post.createdAt, req.locale), edited: post.editedAt != nil && post.deletedAt == nil, deleted: post.deletedAt != nil,
                hidden: hidden, html: showsText ? PostText.html(post.body, mentions: mentionPaths) : "", quote: quote(post.quoteID),
                reactions: PostReaction.Kind.allCases.map { kind in
                    .init(kind: kind.rawValue, label: t("discussion.reaction.\(kind.rawValue)"), count: counts[id]?[kind] ?? 0, mine: mine.contains("\(id)/\(kind.rawValue)"))
                },
                reactURL: SiteURL.discussionPostAction(id, "react"), isAnswer: thread.answerPostID == id,
                isNew: state?.lastReadAt.map { post.createdAt > $0 } ?? false,
                quoteURL: post.deletedAt == nil ? SiteURL.discussionThread(threadID) + "?page=last&quote=\(id.uuidString)#reply" : nil,
                editURL: own ? SiteURL.discussionPostAction(id, "edit") : nil,
                deleteURL: own || reader.mayModerate(space) && post.deletedAt == nil ? SiteURL.discussionPostAction(id, "delete") : nil,
                acceptURL: isAuthor && thread.isHelpRequest && id != firstPostID && post.deletedAt == nil && thread.answerPostID != id
                    ? SiteURL.discussionPostAction(id, "accept") : nil,
                reportURL: post.$author.id != reader.userID && post.deletedAt == nil && !hidden ? SiteURL.discussionPostAction(id, "report") : nil,
                messageURL: post.$author.id.flatMap { $0 == reader.userID ? nil : SiteURL.writeTo($0) })
        }
        let quoting = quote(UUID(uuidString: values["quote"] ?? ""))
        let form = FormModel(id: "reply", action: SiteURL.discussionReply(threadID), submitLabel: t("discussion.reply"), fields: [
            .init(name: "body", label: t("discussion.field.reply"), type: "textarea", value: values["body"] ?? "", error: errors["body"].map { t($0) },
                  hint: t("discussion.field.body_hint")),
        ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"), hidden: quoting == nil ? [] : [.init(name: "quote", value: values["quote"] ?? "")])
        let tags = try await ThreadTag.query(on: req.db).filter(\.$thread.$id == threadID).sort(\.$label).all(\.$label)
        return ThreadPage(
            heading: thread.title, spaceName: space.name, spaceURL: SiteURL.discussionSpace(space.slug), tags: tags,
            status: thread.isHelpRequest ? t(thread.isResolved ? "discussion.help.resolved" : "discussion.help.open") : nil, resolved: thread.isResolved,
            posts: items, pagination: pagination,
            following: t(state?.following == .following ? "discussion.following" : (state?.following == .muted ? "discussion.muted" : "discussion.not_following")),
            followURL: SiteURL.discussionFollow(threadID), replyForm: [form], quoting: quoting)
    }
}

/// `/discussions/search`: posts matching every word, accent-insensitive, in the spaces the member
/// takes part in, optionally one space and a help-request status; 20 a page.
struct SearchPage: Encodable, Sendable {
    struct Hit: Encodable, Sendable {
        let title: String
        let url: String
        let space: String
        let excerpt: String
        let when: String
    }

    let heading: String
    let form: [FormModel]
    let summary: String?
    let hits: [Hit]
    let pagination: Pagination?

    static let perPage = 20

    static func build(_ req: Request, _ reader: DiscussionReader) async throws -> SearchPage {
        let t = req.t
        let spaces = try await Space.query(on: req.db).sort(\.$name).all().filter(reader.mayTakePart)
        let query = req.queryText("q") ?? ""
        let chosenSpace = req.query[String.self, at: "space"].flatMap { slug in spaces.first { $0.slug == slug } }
        let status = req.query[String.self, at: "status"].flatMap(PostSearch.Status.init(rawValue:)) ?? .any
        let form = FormModel(id: "search", action: SiteURL.discussionSearch, submitLabel: t("discussion.search"), method: "get", fields: [
            .init(name: "q", label: t("discussion.search_label"), type: "search", value: query, required: false),
            .init(name: "space", label: t("discussion.search_space"), type: "select", value: chosenSpace?.slug ?? "", required: false,
                  options: [.init(value: "", label: t("discussion.search_all_spaces"), selected: chosenSpace == nil)]
                    + spaces.map { .init(value: $0.slug, label: $0.name, selected: $0.id == chosenSpace?.id) }),
            .init(name: "status", label: t("discussion.search_status"), type: "select", value: status.rawValue, required: false,
                  options: PostSearch.Status.allCases.map { .init(value: $0.rawValue, label: t("discussion.search_status.\($0.rawValue)"), selected: $0 == status) }),
        ])
        let terms = DirectoryIndexes.terms(query)
        guard !terms.isEmpty else { return SearchPage(heading: t("discussion.search_heading"), form: [form], summary: nil, hits: [], pagination: nil) }
        let scope = chosenSpace.flatMap(\.id).map { [$0] } ?? spaces.compactMap(\.id)
        let page = Pagination.requestedPage(req)
        let (hits, total) = try await PostSearch.search(terms, spaces: scope, status: status, offset: (page - 1) * perPage, limit: perPage, on: req.db)
        var path = SiteURL.discussionSearch + "?q=" + (query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        if let chosenSpace { path += "&space=\(chosenSpace.slug)" }
        if status != .any { path += "&status=\(status.rawValue)" }
        let pagination = try Pagination(page: page, per: perPage, total: total, path: path, t: t)
        let names = Dictionary(spaces.map { ($0.id ?? UUID(), $0.name) }, uniquingKeysWith: { a, _ in a })
        let summary = total >= PostSearch.window ? t("discussion.search_results_many", String(PostSearch.window)) : t.count("discussion.search_results", total)
        return SearchPage(heading: t("discussion.search_heading"), form: [form], summary: summary,
                          hits: hits.map { .init(title: $0.title, url: SiteURL.discussionPost($0.postID), space: names[$0.spaceID] ?? "",
                                                 excerpt: PostText.excerpt($0.body, length: 240), when: DateFormatting.date($0.createdAt, req.locale)) },
                          pagination: pagination)
    }
}
