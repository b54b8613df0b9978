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
