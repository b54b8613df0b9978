import Fluent
import Foundation
import Vapor

/// A private conversation between two and eight members. Nobody sees anybody's address.
public final class Conversation: Model, @unchecked Sendable {
    public static let schema = "conversations"

    @ID(key: .id) public var id: UUID?
    @OptionalParent(key: "created_by") public var createdBy: User?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "last_message_at") public var lastMessageAt: Date

    public init() {}
}

public final class ConversationMember: Model, @unchecked Sendable {
    public static let schema = "conversation_members"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "conversation_id") public var conversation: Conversation
    @Parent(key: "user_id") public var user: User
    @OptionalField(key: "last_read_at") public var lastReadAt: Date?

    public init() {}
}

public final class DirectMessage: Model, @unchecked Sendable {
    public static let schema = "direct_messages"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "conversation_id") public var conversation: Conversation
    /// Erasing the author deletes their messages: their side of the conversations goes with them.
    @Parent(key: "author_id") public var author: User
    @Field(key: "body") public var body: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// A member another member blocked: no messages either way, and the blocked one is not told.
public final class MemberBlock: Model, @unchecked Sendable {
    public static let schema = "member_blocks"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "blocker_id") public var blocker: User
    @Parent(key: "blocked_id") public var blocked: User
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// The rules of direct messages, as plain Swift over a database (callers pass a transaction).
struct Messaging {
    let application: Application
    let database: any Database
    let now: Date

    /// Two to eight people, the writer included.
    static let largestGroup = 8
    /// A member in their first `newMemberDays` days starts at most `newMemberDailyCap` conversations a day.
    static let newMemberDays: TimeInterval = 30
    static let newMemberDailyCap = 5

    enum Refusal: Error, Equatable {
        case noRecipient, tooMany, notReceiving, dailyCap, blocked
        var key: String {
            switch self {
            case .noRecipient: "messages.refused.no_recipient"
            case .tooMany: "messages.refused.too_many"
            // The same words whether the person refuses messages or blocked the writer: a block is never told.
            case .notReceiving: "messages.refused.not_receiving"
            case .dailyCap: "messages.refused.daily_cap"
            case .blocked: "messages.refused.you_blocked"
            }
        }
    }

    /// Blocks between `userID` and any of `others`, either way.
    func blocks(_ userID: UUID, _ others: [UUID]) async throws -> [MemberBlock] {
        guard !others.isEmpty else { return [] }
        return try await MemberBlock.query(on: database).group(.or) { group in
            group.group(.and) { $0.filter(\.$blocker.$id == userID).filter(\.$blocked.$id ~~ others) }
            group.group(.and) { $0.filter(\.$blocked.$id == userID).filter(\.$blocker.$id ~~ others) }
        }.all()
    }

    /// A new conversation with `recipients` (members, not the writer), its first message, and a notice to each.
    func start(by writer: User, with recipients: [User], body: String) async throws -> Conversation {
        let writerID = try writer.requireID()
        let isNewcomer = writer.createdAt.map { now.timeIntervalSince($0) < Self.newMemberDays * 86400 } ?? false
        // A newcomer's row is locked before anything is read, so parallel starts count each other (and
        // SQLite never has to turn a read into a write).
        if isNewcomer { try await database.lockRow(of: User.schema, id: writerID, touching: "accepts_messages") }
        let others = recipients.filter { $0.id != writerID }
        guard !others.isEmpty else { throw Refusal.noRecipient }
        guard others.count + 1 <= Self.largestGroup else { throw Refusal.tooMany }
        guard others.allSatisfy({ $0.isMember && $0.acceptsMessages }) else { throw Refusal.notReceiving }
        let blocks = try await blocks(writerID, others.compactMap(\.id))
        if blocks.contains(where: { $0.$blocker.id == writerID }) { throw Refusal.blocked }
        if !blocks.isEmpty { throw Refusal.notReceiving }
        if isNewcomer {
            let today = try await Conversation.query(on: database).filter(\.$createdBy.$id == writerID).filter(\.$createdAt > now.addingTimeInterval(-86400)).count()
            guard today < Self.newMemberDailyCap else { throw Refusal.dailyCap }
        }
        let conversation = Conversation()
        conversation.$createdBy.id = writerID
        conversation.createdAt = now
        conversation.lastMessageAt = now
        try await conversation.create(on: database)
        for person in [writer] + others {
            let member = ConversationMember()
            member.$conversation.id = try conversation.requireID()
            member.$user.id = try person.requireID()
            member.lastReadAt = person.id == writerID ? now : nil
            try await member.create(on: database)
        }
        try await write(body, in: conversation, by: writer, checkBlocks: false)
        return conversation
    }

    /// A message in a conversation the writer belongs to. In a conversation of two, a block either
    /// way stops it: the blocker is told they blocked; the blocked one's message is kept but reaches nobody.
    @discardableResult
    func write(_ body: String, in conversation: Conversation, by writer: User, checkBlocks: Bool = true) async throws -> DirectMessage {
        let conversationID = try conversation.requireID()
        let writerID = try writer.requireID()
        // The conversation's row first: messages in one conversation are written one at a time.
        try await database.lockRow(of: Conversation.schema, id: conversationID, touching: "last_message_at")
        let members = try await ConversationMember.query(on: database).filter(\.$conversation.$id == conversationID).all()
        let others = members.map { $0.$user.id }.filter { $0 != writerID }
        var silenced = Set<UUID>()
        if checkBlocks {
            let blocks = try await blocks(writerID, others)
            if blocks.contains(where: { $0.$blocker.id == writerID }) && others.count == 1 { throw Refusal.blocked }
            silenced = Set(blocks.filter { $0.$blocked.id == writerID }.map { $0.$blocker.id })
        }
        let message = DirectMessage()
        message.$conversation.id = conversationID
        message.$author.id = writerID
        message.body = body
        message.createdAt = now
        try await message.create(on: database)
        conversation.lastMessageAt = now
        try await conversation.update(on: database)
        try await ConversationMember.query(on: database).filter(\.$conversation.$id == conversationID).filter(\.$user.$id == writerID)
            .set(\.$lastReadAt, to: now).update()
        let notifier = Notifier(application: application, database: database, now: now)
        for user in try await User.query(on: database).filter(\.$id ~~ others.filter { !silenced.contains($0) }).all() {
            try await notifier.notify(user, .init(kind: .directMessage, textKey: "notify.direct_message", arguments: [writer.name],
                                                  link: SiteURL.conversation(conversationID), subject: writer.id))
        }
        return message
    }
}
