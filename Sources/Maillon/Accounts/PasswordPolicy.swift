import Foundation

/// The rules a new password must pass. Plain Swift, so it is tested without HTTP.
public struct PasswordPolicy: Sendable {
    public static let minimumLength = 12
    /// bcrypt reads at most 72 bytes; longer input would be silently cut.
    public static let maximumBytes = 72

    let common: Set<String>

    public init(common: Set<String>) {
        self.common = common
    }

    /// Loads the list shipped in `Resources/common-passwords.txt` (lines starting with `#` are comments).
    public static func load(from path: String) throws -> PasswordPolicy {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let words = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        return PasswordPolicy(common: Set(words))
    }

    /// Returns the catalogue key of the first rule broken, or nil when the password is acceptable.
    public func problem(with password: String, email: String? = nil) -> String? {
        if password.count < Self.minimumLength { return "password.too_short" }
        if password.utf8.count > Self.maximumBytes { return "password.too_long" }
        let lowered = password.lowercased()
        if common.contains(lowered) { return "password.too_common" }
        if let email, !email.isEmpty, lowered == email.lowercased() || lowered == email.split(separator: "@").first?.lowercased() {
            return "password.like_email"
        }
        return nil
    }
}

/// How many attempts each kind of request allows per window, counted in the database.
public struct ThrottlePolicy: Sendable {
    public struct Limit: Sendable {
        public var attempts: Int
        public var window: TimeInterval
        public init(attempts: Int, window: TimeInterval) {
            self.attempts = attempts
            self.window = window
        }
    }

    /// Wrong passwords for one account from one address.
    public var signInPerAccountAndIP: Limit
    /// Wrong passwords for one account from anywhere: higher and slower, so that a stranger cannot
    /// easily lock the owner out.
    public var signInPerAccount: Limit
    /// Wrong passwords from one address, whatever the account.
    public var signInPerIP: Limit
    public var signUpPerIP: Limit
    public var resetPerAccount: Limit
    public var resetPerIP: Limit
    public var twoStepPerAccount: Limit
    /// Wrong current passwords typed where a change asks for it again (password, address, deletion).
    public var passwordRecheckPerAccount: Limit
    /// Address-change mails an account may send.
    public var emailChangePerAccount: Limit

    public static let standard = ThrottlePolicy(
        signInPerAccountAndIP: Limit(attempts: 5, window: 15 * 60),
        signInPerAccount: Limit(attempts: 20, window: 60 * 60),
        signInPerIP: Limit(attempts: 30, window: 15 * 60),
        signUpPerIP: Limit(attempts: 10, window: 60 * 60),
        resetPerAccount: Limit(attempts: 3, window: 60 * 60),
        resetPerIP: Limit(attempts: 10, window: 60 * 60),
        twoStepPerAccount: Limit(attempts: 5, window: 15 * 60),
        passwordRecheckPerAccount: Limit(attempts: 5, window: 15 * 60),
        emailChangePerAccount: Limit(attempts: 3, window: 60 * 60)
    )
}
