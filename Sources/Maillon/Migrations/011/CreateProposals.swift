import Fluent
import SQLKit

/// Shipped: never edit. Add a new numbered folder instead.
enum Migrations011 {
    struct CreateProposals: AsyncMigration {
        var name: String { "011_CreateProposals" }

        func prepare(on database: any Database) async throws {
            try await database.schema(Proposal.schema)
                .id()
                .field("mission_id", .uuid, .required, .references(Mission.schema, .id, onDelete: .cascade))
                .field("lead_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("is_team", .bool, .required)
                .field("message", .string, .required)
                .field("approach", .string, .required)
                .field("availability", .string, .required)
                .field("price", .string, .required)
                .field("day_rate", .int)
                .field("days", .int)
                .field("total", .int)
                .field("status", .string, .required)
                .field("status_reason", .string)
                .field("created_at", .datetime, .required)
                .field("updated_at", .datetime, .required)
                .create()
            try await database.schema(ProposalMember.schema)
                .id()
                .field("proposal_id", .uuid, .required, .references(Proposal.schema, .id, onDelete: .cascade))
                .field("mission_id", .uuid, .required, .references(Mission.schema, .id, onDelete: .cascade))
                .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
                .field("role", .string, .required)
                .field("share", .int, .required)
                .field("confirmed_at", .datetime)
                .field("active", .bool, .required)
                .unique(on: "proposal_id", "user_id")
                .create()
            try await database.schema(ProposalMessage.schema)
                .id()
                .field("proposal_id", .uuid, .required, .references(Proposal.schema, .id, onDelete: .cascade))
                .field("author_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
                .field("from_organisation", .bool, .required)
                .field("body", .string, .required)
                .field("created_at", .datetime, .required)
                .create()
            let sql = database as! any SQLDatabase
            // The invariants, held by the database whatever the concurrency (SQLite and PostgreSQL both
            // have partial unique indexes): one open proposal per member per mission, one awarded per mission.
            try await sql.raw("CREATE UNIQUE INDEX proposal_members_open_idx ON proposal_members (mission_id, user_id) WHERE active").run()
            try await sql.raw("CREATE UNIQUE INDEX proposals_awarded_idx ON proposals (mission_id) WHERE status = 'awarded'").run()
            try await sql.create(index: "proposals_mission_idx").on(Proposal.schema).column("mission_id").column("status").run()
            try await sql.create(index: "proposal_members_user_idx").on(ProposalMember.schema).column("user_id").run()
            try await sql.create(index: "proposal_messages_idx").on(ProposalMessage.schema).column("proposal_id").column("created_at").run()
        }

        func revert(on database: any Database) async throws {
            for schema in [ProposalMessage.schema, ProposalMember.schema, Proposal.schema] {
                try await database.schema(schema).delete()
            }
        }
    }
}
