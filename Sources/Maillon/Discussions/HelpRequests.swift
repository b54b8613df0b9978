import Fluent
import Foundation
import SQLKit
import Vapor

/// Hourly: a help request nobody has answered 48 hours after it was asked is brought, once, to its
/// chapter's ambassadors and to the members whose skills match its tags (in their notifications, and
/// their digest unless they chose otherwise). The claim on `escalated_at` makes it once across instances.
struct HelpRequestsJob: Job {
    static let kind = "help-requests"
    static let wait: TimeInterval = 48 * 3600
    /// At most this many members with the skills are told, the most recently active first.
    static let helpers = 20

    func run(_ context: JobContext) async throws {
        let now = context.now
        let due = try await DiscussionThread.query(on: context.db).filter(\.$isHelpRequest == true).filter(\.$escalatedAt == nil)
            .filter(\.$answerPostID == nil).filter(\.$replyCount == 0).filter(\.$createdAt <= now.addingTimeInterval(-Self.wait)).limit(200).all()
        for thread in due {
            try await context.db.transaction { db in
                let claimed = try await (db as! any SQLDatabase).raw("""
                    UPDATE \(ident: DiscussionThread.schema) SET escalated_at = \(bind: now) WHERE id = \(bind: thread.requireID()) AND escalated_at IS NULL RETURNING id
                    """).first()
                guard claimed != nil, let space = try await Space.find(thread.$space.id, on: db) else { return }
                let recipients = try await Self.recipients(of: thread, in: space, on: db)
                let notifier = Notifier(application: context.application, database: db, now: now)
                for user in recipients {
                    try await notifier.notify(user, .init(kind: .helpRequest, textKey: "notify.help_request", arguments: [thread.title, space.name],
                                                          link: SiteURL.discussionThread(try thread.requireID())))
                }
            }
        }
    }

    /// The chapter's ambassadors, and members who can read the space and have one of its tags; never its author.
    static func recipients(of thread: DiscussionThread, in space: Space, on db: any Database) async throws -> [User] {
        var ids: [UUID] = []
        if let chapter = space.$chapter.id {
            ids += try await Ambassadorship.query(on: db).filter(\.$chapter.$id == chapter).all().map { $0.$user.id }
        }
        let tags = try await ThreadTag.query(on: db).filter(\.$thread.$id == thread.requireID()).all(\.$slug)
        if !tags.isEmpty {
            var holders = ProfileSkill.query(on: db).filter(\.$slug ~~ tags).join(Profile.self, on: \ProfileSkill.$user.$id == \Profile.$user.$id)
            // A chapter's space is its members' only.
            if let chapter = space.$chapter.id { holders = holders.filter(Profile.self, \.$homeChapter.$id == chapter) }
            ids += try await holders.sort(Profile.self, \.$updatedAt, .descending).limit(helpers * 3).all().map { $0.$user.id }
        }
        var seen = Set<UUID>()
        let unique = ids.filter { $0 != thread.$author.id && seen.insert($0).inserted }
        let muted = Set(try await SpaceMember.query(on: db).filter(\.$space.$id == space.requireID()).filter(\.$muted == true)
            .filter(\.$user.$id ~~ unique).all().map { $0.$user.id })
        let users = try await User.query(on: db).filter(\.$id ~~ unique.filter { !muted.contains($0) }).filter(\.$role ~~ [.member, .admin]).all()
        let order = Dictionary(unique.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return Array(users.sorted { (order[$0.id ?? UUID()] ?? 0) < (order[$1.id ?? UUID()] ?? 0) }.prefix(helpers + 10))
    }
}

/// The digest's "discussions you missed": threads in one's spaces with activity this week that one
/// has not read (muted spaces and threads left out).
struct MissedDiscussionsSection: DigestSection {
    let titleKey = "digest.discussions_missed"

    func lines(for user: User, since: Date, context: JobContext, t: Translator) async throws -> [String] {
        let spaces = try await DigestSpaces.of(user, on: context.db)
        guard !spaces.isEmpty else { return [] }
        let threads = try await DiscussionThread.query(on: context.db).filter(\.$space.$id ~~ spaces).filter(\.$lastPostAt >= since)
            .filter(\.$author.$id != user.requireID()).sort(\.$lastPostAt, .descending).limit(30).all()
        let states = Dictionary(try await ThreadState.query(on: context.db).filter(\.$user.$id == user.requireID()).filter(\.$thread.$id ~~ threads.compactMap(\.id)).all()
            .map { ($0.$thread.id, $0) }, uniquingKeysWith: { a, _ in a })
        return threads.filter { thread in
            let state = states[thread.id ?? UUID()]
            return state?.following != .muted && (state?.lastReadAt.map { thread.lastPostAt > $0 } ?? true)
        }.prefix(5).map { t("digest.discussion_line", $0.title, t.count("discussion.reply_count", $0.replyCount)) }
    }
}

/// The digest's "help requests you could answer": open requests in one's spaces tagged with one's skills.
struct HelpYouCouldGiveSection: DigestSection {
    let titleKey = "digest.help_you_could_give"

    func lines(for user: User, since: Date, context: JobContext, t: Translator) async throws -> [String] {
        let userID = try user.requireID()
        let skills = try await ProfileSkill.query(on: context.db).filter(\.$user.$id == userID).all(\.$slug)
        let spaces = try await DigestSpaces.of(user, on: context.db)
        guard !skills.isEmpty, !spaces.isEmpty else { return [] }
        let threads = try await DiscussionThread.query(on: context.db).filter(\.$space.$id ~~ spaces).filter(\.$isHelpRequest == true)
            .filter(\.$answerPostID == nil).filter(\.$author.$id != userID).filter(\.$createdAt >= since.addingTimeInterval(-21 * 86400))
            .join(ThreadTag.self, on: \DiscussionThread.$id == \ThreadTag.$thread.$id).filter(ThreadTag.self, \.$slug ~~ skills)
            .sort(\.$createdAt, .descending).limit(20).all()
        var seen = Set<UUID>()
        return threads.filter { seen.insert($0.id ?? UUID()).inserted }.prefix(5).map { t("digest.help_line", $0.title, t.count("discussion.reply_count", $0.replyCount)) }
    }
}

/// The spaces a member takes part in and has not muted: their chapter's, the theme spaces they joined.
enum DigestSpaces {
    static func of(_ user: User, on db: any Database) async throws -> [UUID] {
        let userID = try user.requireID()
        let memberships = try await SpaceMember.query(on: db).filter(\.$user.$id == userID).all()
        let muted = Set(memberships.filter(\.muted).map { $0.$space.id })
        var spaces = memberships.filter { $0.joined && !$0.muted }.map { $0.$space.id }
        if let chapter = try await Profile.query(on: db).filter(\.$user.$id == userID).first()?.$homeChapter.id,
           let space = try await Space.query(on: db).filter(\.$chapter.$id == chapter).first()?.id, !muted.contains(space) {
            spaces.append(space)
        }
        return spaces
    }
}
