import Fluent
import Foundation
import Vapor

/// A member's direct messages in their export (what they wrote, and in which conversations), their
/// blocks and setting. On erasure their messages and their places in conversations go (the foreign
/// keys cascade); a conversation left with nobody goes too.
struct DirectMessagesSection: PersonalDataSection {
    let name = "direct_messages"

    func export(userID: UUID, on db: any Database) async throws -> Any {
        let messages = try await DirectMessage.query(on: db).filter(\.$author.$id == userID).sort(\.$createdAt).all()
        let blocks = try await MemberBlock.query(on: db).filter(\.$blocker.$id == userID).with(\.$blocked).all()
        let accepts = try await User.find(userID, on: db)?.acceptsMessages ?? true
        return [
            "accepts_messages": accepts,
            "messages": messages.map { ["conversation": $0.$conversation.id.uuidString, "text": $0.body, "sent_at": PersonalData.stamp($0.createdAt)] as [String: Any] },
            "blocked": blocks.map { $0.blocked.name },
        ] as [String: Any]
    }

    func beforeErase(userID: UUID, application: Application, on db: any Database, now: Date) async throws {
        let conversations = try await ConversationMember.query(on: db).filter(\.$user.$id == userID).all().map { $0.$conversation.id }
        try await ConversationMember.query(on: db).filter(\.$user.$id == userID).delete()
        for id in conversations where try await ConversationMember.query(on: db).filter(\.$conversation.$id == id).count() == 0 {
            try await Conversation.query(on: db).filter(\.$id == id).delete()
        }
    }
}
