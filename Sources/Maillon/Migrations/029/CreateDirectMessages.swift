import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations029 {
    /// Direct messages: conversations of two to eight members, their messages, blocks, and whether a
    /// member accepts messages at all.
    struct CreateDirectMessages: AsyncMigration {
        var name: String { "029_CreateDirectMessages" }

        func prepare(on database: any Database) async throws {
            try await database.schema(User.schema).field("accepts_messages", .bool, .required, .sql(.default(true))).update()
            try await database.schema(Conversation.schema)
                .id()
                .field("created_by", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("created_at", .datetime, .required)
                .field("last_message_at", .datetime, .required)
                .create()
            try await database.schema(ConversationMember.schema)
                .id()
                .field("conversation_id", .uuid, .required, .references(Conversation.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("last_read_at", .datetime)
                .unique(on: "conversation_id", "user_id")
                .create()
            try await database.schema(DirectMessage.schema)
                .id()
                .field("conversation_id", .uuid, .required, .references(Conversation.schema, .id, onDelete: .cascade))
                .field("author_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("body", .string, .required)
                .field("created_at", .datetime, .required)
                .create()
            try await database.schema(MemberBlock.schema)
                .id()
                .field("blocker_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("blocked_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("created_at", .datetime, .required)
                .unique(on: "blocker_id", "blocked_id")
                .create()
            let sql = database as! any SQLDatabase
            try await sql.create(index: "conversation_members_user_idx").on(ConversationMember.schema).column("user_id").run()
            try await sql.create(index: "direct_messages_conversation_idx").on(DirectMessage.schema).column("conversation_id").column("created_at").run()
            try await sql.create(index: "direct_messages_author_idx").on(DirectMessage.schema).column("author_id").run()
            try await sql.create(index: "conversations_creator_idx").on(Conversation.schema).column("created_by").column("created_at").run()
            try await sql.create(index: "member_blocks_blocked_idx").on(MemberBlock.schema).column("blocked_id").run()
        }

        func revert(on database: any Database) async throws {
            for schema in [MemberBlock.schema, DirectMessage.schema, ConversationMember.schema, Conversation.schema] { try await database.schema(schema).delete() }
            try await database.schema(User.schema).deleteField("accepts_messages").update()
        }
    }
}
