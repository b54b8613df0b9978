import Fluent
import Foundation
import Vapor

/// A member's report of a post: one per member and post.
public final class PostReport: Model, @unchecked Sendable {
    public static let schema = "post_reports"

    public enum Reason: String, Codable, Sendable, CaseIterable { case spam, inappropriate, offTopic = "off_topic", other }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "post_id") public var post: Post
    @OptionalParent(key: "reporter_id") public var reporter: User?
    @Field(key: "reason") public var reason: Reason
    @Field(key: "created_at") public var createdAt: Date
    /// When a moderator dealt with the post (restored or deleted it).
    @OptionalField(key: "closed_at") public var closedAt: Date?

    public init() {}
}

/// A member's report of a direct message, for the admins (a conversation has no space to moderate it).
public final class MessageReport: Model, @unchecked Sendable {
    public static let schema = "message_reports"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "message_id") public var message: DirectMessage
    @OptionalParent(key: "reporter_id") public var reporter: User?
    @Field(key: "reason") public var reason: PostReport.Reason
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "closed_at") public var closedAt: Date?

    public init() {}
}

/// A member suspended until a date: they read, but neither write nor register.
public final class Suspension: Model, @unchecked Sendable {
    public static let schema = "suspensions"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Field(key: "until") public var until: Date
    @Field(key: "reason") public var reason: String
    @OptionalParent(key: "by_id") public var by: User?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

extension Request {
    /// Until when the signed-in person is suspended, if they are (read with their account: no query).
    var suspendedUntil: Date? { sessionContext.suspendedUntil }

    /// The page a suspended member gets instead of writing, or nil when they may write.
    func refusalIfSuspended() async throws -> Response? {
        guard let until = suspendedUntil else { return nil }
        let t = self.t
        return try await renderPage("message", title: t("moderation.suspended_heading"), MessagePage(
            heading: t("moderation.suspended_heading"), paragraphs: [t("moderation.suspended_body", DateFormatting.dateTime(until, locale))]), status: .forbidden)
    }
}

/// The report form, for a post or a direct message: a reason from the list.
enum ReportForm {
    static func model(_ t: Translator, action: String, values: [String: String], errors: FormErrors) -> FormModel {
        let chosen = values["reason"] ?? ""
        return FormModel(id: "report", action: action, submitLabel: t("moderation.report_submit"), fields: [
            .init(name: "reason", label: t("moderation.field.reason"), type: "select", value: chosen, error: errors["reason"].map { t($0) },
                  options: [.init(value: "", label: t("form.choose"), selected: chosen.isEmpty)]
                    + PostReport.Reason.allCases.map { .init(value: $0.rawValue, label: t("moderation.reason.\($0.rawValue)"), selected: $0.rawValue == chosen) }),
        ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
    }
}

/// One line of the moderation log: who did what, to which post or member, why, when. Append-only:
/// nothing in Maillon updates or deletes these rows (erasure only lets go of the people in them).
public final class ModerationEntry: Model, @unchecked Sendable {
    public static let schema = "moderation_log"

    public enum Action: String, Codable, Sendable, CaseIterable { case hide, restore, delete, warn, suspend, lift }

    @ID(key: .id) public var id: UUID?
    /// Nil when the rule acted (a post hidden by two reports), or once the moderator's account is erased.
    @OptionalParent(key: "actor_id") public var actor: User?
    @Field(key: "action") public var action: Action
    @OptionalParent(key: "post_id") public var post: Post?
    @OptionalParent(key: "member_id") public var member: User?
    @OptionalParent(key: "space_id") public var space: Space?
    @Field(key: "reason") public var reason: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// The rules of moderation, as plain Swift over a database (callers pass a transaction).
struct Moderating {
    let application: Application
    let database: any Database
    let now: Date

    /// Reports from this many different members hide a post until it is reviewed.
    static let reportsToHide = 2

    /// What a moderator decides about a reported post or message (lifting a suspension is not one).
    enum Action: String, CaseIterable, Sendable { case hide, restore, delete, warn, suspend }

    enum Refusal: Error, Equatable {
        case alreadyReported, ownPost
        var key: String {
            switch self {
            case .alreadyReported: "moderation.refused.already_reported"
            case .ownPost: "moderation.refused.own_post"
            }
        }
    }

    /// A member reports a post. Two different members' reports, or one from a moderator of its space,
    /// hide it until reviewed, and its author is told. Returns whether the post is now hidden.
    @discardableResult
    func report(_ post: Post, in space: Space, by reporter: User, reason: PostReport.Reason, reporterModerates: Bool) async throws -> Bool {
        let postID = try post.requireID()
        guard post.$author.id != reporter.id else { throw Refusal.ownPost }
        try await database.lockRow(of: Post.schema, id: postID, touching: "hidden_at")
        guard try await PostReport.query(on: database).filter(\.$post.$id == postID).filter(\.$reporter.$id == reporter.requireID()).count() == 0 else {
            throw Refusal.alreadyReported
        }
        let report = PostReport()
        report.$post.id = postID
        report.$reporter.id = try reporter.requireID()
        report.reason = reason
        report.createdAt = now
        try await report.create(on: database)
        guard let locked = try await Post.find(postID, on: database) else { return false }
        guard locked.hiddenAt == nil, locked.deletedAt == nil else { return locked.hiddenAt != nil }
        let open = try await PostReport.query(on: database).filter(\.$post.$id == postID).filter(\.$closedAt == nil).count()
        guard open >= Self.reportsToHide || reporterModerates else { return false }
        locked.hiddenAt = now
        try await locked.update(on: database)
        // No reason typed: the log says which rule hid it (a moderator's report, or members' reports).
        try await log(.hide, by: reporterModerates ? reporter : nil, post: locked, member: locked.$author.id, space: space, reason: "")
        try await tell(locked.$author.id, "notify.moderation.hidden", [try await title(of: locked)], link: SiteURL.discussionPost(postID))
        return true
    }

    /// A member of the conversation reports a message written by someone else in it.
    func report(_ message: DirectMessage, by reporter: User, reason: PostReport.Reason) async throws {
        try await database.lockRow(of: Conversation.schema, id: message.$conversation.id, touching: "last_message_at")
        guard message.$author.id != reporter.id else { throw Refusal.ownPost }
        guard try await MessageReport.query(on: database).filter(\.$message.$id == message.requireID()).filter(\.$reporter.$id == reporter.requireID()).count() == 0
        else { throw Refusal.alreadyReported }
        let report = MessageReport()
        report.$message.id = try message.requireID()
        report.$reporter.id = try reporter.requireID()
        report.reason = reason
        report.createdAt = now
        try await report.create(on: database)
    }

    /// An admin's decision on a reported message: dismissed, deleted, its author warned or suspended.
    func decide(_ message: DirectMessage, action: Action, days: Int?, by moderator: User, reason: String) async throws {
        let authorID = message.$author.id
        try await MessageReport.query(on: database).filter(\.$message.$id == message.requireID()).filter(\.$closedAt == nil).set(\.$closedAt, to: now).update()
        switch action {
        case .delete:
            try await message.delete(on: database)
            try await log(.delete, by: moderator, post: nil, member: authorID, space: nil, reason: reason)
            try await tell(authorID, "notify.moderation.message_deleted", [reason], link: nil)
        case .warn: try await warn(authorID, about: nil, in: nil, by: moderator, reason: reason)
        case .suspend: try await suspend(authorID, days: days ?? 7, about: nil, in: nil, by: moderator, reason: reason)
        // A message is not hidden: keeping it is dismissing the reports.
        case .restore, .hide: try await log(.restore, by: moderator, post: nil, member: authorID, space: nil, reason: reason)
        }
    }

    /// A moderator hides a post until they decide (with a reason its author reads).
    func hide(_ post: Post, in space: Space, by moderator: User, reason: String) async throws {
        guard post.hiddenAt == nil, post.deletedAt == nil else { return }
        post.hiddenAt = now
        try await post.update(on: database)
        try await log(.hide, by: moderator, post: post, member: post.$author.id, space: space, reason: reason)
        try await tell(post.$author.id, "notify.moderation.hidden", [try await title(of: post)], link: SiteURL.discussionPost(post.requireID()))
    }

    /// Shown again; its reports are closed.
    func restore(_ post: Post, in space: Space, by moderator: User, reason: String) async throws {
        post.hiddenAt = nil
        try await post.update(on: database)
        try await closeReports(post)
        try await log(.restore, by: moderator, post: post, member: post.$author.id, space: space, reason: reason)
    }

    /// Deleted as its author would ("message deleted" stays); its reports are closed; the author is told why.
    func remove(_ post: Post, in space: Space, by moderator: User, reason: String) async throws {
        try await database.lockRow(of: Post.schema, id: post.requireID(), touching: "hidden_at")
        let title = try await title(of: post)
        try await Discussing(application: application, database: database, now: now).delete(post, by: moderator, moderating: true)
        try await closeReports(post)
        try await log(.delete, by: moderator, post: post, member: post.$author.id, space: space, reason: reason)
        try await tell(post.$author.id, "notify.moderation.deleted", [title, reason], link: nil)
    }

    /// A word to the member, about a post or not.
    func warn(_ memberID: UUID, about post: Post?, in space: Space?, by moderator: User, reason: String) async throws {
        try await log(.warn, by: moderator, post: post, member: memberID, space: space, reason: reason)
        try await tell(memberID, "notify.moderation.warned", [reason], link: post.flatMap { $0.id.map(SiteURL.discussionPost) })
    }

    /// The member reads but neither writes nor registers until `days` from now.
    func suspend(_ memberID: UUID, days: Int, about post: Post?, in space: Space?, by moderator: User, reason: String) async throws {
        let suspension = Suspension()
        suspension.$user.id = memberID
        suspension.until = now.addingTimeInterval(TimeInterval(days) * 86400)
        suspension.reason = reason
        suspension.$by.id = moderator.id
        suspension.createdAt = now
        try await suspension.create(on: database)
        try await log(.suspend, by: moderator, post: post, member: memberID, space: space, reason: reason)
        let locale = try await User.find(memberID, on: database)?.locale ?? .fr
        try await tell(memberID, "notify.moderation.suspended", [DateFormatting.date(suspension.until, locale), reason], link: nil)
    }

    /// Ends a suspension now rather than at its date (a mistake, or an apology accepted): the member may
    /// write again at once, and is told why.
    func lift(_ suspension: Suspension, by moderator: User, reason: String) async throws {
        // Over a second ago rather than "now": a date read back from the database may come back a hair
        // later than it was written, and would still count as running at this very instant.
        suspension.until = now.addingTimeInterval(-1)
        try await suspension.update(on: database)
        try await log(.lift, by: moderator, post: nil, member: suspension.$user.id, space: nil, reason: reason)
        try await tell(suspension.$user.id, "notify.moderation.lifted", [reason], link: nil)
    }

    private func closeReports(_ post: Post) async throws {
        try await PostReport.query(on: database).filter(\.$post.$id == post.requireID()).filter(\.$closedAt == nil).set(\.$closedAt, to: now).update()
    }

    private func title(of post: Post) async throws -> String {
        try await DiscussionThread.find(post.$thread.id, on: database)?.title ?? ""
    }

    private func log(_ action: ModerationEntry.Action, by actor: User?, post: Post?, member: UUID?, space: Space?, reason: String) async throws {
        let entry = ModerationEntry()
        entry.$actor.id = actor?.id
        entry.action = action
        entry.$post.id = post?.id
        entry.$member.id = member
        entry.$space.id = space?.id
        entry.reason = reason
        entry.createdAt = now
        try await entry.create(on: database)
    }

    private func tell(_ userID: UUID?, _ key: String, _ arguments: [String], link: String?) async throws {
        guard let userID, let user = try await User.find(userID, on: database) else { return }
        try await Notifier(application: application, database: database, now: now).notify(user, .init(kind: .moderation, textKey: key, arguments: arguments, link: link))
    }
}
