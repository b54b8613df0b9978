import Fluent
import Foundation
import Vapor

/// A place to talk: one per chapter (its members belong to it, its ambassadors moderate it), and
/// theme spaces admins create (pricing, tools, legal…), which any member may join. Members only.
public final class Space: Model, @unchecked Sendable {
    public static let schema = "spaces"

    @ID(key: .id) public var id: UUID?
    @Field(key: "slug") public var slug: String
    @Field(key: "name") public var name: String
    @Field(key: "description") public var description: String
    /// Set for a chapter's space; nil for a theme space.
    @OptionalParent(key: "chapter_id") public var chapter: Chapter?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    var isTheme: Bool { $chapter.id == nil }

    /// A slug no other space has, from `name` (never one of the discussions' own paths).
    static func freeSlug(_ name: String, on db: any Database) async throws -> String {
        let base = Slug.make(name).isEmpty ? "espace" : Slug.make(name)
        var slug = ["threads", "posts", "search"].contains(base) ? base + "-2" : base
        var suffix = 2
        while try await Space.query(on: db).filter(\.$slug == slug).count() > 0 {
            slug = "\(base)-\(suffix)"
            suffix += 1
        }
        return slug
    }

    /// Every chapter gets its space when it is created, wherever that happens (admin, import, seed).
    struct ForEveryChapter: AsyncModelMiddleware {
        func create(model: Chapter, on db: any Database, next: any AnyAsyncModelResponder) async throws {
            try await next.create(model, on: db)
            let space = Space()
            space.slug = try await Space.freeSlug(model.slug, on: db)
            space.name = model.name
            space.description = ""
            space.$chapter.id = try model.requireID()
            space.createdAt = model.createdAt ?? Date()
            try await space.create(on: db)
        }
    }
}

/// A member's relation to a space: joined (theme spaces; a chapter's space is its members' by
/// right) and muted (no notifications, not in the digest).
public final class SpaceMember: Model, @unchecked Sendable {
    public static let schema = "space_members"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "space_id") public var space: Space
    @Parent(key: "user_id") public var user: User
    @Field(key: "joined") public var joined: Bool
    @Field(key: "muted") public var muted: Bool

    public init() {}
}

/// A conversation in a space: its first post is the question or the subject. A help request is
/// open until its author marks one reply as the answer.
public final class DiscussionThread: Model, @unchecked Sendable {
    public static let schema = "threads"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "space_id") public var space: Space
    /// Nil once the author's account is erased: the thread stays, by a former member.
    @OptionalParent(key: "author_id") public var author: User?
    @Field(key: "title") public var title: String
    @Field(key: "is_help") public var isHelpRequest: Bool
    /// The reply the author marked as the answer: one at most, by construction.
    @OptionalField(key: "answer_post_id") public var answerPostID: UUID?
    /// Replies, the first post aside; kept with each post under the thread's row lock.
    @Field(key: "reply_count") public var replyCount: Int
    @Field(key: "last_post_at") public var lastPostAt: Date
    @Field(key: "created_at") public var createdAt: Date
    /// When an unanswered help request was brought to the ambassadors and the members who can help: once.
    @OptionalField(key: "escalated_at") public var escalatedAt: Date?

    public init() {}

    var isResolved: Bool { answerPostID != nil }
}

/// A skill a thread is about (from the profiles' taxonomy): a help request reaches those who have it.
public final class ThreadTag: Model, @unchecked Sendable {
    public static let schema = "thread_tags"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "thread_id") public var thread: DiscussionThread
    @Field(key: "slug") public var slug: String
    @Field(key: "label") public var label: String

    public init() {}
}

/// One message in a thread. Deleting keeps the row, its text gone, so replies that quote it still read.
public final class Post: Model, @unchecked Sendable {
    public static let schema = "posts"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "thread_id") public var thread: DiscussionThread
    @OptionalParent(key: "author_id") public var author: User?
    @Field(key: "body") public var body: String
    /// The post this one quotes, if any.
    @OptionalField(key: "quote_id") public var quoteID: UUID?
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "edited_at") public var editedAt: Date?
    @OptionalField(key: "deleted_at") public var deletedAt: Date?
    /// Hidden until a moderator reviews it (reported by two members, or by a moderator of its space).
    @OptionalField(key: "hidden_at") public var hiddenAt: Date?

    public init() {}
}

/// A reaction: one of a few kinds, one of each kind per member and post (a unique index).
public final class PostReaction: Model, @unchecked Sendable {
    public static let schema = "post_reactions"

    public enum Kind: String, Codable, Sendable, CaseIterable { case thanks, agree, helpful, celebrate }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "post_id") public var post: Post
    @Parent(key: "user_id") public var user: User
    @Field(key: "kind") public var kind: Kind
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// Where a member stands with a thread: what they last read (for the unread markers) and whether
/// they follow it (told of replies; writing in it follows it) or muted it.
public final class ThreadState: Model, @unchecked Sendable {
    public static let schema = "thread_states"

    public enum Following: String, Codable, Sendable { case following, muted }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "thread_id") public var thread: DiscussionThread
    @Parent(key: "user_id") public var user: User
    @OptionalField(key: "last_read_at") public var lastReadAt: Date?
    @OptionalField(key: "following") public var following: Following?

    public init() {}

    /// A member's state of a thread, if they have one yet.
    static func of(thread: UUID, user: UUID, on db: any Database) async throws -> ThreadState? {
        try await query(on: db).filter(\.$thread.$id == thread).filter(\.$user.$id == user).first()
    }
}
