import Crypto
import Fluent
import Foundation

/// A single-use secret sent by mail (verify an address, reset a password).
/// Only its SHA-256 is stored; the link carries the secret itself.
public final class UserToken: Model, @unchecked Sendable {
    public static let schema = "user_tokens"

    public enum Purpose: String, Codable, Sendable {
        case verifyEmail = "verify_email"
        case resetPassword = "reset_password"
    }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: User
    @Field(key: "purpose") public var purpose: Purpose
    @Field(key: "token_hash") var tokenHash: String
    /// For `verifyEmail`: the address being verified (a new one when the member changes it).
    @OptionalField(key: "email") public var email: String?
    @Field(key: "expires_at") public var expiresAt: Date
    @OptionalField(key: "used_at") public var usedAt: Date?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    public init() {}

    init(userID: UUID, purpose: Purpose, tokenHash: String, email: String?, expiresAt: Date) {
        self.$user.id = userID
        self.purpose = purpose
        self.tokenHash = tokenHash
        self.email = email
        self.expiresAt = expiresAt
    }
}

/// Random secrets and their digests: one place, so every token is made the same way.
public enum Secret {
    /// 32 random bytes, URL-safe base64 without padding.
    public static func generate() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64URL
    }

    public static func digest(_ secret: String) -> String {
        // Every signed-in request hashes its cookie: hex by table, not by `String(format:)` per byte.
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(secret.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// Constant-time comparison for secrets of any length.
    public static func matches(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

extension Data {
    /// URL-safe base64 without padding (RFC 4648 §5): tokens, signatures, cookie values.
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
