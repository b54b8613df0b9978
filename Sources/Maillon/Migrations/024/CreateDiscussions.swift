import Fluent
import Foundation
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations024 {
    /// Spaces (one per chapter, and theme spaces), threads, posts, reactions, and each member's
    /// relation to spaces and threads.
    struct CreateDiscussions: AsyncMigration {
        var name: String { "024_CreateDiscussions" }

        func prepare(on database: any Database) async throws {
            try await database.schema(Space.schema)
                .id()
                .field("slug", .string, .required)
                .field("name", .string, .required)
                .field("description", .string, .required)
                .field("chapter_id", .uuid, .references(Chapter.schema, .id, onDelete: .cascade))
                .field("created_at", .datetime, .required)
                .unique(on: "slug")
                .unique(on: "chapter_id")
                .create()
            try await database.schema(SpaceMember.schema)
                .id()
                .field("space_id", .uuid, .required, .references(Space.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("joined", .bool, .required)
                .field("muted", .bool, .required)
                .unique(on: "space_id", "user_id")
                .create()
            try await database.schema(DiscussionThread.schema)
                .id()
                .field("space_id", .uuid, .required, .references(Space.schema, .id, onDelete: .cascade))
                .field("author_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("title", .string, .required)
                .field("is_help", .bool, .required)
                .field("answer_post_id", .uuid)
                .field("reply_count", .int, .required)
                .field("last_post_at", .datetime, .required)
                .field("created_at", .datetime, .required)
                .create()
            try await database.schema(Post.schema)
                .id()
                .field("thread_id", .uuid, .required, .references(DiscussionThread.schema, .id, onDelete: .cascade))
                .field("author_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("body", .string, .required)
                .field("quote_id", .uuid)
                .field("created_at", .datetime, .required)
                .field("edited_at", .datetime)
                .field("deleted_at", .datetime)
                .create()
            try await database.schema(PostReaction.schema)
                .id()
                .field("post_id", .uuid, .required, .references(Post.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("kind", .string, .required)
                .field("created_at", .datetime, .required)
                .unique(on: "post_id", "user_id", "kind")
                .create()
            try await database.schema(ThreadState.schema)
                .id()
                .field("thread_id", .uuid, .required, .references(DiscussionThread.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("last_read_at", .datetime)
                .field("following", .string)
                .unique(on: "thread_id", "user_id")
                .create()
            let sql = database as! any SQLDatabase
            // A space's threads, latest activity first; a thread's posts in order; a member's posts (export, erasure).
            try await sql.create(index: "threads_space_activity_idx").on(DiscussionThread.schema).column("space_id").column("last_post_at").run()
            try await sql.create(index: "threads_author_idx").on(DiscussionThread.schema).column("author_id").run()
            try await sql.create(index: "posts_thread_created_idx").on(Post.schema).column("thread_id").column("created_at").run()
            try await sql.create(index: "posts_author_idx").on(Post.schema).column("author_id").run()
            try await sql.create(index: "post_reactions_user_idx").on(PostReaction.schema).column("user_id").run()
            try await sql.create(index: "thread_states_user_idx").on(ThreadState.schema).column("user_id").run()
            try await sql.create(index: "space_members_user_idx").on(SpaceMember.schema).column("user_id").run()
            // The chapters that already exist get their space.
            for chapter in try await Chapter.query(on: database).all() {
                let space = Space()
                space.slug = try await Space.freeSlug(chapter.slug, on: database)
                space.name = chapter.name
                space.description = ""
                space.$chapter.id = try chapter.requireID()
                space.createdAt = chapter.createdAt ?? Date()
                try await space.create(on: database)
            }
        }

        func revert(on database: any Database) async throws {
            for schema in [ThreadState.schema, PostReaction.schema, Post.schema, DiscussionThread.schema, SpaceMember.schema, Space.schema] {
                try await database.schema(schema).delete()
            }
        }
    }
}
