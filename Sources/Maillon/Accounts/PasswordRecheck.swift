import Vapor

extension Request {
    /// Checks the current password a sensitive change asks for again (new password, new address,
    /// deleting the account). Wrong answers are throttled per account, so a borrowed session cannot
    /// guess it. Returns the catalogue key of the problem, or nil when it is right.
    func recheckPassword(_ user: User, _ typed: String?) async throws -> String? {
        let throttle = Throttle(database: db, now: now)
        let key = Throttle.accountKey("password-recheck", email: user.email)
        guard try await throttle.attempt(key, maillon.throttling.passwordRecheckPerAccount) else { return "throttle.too_many" }
        guard try await password.async.verify(typed ?? " ", created: user.passwordHash) else { return "password.wrong_current" }
        try await throttle.forgive(key)
        return nil
    }
}
