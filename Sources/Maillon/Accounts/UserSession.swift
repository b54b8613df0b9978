import Fluent
import Foundation

/// A browser session, kept in the database so any instance can serve any request.
/// The cookie holds a secret; the table holds its SHA-256 only.
public final class UserSession: Model, @unchecked Sendable {
    public static let schema = "sessions"

    @ID(key: .id) public var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "csrf_token") var csrfToken: String
    @OptionalParent(key: "user_id") public var user: User?
    /// Set between a correct password and a correct two-step code.
    @OptionalField(key: "pending_user_id") var pendingUserID: UUID?
    @OptionalField(key: "locale") public var locale: AppLocale?
    @OptionalField(key: "user_agent") public var userAgent: String?
    @OptionalField(key: "ip_address") public var ipAddress: String?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "last_seen_at") public var lastSeenAt: Date

    public init() {}
}
