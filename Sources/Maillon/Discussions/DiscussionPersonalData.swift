import Fluent
import Foundation
import Vapor

/// A member's part of the discussions in their export: the spaces they joined or muted, the threads
/// they started, their posts and reactions. On erasure their posts stay, by "a former member" (the
/// replies around them still make sense): the foreign keys let go of them; their reactions, their
/// read markers and their spaces' settings go with the account.
struct DiscussionsSection: PersonalDataSection {
    let name = "discussions"

    func export(userID: UUID, on db: any Database) async throws -> Any {
        let spaces = try await SpaceMember.query(on: db).filter(\.$user.$id == userID).with(\.$space).all()
        let threads = try await DiscussionThread.query(on: db).filter(\.$author.$id == userID).sort(\.$createdAt).all()
        let posts = try await Post.query(on: db).filter(\.$author.$id == userID).sort(\.$createdAt).all()
        let titles = Dictionary(try await DiscussionThread.query(on: db).filter(\.$id ~~ Array(Set(posts.map { $0.$thread.id }))).all()
            .map { ($0.id ?? UUID(), $0.title) }, uniquingKeysWith: { a, _ in a })
        let reactions = try await PostReaction.query(on: db).filter(\.$user.$id == userID).all()
        return [
            "spaces": spaces.map { ["space": $0.space.name, "joined": $0.joined, "muted": $0.muted] as [String: Any] },
            "threads_started": threads.map { ["title": $0.title, "help_request": $0.isHelpRequest, "created_at": PersonalData.stamp($0.createdAt)] as [String: Any] },
            "posts": posts.map {
                ["thread": titles[$0.$thread.id] ?? "", "text": $0.body, "created_at": PersonalData.stamp($0.createdAt),
                 "edited_at": PersonalData.stamp($0.editedAt), "deleted_at": PersonalData.stamp($0.deletedAt)] as [String: Any]
            },
            "reactions": reactions.map { ["kind": $0.kind.rawValue, "created_at": PersonalData.stamp($0.createdAt)] as [String: Any] },
        ] as [String: Any]
    }
}
