import Fluent
import Foundation

/// One unit of background work, stored in the database so any instance's workers can run it.
public final class JobRecord: Model, @unchecked Sendable {
    public static let schema = "jobs"

    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Waiting for its `run_at`.
        case queued
        case running
        /// Failed, will be tried again at `run_at`.
        case failed
        /// Out of attempts: waits for an admin.
        case dead
        case done
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "kind") public var kind: String
    @Field(key: "payload") public var payload: String
    @Field(key: "status") public var status: Status
    @Field(key: "attempts") public var attempts: Int
    @Field(key: "max_attempts") public var maxAttempts: Int
    @Field(key: "run_at") public var runAt: Date
    @OptionalField(key: "locked_at") public var lockedAt: Date?
    @OptionalField(key: "locked_by") public var lockedBy: String?
    @OptionalField(key: "last_error") public var lastError: String?
    /// Prevents duplicates: a second job with the same key is not enqueued.
    @OptionalField(key: "unique_key") public var uniqueKey: String?
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "finished_at") public var finishedAt: Date?

    public init() {}
}
