import Fluent
import Foundation
import Vapor

/// `@handle` in a post: a link to the member's profile, and a notification to them when they can read
/// the space. At most `limit` people a post, so a message cannot page the whole community.
enum Mentions {
    static let limit = 10

    /// The handles written in `text`, in order, once each (`@` at the start or after a space or punctuation).
    static func handles(in text: String) -> [String] {
        var seen = Set<String>()
        return text.matches(of: /(?:^|[\s(\[,;:!?"'«])@([a-z0-9][a-z0-9-]{1,60}[a-z0-9])/).map { String($0.output.1) }
            .filter { seen.insert($0).inserted }.prefix(limit).map { $0 }
    }

    /// Members with those handles: handle → user.
    static func members(_ handles: [String], on db: any Database) async throws -> [String: User] {
        guard !handles.isEmpty else { return [:] }
        let users = try await User.query(on: db).filter(\.$handle ~~ handles).filter(\.$role ~~ [.member, .admin]).all()
        return Dictionary(users.compactMap { user in user.handle.map { ($0, user) } }, uniquingKeysWith: { a, _ in a })
    }

    /// Tells the members mentioned in `post` who can read `space` (not its author).
    static func notify(in post: Post, thread: DiscussionThread, space: Space, by author: User, application: Application, on db: any Database, now: Date) async throws {
        let mentioned = try await members(handles(in: post.body), on: db).values.filter { $0.id != author.id }
        guard !mentioned.isEmpty else { return }
        let homes = Dictionary(try await Profile.query(on: db).filter(\.$user.$id ~~ mentioned.compactMap(\.id)).all().map { ($0.$user.id, $0.$homeChapter.id) },
                               uniquingKeysWith: { a, _ in a })
        let notifier = Notifier(application: application, database: db, now: now)
        for user in mentioned {
            let userID = try user.requireID()
            let ambassadorOf = Set(try await Ambassadorship.query(on: db).filter(\.$user.$id == userID).all().map { $0.$chapter.id })
            let principal = Principal(userID: userID, role: user.role, ambassadorOf: ambassadorOf)
            guard AccessPolicy.allows(principal, .takePartInSpace(chapter: space.$chapter.id, homeChapter: homes[userID] ?? nil)) else { continue }
            try await notifier.notify(user, .init(kind: .discussionMention, textKey: "notify.discussion_mention", arguments: [author.name, thread.title],
                                                  link: SiteURL.discussionPost(try post.requireID()),
                                                  mailParagraphs: [PostText.excerpt(post.body, length: 400)], subject: author.id))
        }
    }
}
