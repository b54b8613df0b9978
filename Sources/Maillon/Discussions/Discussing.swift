import Fluent
import Foundation
import Vapor

/// The rules of talking in spaces, as plain Swift over a database: starting a thread, replying,
/// editing and deleting one's posts, reacting, accepting an answer, following and reading.
/// Callers pass a transaction; each step that changes a thread's counts locks its row first.
struct Discussing {
    let application: Application
    let database: any Database
    let now: Date

    enum Refusal: Error, Equatable {
        case notYours, deleted, notAHelpRequest, notAReply, notInThread
        var key: String {
            switch self {
            case .notYours: "discussion.refused.not_yours"
            case .deleted: "discussion.refused.deleted"
            case .notAHelpRequest: "discussion.refused.not_help"
            case .notAReply: "discussion.refused.not_reply"
            case .notInThread: "discussion.refused.not_in_thread"
            }
        }
    }

    /// A new thread with its first post; its author follows it.
    func start(in space: Space, by author: User, title: String, body: String, isHelpRequest: Bool,
               tags: [(slug: String, label: String)] = []) async throws -> DiscussionThread {
        let thread = DiscussionThread()
        thread.$space.id = try space.requireID()
        thread.$author.id = try author.requireID()
        thread.title = title
        thread.isHelpRequest = isHelpRequest
        thread.replyCount = 0
        thread.lastPostAt = now
        thread.createdAt = now
        try await thread.create(on: database)
        for tag in tags {
            let row = ThreadTag()
            row.$thread.id = try thread.requireID()
            row.slug = tag.slug
            row.label = tag.label
            try await row.create(on: database)
        }
        let post = Post()
        post.$thread.id = try thread.requireID()
        post.$author.id = try author.requireID()
        post.body = body
        post.createdAt = now
        try await post.create(on: database)
        try await PostSearch.index(post, on: database)
        try await state(thread.requireID(), author.requireID()) { $0.following = .following; $0.lastReadAt = now }
        try await Mentions.notify(in: post, thread: thread, space: space, by: author, application: application, on: database, now: now)
        return thread
    }

    /// A reply, perhaps quoting a post of the same thread. The thread's row is locked first, so its
    /// count matches its posts whatever runs at the same time. Its followers are told, and its author
    /// now follows it (unless they muted it).
    func reply(to thread: DiscussionThread, by author: User, body: String, quoting quoteID: UUID?) async throws -> Post {
        let threadID = try thread.requireID()
        try await database.lockRow(of: DiscussionThread.schema, id: threadID, touching: "reply_count")
        if let quoteID {
            guard try await Post.query(on: database).filter(\.$id == quoteID).filter(\.$thread.$id == threadID).count() > 0 else { throw Refusal.notInThread }
        }
        let post = Post()
        post.$thread.id = threadID
        post.$author.id = try author.requireID()
        post.body = body
        post.quoteID = quoteID
        post.createdAt = now
        try await post.create(on: database)
        try await PostSearch.index(post, on: database)
        let count = try await Post.query(on: database).filter(\.$thread.$id == threadID).count() - 1
        guard let locked = try await DiscussionThread.find(threadID, on: database) else { throw Abort(.notFound) }
        locked.replyCount = count
        locked.lastPostAt = now
        try await locked.update(on: database)
        let authorID = try author.requireID()
        try await state(threadID, authorID) { state in
            if state.following == nil { state.following = .following }
            state.lastReadAt = now
        }
        try await tellFollowers(of: locked, about: post, by: author)
        if let space = try await Space.find(locked.$space.id, on: database) {
            try await Mentions.notify(in: post, thread: locked, space: space, by: author, application: application, on: database, now: now)
        }
        return post
    }

    private func tellFollowers(of thread: DiscussionThread, about post: Post, by author: User) async throws {
        let threadID = try thread.requireID()
        let followers = try await ThreadState.query(on: database).filter(\.$thread.$id == threadID).filter(\.$following == .following)
            .filter(\.$user.$id != author.requireID()).all().map { $0.$user.id }
        guard !followers.isEmpty else { return }
        let mutedSpace = Set(try await SpaceMember.query(on: database).filter(\.$space.$id == thread.$space.id).filter(\.$muted == true)
            .filter(\.$user.$id ~~ followers).all().map { $0.$user.id })
        let notifier = Notifier(application: application, database: database, now: now)
        for user in try await User.query(on: database).filter(\.$id ~~ followers.filter { !mutedSpace.contains($0) }).all() {
            try await notifier.notify(user, .init(kind: .discussionReply, textKey: "notify.discussion_reply", arguments: [author.name, thread.title],
                                                  link: SiteURL.discussionPost(try post.requireID()),
                                                  mailParagraphs: [PostText.excerpt(post.body, length: 400)], subject: author.id))
        }
    }

    /// The author changes their words; the post says it was edited.
    func edit(_ post: Post, by user: User, body: String) async throws {
        guard post.$author.id == user.id else { throw Refusal.notYours }
        guard post.deletedAt == nil else { throw Refusal.deleted }
        post.body = body
        post.editedAt = now
        try await post.update(on: database)
        try await PostSearch.index(post, on: database)
    }

    /// The author (or a moderator) deletes a post: its text goes, "message deleted" stays in its place
    /// so the replies and quotes around it still read.
    func delete(_ post: Post, by user: User, moderating: Bool = false) async throws {
        guard moderating || post.$author.id == user.id else { throw Refusal.notYours }
        guard post.deletedAt == nil else { return }
        post.body = ""
        post.deletedAt = now
        try await post.update(on: database)
        try await PostSearch.remove(post.requireID(), on: database)
        try await PostReaction.query(on: database).filter(\.$post.$id == post.requireID()).delete()
    }

    /// Adds the reaction, or takes it back if it was there: one of each kind per member and post,
    /// held by a unique index when two clicks arrive at once.
    func toggle(_ kind: PostReaction.Kind, on post: Post, by user: User) async throws {
        guard post.deletedAt == nil else { throw Refusal.deleted }
        let postID = try post.requireID(), userID = try user.requireID()
        if let existing = try await PostReaction.query(on: database).filter(\.$post.$id == postID).filter(\.$user.$id == userID).filter(\.$kind == kind).first() {
            try await existing.delete(on: database)
            return
        }
        let reaction = PostReaction()
        reaction.$post.id = postID
        reaction.$user.id = userID
        reaction.kind = kind
        reaction.createdAt = now
        try await reaction.create(on: database)
    }

    /// The author of a help request marks a reply as the answer (or another one instead): one answer
    /// per request, since the thread holds it.
    func accept(_ post: Post, in thread: DiscussionThread, by user: User) async throws {
        guard thread.$author.id == user.id else { throw Refusal.notYours }
        guard thread.isHelpRequest else { throw Refusal.notAHelpRequest }
        guard post.$thread.id == thread.id else { throw Refusal.notInThread }
        guard post.deletedAt == nil else { throw Refusal.deleted }
        let first = try await Post.query(on: database).filter(\.$thread.$id == thread.requireID()).sort(\.$createdAt).sort(\.$id).first()
        guard first?.id != post.id else { throw Refusal.notAReply }
        thread.answerPostID = try post.requireID()
        try await thread.update(on: database)
    }

    func follow(_ thread: DiscussionThread, by user: User, _ following: ThreadState.Following?) async throws {
        try await state(thread.requireID(), user.requireID()) { $0.following = following }
    }

    /// The member has read the thread up to now; `state` is theirs as the page read it. Nothing is
    /// written when they had already read its last post, so reading a thread again costs no write.
    func markRead(_ thread: DiscussionThread, by user: User, state: ThreadState?) async throws {
        if let read = state?.lastReadAt, read >= thread.lastPostAt { return }
        guard let state else { return try await self.state(thread.requireID(), user.requireID()) { $0.lastReadAt = now } }
        state.lastReadAt = now
        try await state.update(on: database)
    }

    /// Join or leave a theme space; mute or unmute any space.
    func setMembership(_ space: Space, for user: User, joined: Bool? = nil, muted: Bool? = nil) async throws {
        let spaceID = try space.requireID(), userID = try user.requireID()
        let row = try await SpaceMember.query(on: database).filter(\.$space.$id == spaceID).filter(\.$user.$id == userID).first() ?? {
            let row = SpaceMember()
            row.$space.id = spaceID
            row.$user.id = userID
            row.joined = false
            row.muted = false
            return row
        }()
        if let joined { row.joined = joined }
        if let muted { row.muted = muted }
        do { try await row.save(on: database) } catch let error as any DatabaseError where error.isConstraintFailure {
            // The same member's other request made the row first: theirs stands.
        }
    }

    /// The member's row for a thread, made if missing, changed by `change`.
    private func state(_ threadID: UUID, _ userID: UUID, _ change: (ThreadState) -> Void) async throws {
        if let existing = try await ThreadState.of(thread: threadID, user: userID, on: database) {
            change(existing)
            try await existing.update(on: database)
            return
        }
        let state = ThreadState()
        state.$thread.id = threadID
        state.$user.id = userID
        change(state)
        try await state.create(on: database)
    }
}
