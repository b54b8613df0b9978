import Fluent
import Foundation
import SQLKit
import Vapor

/// Issuing and redeeming the single-use links sent by mail.
struct Tokens {
    let database: any Database
    let now: Date

    static let verificationLifetime: TimeInterval = 24 * 3600
    static let resetLifetime: TimeInterval = 3600

    /// Makes a new token (replacing any unused one of the same purpose) and returns the secret for the link.
    func issue(_ purpose: UserToken.Purpose, for user: User, email: String? = nil, lifetime: TimeInterval) async throws -> String {
        let userID = try user.requireID()
        try await UserToken.query(on: database)
            .filter(\.$user.$id == userID).filter(\.$purpose == purpose).filter(\.$usedAt == nil)
            .delete()
        let secret = Secret.generate()
        let token = UserToken(userID: userID, purpose: purpose, tokenHash: Secret.digest(secret), email: email,
                              expiresAt: now.addingTimeInterval(lifetime))
        try await token.create(on: database)
        return secret
    }

    /// The token if the secret names one of this purpose that is unused and unexpired.
    func find(_ secret: String?, _ purpose: UserToken.Purpose) async throws -> UserToken? {
        guard let secret, !secret.isEmpty, secret.count <= 100 else { return nil }
        guard let token = try await UserToken.query(on: database)
            .filter(\.$tokenHash == Secret.digest(secret)).filter(\.$purpose == purpose).first(),
            token.usedAt == nil, token.expiresAt > now
        else { return nil }
        return token
    }

    /// A credential changed: every link still out for this account (address change, verification,
    /// reset, invitation) stops working, and a pending address change is dropped. Returns the address
    /// that was pending, if any, so the owner can be told.
    @discardableResult
    func revokeAll(for user: User) async throws -> String? {
        try await UserToken.query(on: database).filter(\.$user.$id == user.requireID()).filter(\.$usedAt == nil).delete()
        let pending = user.pendingEmail
        user.pendingEmail = nil
        return pending
    }

    /// Marks the token used. Returns false if another request used it first: only one can win.
    func redeem(_ token: UserToken) async throws -> Bool {
        let sql = database as! any SQLDatabase
        let rows = try await sql.raw("""
            UPDATE user_tokens SET used_at = \(bind: now) WHERE id = \(bind: token.requireID()) AND used_at IS NULL RETURNING id
            """).all()
        return rows.count == 1
    }
}

/// An account someone else opens for a person (an organisation's colleague, an outside trainee or
/// trainer): no password yet, and a link valid a week to choose one, which also proves the address.
enum InvitedAccount {
    /// The existing account, with no link; or a new one, created in `db`, with the link's secret.
    static func open(existing: User?, email: String, name: String, role: Role, request: Request, on db: any Database) async throws -> (User, secret: String?) {
        if let existing { return (existing, nil) }
        let now = request.now
        let user = User(email: email, passwordHash: request.application.dummyPasswordHash, name: name, role: role, locale: request.locale)
        user.emailVerifiedAt = now
        try await user.create(on: db)
        return (user, try await Tokens(database: db, now: now).issue(.resetPassword, for: user, lifetime: AdminImportController.invitationLifetime))
    }
}
