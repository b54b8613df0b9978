import Fluent
import Foundation
@testable import Maillon
import SQLKit
import Testing
import Vapor
import VaporTesting

/// Which database the suite runs on: SQLite by default, PostgreSQL when `TEST_DATABASE_URL` is set.
/// Every test gets a clean database: its own SQLite file, or its own PostgreSQL schema.
struct TestDatabase: Sendable {
    let kind: Settings.DatabaseKind
    let cleanup: @Sendable () async -> Void

    static var isPostgres: Bool { ProcessInfo.processInfo.environment["TEST_DATABASE_URL"].map { !$0.isEmpty } ?? false }

    static func fresh() -> TestDatabase {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
            return TestDatabase(kind: .postgres(url: url, searchPath: String(name)), cleanup: {})
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maillon-tests").path
        let path = "\(directory)/\(name).sqlite"
        return TestDatabase(kind: .sqlite(path: path), cleanup: {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        })
    }
}

struct TestOptions: Sendable {
    var baseURL = "http://127.0.0.1:8080"
    var throttling: ThrottlePolicy = .standard
    var trustProxyHeaders = true
    var maxBodySize = "1mb"
    /// Off in tests, so counts follow each change at once; the cache has its own test.
    var directoryCacheSeconds = 0
    /// Off in tests too, so a visitor sees each change at once; the visitor pages have their own test.
    var visitorPageSeconds = 0
    /// Where the `file` transport would write (the tests record mail; erasure looks here).
    /// The training organisation's disability referent (name, contact), unset by default.
    var disabilityReferent: (name: String, contact: String)? = nil
    /// The address of the referent's account (`DISABILITY_REFERENT_EMAIL`), unset by default.
    var disabilityReferentEmail: String? = nil
    /// `METRICS_TOKEN`, unset by default.
    var metricsToken: String? = nil
    var mailDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("maillon-test-mail-\(UUID().uuidString.prefix(8))").path
}

/// Fixtures for one test: the app, its fakes, and a database no other test sees.
struct TestContext: Sendable {
    let app: Application
    let mailer: RecordingMailer
    let time: FakeTime

    var db: any Database { app.db }

    func browser(ip: String = "203.0.113.10", language: String? = nil, runsJobs: Bool = true,
                 userAgent: String = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0") -> TestBrowser {
        TestBrowser(app: app, ip: ip, language: language, runsJobs: runsJobs, userAgent: userAgent)
    }

    func runJobs() async { await JobRunner(application: app).drain() }
}

func testSettings(_ database: Settings.DatabaseKind, _ options: TestOptions) throws -> Settings {
    var environment = ["BASE_URL": options.baseURL, "BCRYPT_COST": "4", "LOG_LEVEL": "info"]
    // File mail is refused on https addresses; the tests record mail either way.
    if options.baseURL.hasPrefix("https") { environment.merge(["MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1"]) { $1 } }
    var settings = try Settings.fromEnvironment(environment)
    settings.database = database
    settings.trustProxyHeaders = options.trustProxyHeaders
    settings.maxBodySize = ByteCount(stringLiteral: options.maxBodySize)
    settings.directoryCacheSeconds = options.directoryCacheSeconds
    settings.visitorPageSeconds = options.visitorPageSeconds
    settings.mailDirectory = options.mailDirectory
    settings.disabilityReferentName = options.disabilityReferent?.name
    settings.disabilityReferentContact = options.disabilityReferent?.contact
    settings.disabilityReferentEmail = options.disabilityReferentEmail
    settings.metricsToken = options.metricsToken
    return settings
}

/// Builds an app on `database` (which may be shared with another instance), migrated.
func makeApp(_ database: Settings.DatabaseKind, _ options: TestOptions, mailer: RecordingMailer, time: FakeTime) async throws -> Application {
    TestLogs.bootstrapOnce()
    let app = try await Application.make(.testing)
    do {
        try await configure(app, settings: testSettings(database, options), mailer: mailer, time: time, throttling: options.throttling)
        if case let .postgres(_, schema?) = database {
            try await (app.db as! any SQLDatabase).raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
        }
        try await DatabaseSetup.prepare(app)
        try await app.autoMigrate()
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
    return app
}

func dropDatabase(_ app: Application, _ database: TestDatabase) async {
    if case let .postgres(_, schema?) = database.kind {
        _ = try? await (app.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
    }
}

/// Caps how many test apps exist at once: each holds database connections, and PostgreSQL's
/// default limit (100) is below what the whole suite would open in parallel.
actor AppSlots {
    static let shared = AppSlots(count: 12)
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = count }

    func acquire() async {
        if free > 0 { free -= 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

func withAppSlots(_ slots: Int, _ body: () async throws -> Void) async throws {
    for _ in 0..<slots { await AppSlots.shared.acquire() }
    do {
        try await body()
    } catch {
        for _ in 0..<slots { await AppSlots.shared.release() }
        throw error
    }
    for _ in 0..<slots { await AppSlots.shared.release() }
}

/// Runs `test` against a fresh, migrated Maillon, then tears it all down.
func withMaillon(_ options: TestOptions = .init(), _ test: (TestContext) async throws -> Void) async throws {
    try await withAppSlots(1) { try await runWithMaillon(options, test) }
}

private func runWithMaillon(_ options: TestOptions, _ test: (TestContext) async throws -> Void) async throws {
    let database = TestDatabase.fresh()
    let mailer = RecordingMailer()
    let time = FakeTime()
    let app = try await makeApp(database.kind, options, mailer: mailer, time: time)
    do {
        try await test(TestContext(app: app, mailer: mailer, time: time))
    } catch {
        await dropDatabase(app, database)
        try? await app.asyncShutdown()
        await database.cleanup()
        throw error
    }
    await dropDatabase(app, database)
    try await app.asyncShutdown()
    await database.cleanup()
}

/// Two instances of Maillon sharing one database, as behind a load balancer.
func withTwoInstances(_ options: TestOptions = .init(), _ test: (TestContext, TestContext) async throws -> Void) async throws {
    try await withAppSlots(2) { try await runWithTwoInstances(options, test) }
}

private func runWithTwoInstances(_ options: TestOptions, _ test: (TestContext, TestContext) async throws -> Void) async throws {
    let database = TestDatabase.fresh()
    let time = FakeTime()
    let first = TestContext(app: try await makeApp(database.kind, options, mailer: RecordingMailer(), time: time), mailer: RecordingMailer(), time: time)
    let secondMailer = RecordingMailer()
    let second: TestContext
    do {
        second = TestContext(app: try await makeApp(database.kind, options, mailer: secondMailer, time: time), mailer: secondMailer, time: time)
    } catch {
        try? await first.app.asyncShutdown()
        throw error
    }
    var failure: (any Error)?
    do { try await test(first, second) } catch { failure = error }
    await dropDatabase(first.app, database)
    try? await second.app.asyncShutdown()
    try? await first.app.asyncShutdown()
    await database.cleanup()
    if let failure { throw failure }
}
