import Fluent
import Foundation
@testable import Maillon
import Vapor

let goodPassword = "correct horse battery staple"

/// Creates an account directly in the database (verified unless told otherwise).
@discardableResult
func makeUser(_ context: TestContext, email: String = "camille@example.org", name: String = "Camille Martin",
              role: Role = .member, password: String = goodPassword, verified: Bool = true, locale: AppLocale? = nil) async throws -> User {
    let hash = try await context.app.password.async(on: context.app.threadPool, hopTo: context.app.eventLoopGroup.next()).hash(password)
    let user = User(email: EmailAddress.normalise(email), passwordHash: hash, name: name, role: role, locale: locale)
    if verified { user.emailVerifiedAt = context.time.now() }
    try await user.create(on: context.db)
    return user
}

/// Signs the browser in through the real form and checks it worked.
@discardableResult
func signIn(_ browser: TestBrowser, email: String = "camille@example.org", password: String = goodPassword) async throws -> TestingHTTPResponseBox {
    try await browser.get("/sign-in")
    let response = try await browser.post("/sign-in", ["email": email, "password": password])
    return TestingHTTPResponseBox(status: response.status.code, location: response.location)
}

struct TestingHTTPResponseBox: Sendable {
    let status: UInt
    let location: String?
}

extension TestContext {
    func sessionCount(for user: User) async throws -> Int {
        try await UserSession.query(on: db).filter(\.$user.$id == user.requireID()).count()
    }
}

/// An account and a browser signed in to it, on its account page (so it holds a fresh CSRF token).
func signedInBrowser(_ context: TestContext, role: Role = .member, locale: AppLocale? = nil) async throws -> (User, TestBrowser) {
    let user = try await makeUser(context, role: role, locale: locale)
    let browser = context.browser()
    try await signIn(browser)
    try await browser.get("/account")
    return (user, browser)
}

/// Asks for a reset link for `email` and returns its secret and the link's local path.
func requestReset(_ context: TestContext, _ browser: TestBrowser, email: String = "camille@example.org") async throws -> (secret: String, path: String) {
    try await browser.post("/password/forgot", ["email": email])
    guard let path = context.mailer.localLink(to: email, path: "/password/reset"),
          let secret = path.split(separator: "=").last.map(String.init) else {
        throw Abort(.internalServerError, reason: "no reset mail to \(email)")
    }
    return (secret, path)
}
