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

@discardableResult
func makeChapter(_ context: TestContext, _ name: String, region: String? = nil) async throws -> Chapter {
    let chapter = Chapter()
    chapter.name = name
    chapter.slug = Slug.make(name)
    chapter.region = region ?? name
    chapter.description = "L'antenne de \(name) : déjeuners, afterworks et repas mensuel."
    chapter.status = .active
    try await chapter.create(on: context.db)
    return chapter
}

@discardableResult
func publishCharter(_ context: TestContext, version: Int = 1) async throws -> Charter {
    let charter = Charter()
    charter.version = version
    charter.body = "Nous travaillons pour des causes sociales et environnementales.\n\nNous nous entraidons."
    charter.publishedAt = context.time.now()
    try await charter.create(on: context.db)
    return charter
}

/// A member who has accepted the current charter and runs `chapter`.
@discardableResult
func makeAmbassador(_ context: TestContext, of chapter: Chapter, email: String, name: String) async throws -> User {
    let user = try await makeUser(context, email: email, name: name, role: .member)
    let ambassadorship = Ambassadorship()
    ambassadorship.$chapter.id = try chapter.requireID()
    ambassadorship.$user.id = try user.requireID()
    try await ambassadorship.create(on: context.db)
    if let charter = try await CharterController.current(context.db) {
        try await CharterController.recordAcceptance(user, charter, on: context.db, now: context.time.now())
    }
    return user
}

let motivation = "Je veux mettre mes compétences au service d'associations locales et rencontrer d'autres freelances."

/// An applicant with a verified account who has sent an application to `chapter`.
@discardableResult
func makeApplicant(_ context: TestContext, to chapter: Chapter, email: String = "lea@example.org", name: String = "Léa Dupont") async throws -> (User, TestBrowser) {
    let user = try await makeUser(context, email: email, name: name, role: .applicant)
    let browser = context.browser()
    try await signIn(browser, email: email)
    try await browser.get("/apply")
    let response = try await browser.post("/apply", ["headline": "Développeuse web pour les associations", "profession": "tech", "city": "Lyon",
                                                     "chapter": try chapter.requireID().uuidString, "motivation": motivation, "charter": "yes"])
    guard response.status == .seeOther else { throw Abort(.internalServerError, reason: "apply failed: \(response.status)") }
    return (user, browser)
}

/// A member with a profile in `chapter`, indexed for the directory.
@discardableResult
func makeMember(_ context: TestContext, _ name: String, email: String, chapter: Chapter?, headline: String, profession: String = "tech",
                skills: [String] = [], causes: [String] = [], availability: String = "now", visibility: Profile.Visibility = .members,
                bio: String = "") async throws -> User {
    let user = try await makeUser(context, email: email, name: name, role: .member)
    let profile = Profile()
    profile.$user.id = try user.requireID()
    profile.$homeChapter.id = chapter?.id
    profile.headline = headline
    profile.bio = bio
    profile.city = chapter?.name ?? "Paris"
    profile.profession = profession
    profile.visibility = visibility
    profile.availability = availability
    profile.workMode = "both"
    profile.languages = "fr"
    profile.joinedAt = context.time.now()
    profile.chapterSince = context.time.now()
    profile.updatedAt = context.time.now()
    try await profile.create(on: context.db)
    for skill in Taxonomy.normaliseSkills(skills.joined(separator: ",")) {
        let row = ProfileSkill()
        row.$user.id = try user.requireID()
        row.slug = skill.slug
        row.label = skill.label
        try await row.create(on: context.db)
    }
    for cause in causes {
        let row = ProfileCause()
        row.$user.id = try user.requireID()
        row.cause = cause
        try await row.create(on: context.db)
    }
    try await DirectoryIndexes.reindex(userID: user.requireID(), on: context.db)
    return user
}

/// A directory search as a page sees it: the live page and the (uncached) totals and facets.
struct DirectoryResult {
    let hits: [DirectoryQuery.Hit]
    let total: Int
    let facets: [String: [DirectoryQuery.Facet]]
}

extension DirectoryQuery {
    func run(on db: any Database) async throws -> DirectoryResult {
        let page = try await page(on: db)
        let summary = try await DirectoryQuery.summary(filter, on: db)
        return DirectoryResult(hits: page.hits, total: summary.total, facets: summary.facets)
    }
}

/// A member of `chapter`, signed in (discussions, moderation).
func member(_ ctx: TestContext, _ name: String, _ email: String, _ chapter: Chapter?) async throws -> TestBrowser {
    try await makeMember(ctx, name, email: email, chapter: chapter, headline: "Freelance")
    let browser = ctx.browser()
    try await signIn(browser, email: email)
    return browser
}
