import Fluent
import Foundation
import SQLKit

/// What a person is on the platform. Ambassadors are members with a chapter scope
/// (see `Principal.ambassadorOf`), not a role of their own.
public enum Role: String, Codable, Sendable, CaseIterable {
    case applicant
    case member
    case organisationContact = "organisation_contact"
    case admin
    /// Someone outside the community invited to a training session, as a trainee or a trainer: the
    /// account reaches their sessions, their records and their account, nothing of the community.
    case guest
}

public final class User: Model, @unchecked Sendable {
    public static let schema = "users"

    @ID(key: .id) public var id: UUID?
    /// Always stored trimmed and lowercased: see `EmailAddress.normalise`.
    @Field(key: "email") public var email: String
    @OptionalField(key: "email_verified_at") public var emailVerifiedAt: Date?
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "name") public var name: String
    @Field(key: "role") public var role: Role
    @OptionalField(key: "locale") public var locale: AppLocale?
    @OptionalField(key: "totp_secret") var totpSecret: String?
    @OptionalField(key: "totp_enabled_at") public var totpEnabledAt: Date?
    /// The last time step whose code was accepted, so a code cannot be replayed.
    @OptionalField(key: "totp_last_step") var totpLastStep: Int?
    /// The address the person asked to move to, until confirmed (or cancelled by a password change).
    @OptionalField(key: "pending_email") public var pendingEmail: String?
    /// Addresses the account had before (a JSON array), so that erasure can find them everywhere.
    @OptionalField(key: "former_emails") var formerEmailsJSON: String?
    @OptionalField(key: "last_sign_in_at") public var lastSignInAt: Date?
    /// How members mention this person in discussions (`@lea-martin-3f2a`): made once from the name
    /// and four random hex digits, so no lookup is needed to keep it unique; it stays when the name changes.
    @OptionalField(key: "handle") public var handle: String?
    /// Whether other members may start a conversation with this person.
    @Field(key: "accepts_messages") public var acceptsMessages: Bool
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    public init() {}

    public init(id: UUID? = nil, email: String, passwordHash: String, name: String, role: Role, locale: AppLocale? = nil) {
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.name = name
        self.role = role
        self.locale = locale
        self.handle = Self.makeHandle(name)
        self.acceptsMessages = true
    }

    /// The name's slug and a random suffix of `digits` hexadecimal digits (`lea-martin-3f2a`). Two people
    /// of the same name get the same one once in 65,536 with four digits: `UniqueHandle` (new accounts)
    /// and migration 028 (existing ones) draw again, with a longer suffix after a few clashes.
    static func makeHandle(_ name: String, digits: Int = 4) -> String {
        let base = String(Slug.make(name).prefix(40))
        let digits = min(max(digits, 1), 15)
        let suffix = String(format: "%0\(digits)llx", UInt64.random(in: 0..<(UInt64(1) << UInt64(4 * digits))))
        return base.isEmpty ? "membre-\(suffix)" : "\(base)-\(suffix)"
    }

    /// `handle`, or while `isTaken` says it is, another for `name`: four digits again, then eight after three clashes.
    static func freeHandle(_ handle: String, name: String, isTaken: (String) async throws -> Bool) async rethrows -> String {
        var handle = handle
        var clashes = 0
        while try await isTaken(handle) {
            clashes += 1
            handle = makeHandle(name, digits: clashes < 3 ? 4 : 8)
        }
        return handle
    }

    /// Gives each new account a handle nobody has yet (the handles' index is unique): whoever creates
    /// it — sign-up, organisations, invitations, imports — a clash is drawn again instead of failing.
    struct UniqueHandle: AsyncModelMiddleware {
        func create(model: User, on db: any Database, next: any AnyAsyncModelResponder) async throws {
            if let handle = model.handle {
                let sql = db as! any SQLDatabase
                model.handle = try await User.freeHandle(handle, name: model.name) { candidate in
                    try await sql.select().column("id").from(User.schema).where("handle", .equal, candidate).limit(1).first() != nil
                }
            }
            try await next.create(model, on: db)
        }
    }

    public var isEmailVerified: Bool { emailVerifiedAt != nil }
    /// Admitted to the community (admins are members too).
    public var isMember: Bool { role == .member || role == .admin }
    public var hasTwoStep: Bool { totpEnabledAt != nil && totpSecret != nil }

    var formerEmails: [String] {
        get { formerEmailsJSON.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? [] }
        set { formerEmailsJSON = newValue.isEmpty ? nil : String(decoding: (try? JSONEncoder().encode(newValue)) ?? Data(), as: UTF8.self) }
    }

    /// Every address this account ever had, the current one first.
    var everyEmail: [String] { [email] + formerEmails.filter { $0 != email } + (pendingEmail.map { [$0] } ?? []) }
}

public enum EmailAddress {
    public static func normalise(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// A deliberately plain check: one `@`, a dot in the domain, no spaces, sane length.
    /// The verification mail is the real proof.
    public static func isPlausible(_ email: String) -> Bool {
        guard email.utf8.count <= 254, !email.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" }) else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
    }
}
