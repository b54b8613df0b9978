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
        return occurrences(in: Substring(text)).map(\.handle).filter { seen.insert($0).inserted }.prefix(limit).map { $0 }
    }

    /// Each `@handle` in `text`: the range from its `@`, and the handle — lowercase letters, digits and
    /// inner hyphens, 3 to 62 of them, after the start or a space or punctuation. A scan by hand: a
    /// Swift `Regex` here cost a sixth of a thread page's time.
    static func occurrences(in text: Substring) -> [(range: Range<String.Index>, handle: String)] {
        guard text.contains("@") else { return [] }
        let scalars = text.unicodeScalars
        var found: [(range: Range<String.Index>, handle: String)] = []
        var previous: Unicode.Scalar?
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if scalar == "@", previous.map(allowedBefore) ?? true {
                let start = scalars.index(after: index)
                var end = start, count = 0
                while end < scalars.endIndex, count < 62, isHandle(scalars[end]) { end = scalars.index(after: end); count += 1 }
                // The last character is a letter or a digit: trailing hyphens are punctuation.
                while end > start, scalars[scalars.index(before: end)] == "-" { end = scalars.index(before: end); count -= 1 }
                if count >= 3, scalars[start] != "-" {
                    found.append((index..<end, String(scalars[start..<end])))
                    previous = scalars[scalars.index(before: end)]
                    index = end
                    continue
                }
            }
            previous = scalar
            index = scalars.index(after: index)
        }
        return found
    }

    private static func isHandle(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
    }

    private static func allowedBefore(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || "([,;:!?\"'«".unicodeScalars.contains(scalar)
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
