import Fluent
import Foundation
@testable import Maillon
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
import VaporTesting

/// Test jobs record their runs here, keyed by a tag unique to each test.
enum JobLedger {
    static let runs = NIOLockedValueBox<[String: Int]>([:])
    static func record(_ tag: String) -> Int { runs.withLockedValue { $0[tag, default: 0] += 1; return $0[tag]! } }
    static func count(_ tag: String) -> Int { runs.withLockedValue { $0[tag] ?? 0 } }
}

/// Fails its first `failures` runs, then succeeds.
struct FlakyJob: Job {
    static let kind = "test-flaky"
    static let maxAttempts = 3
    let tag: String
    let failures: Int

    struct Boom: Error, CustomStringConvertible { let description: String }

    func run(_ context: JobContext) async throws {
        let run = JobLedger.record(tag)
        if run <= failures { throw Boom(description: "boom on run \(run)") }
    }
}

/// Takes a while, to test shutdown.
struct SlowJob: Job {
    static let kind = "test-slow"
    let tag: String

    func run(_ context: JobContext) async throws {
        _ = JobLedger.record(tag)
        try await Task.sleep(for: .seconds(30))
    }
}

func registerTestJobs(_ app: Application) {
    app.jobRegistry.register(FlakyJob.self)
    app.jobRegistry.register(SlowJob.self)
}

func jobs(_ ctx: TestContext, kind: String) async throws -> [JobRecord] {
    try await JobRecord.query(on: ctx.db).filter(\.$kind == kind).all()
}

@Suite("Background jobs")
struct JobTests {
    @Test("A failing job is retried after its backoff, then succeeds")
    func retryThenSucceed() async throws {
        try await withMaillon { ctx in
            registerTestJobs(ctx.app)
            let tag = UUID().uuidString
            try await JobQueue(database: ctx.db, now: ctx.time.now()).enqueue(FlakyJob(tag: tag, failures: 1))
            await ctx.runJobs()
            var job = try #require(try await jobs(ctx, kind: FlakyJob.kind).first)
            #expect(job.status == .failed)
            #expect(job.lastError == "boom on run 1")
            #expect(job.runAt > ctx.time.now(), "waits for its backoff")

            await ctx.runJobs()
            #expect(JobLedger.count(tag) == 1, "not before its time")

            ctx.time.advance(by: Backoff.base + 1)
            await ctx.runJobs()
            job = try #require(try await jobs(ctx, kind: FlakyJob.kind).first)
            #expect(job.status == .done)
            #expect(job.attempts == 2)
            #expect(JobLedger.count(tag) == 2)
        }
    }

    @Test("A job out of attempts is dead, shown to admins with its error, and can be retried")
    func deadJobVisible() async throws {
        try await withMaillon { ctx in
            registerTestJobs(ctx.app)
            let admin = try await makeUser(ctx, role: .admin)
            let tag = UUID().uuidString
            try await JobQueue(database: ctx.db, now: ctx.time.now()).enqueue(FlakyJob(tag: tag, failures: 10))
            for _ in 0..<FlakyJob.maxAttempts {
                await ctx.runJobs()
                ctx.time.advance(by: Backoff.cap)
            }
            let job = try #require(try await jobs(ctx, kind: FlakyJob.kind).first)
            #expect(job.status == .dead)
            #expect(JobLedger.count(tag) == FlakyJob.maxAttempts)

            let browser = ctx.browser()
            try await signIn(browser)
            let page = try await browser.get("/admin/jobs")
            #expect(page.status == .ok)
            #expect(page.html.contains("boom on run 3"))
            #expect(page.html.contains("abandonnée"))
            #expect(try await AppNotification.query(on: ctx.db).filter(\.$user.$id == admin.requireID()).filter(\.$kind == "job_dead").count() == 1)
            #expect(try await browser.get("/").html.contains("badge-count"), "the unread count is in the header")

            let retried = try await browser.post("/admin/jobs/\(try job.requireID())/retry")
            #expect(retried.status == .seeOther)
            let again = try #require(try await JobRecord.find(job.id, on: ctx.db))
            #expect(again.attempts == 1 && again.status == .failed, "ran once more, failed again")

            let member = ctx.browser()
            try await makeUser(ctx, email: "m@example.org")
            try await signIn(member, email: "m@example.org")
            #expect(try await member.get("/admin/jobs").status == .forbidden)
            #expect(try await member.post("/admin/jobs/\(try job.requireID())/retry").status == .forbidden)
        }
    }

    @Test("Workers claiming in parallel never run the same job twice")
    func parallelClaims() async throws {
        try await withMaillon { ctx in
            registerTestJobs(ctx.app)
            let tags = (0..<40).map { _ in UUID().uuidString }
            let queue = JobQueue(database: ctx.db, now: ctx.time.now())
            for tag in tags { try await queue.enqueue(FlakyJob(tag: tag, failures: 0)) }
            let app = ctx.app
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<6 {
                    group.addTask {
                        let runner = JobRunner(application: app)
                        while await runner.runNext(worker: "w\(worker)") {}
                    }
                }
            }
            #expect(tags.allSatisfy { JobLedger.count($0) == 1 })
            let finished = try await jobs(ctx, kind: FlakyJob.kind)
            #expect(finished.allSatisfy { $0.status == .done && $0.attempts == 1 })
        }
    }

    @Test("The claim is locked the way the database needs: SKIP LOCKED on PostgreSQL, one statement on SQLite")
    func claimLocking() async throws {
        // Two instances, so the transaction and the other worker use different connection pools.
        try await withTwoInstances { first, second in
            registerTestJobs(first.app)
            registerTestJobs(second.app)
            let tag = UUID().uuidString
            try await JobQueue(database: first.db, now: first.time.now()).enqueue(FlakyJob(tag: tag, failures: 0))
            let sql = first.db as! any SQLDatabase
            guard sql.dialect.name == "postgresql" else { return }
            // A transaction holding the row: another worker must pass over it, not wait or take it.
            try await first.db.transaction { db in
                let held = try await (db as! any SQLDatabase).raw("SELECT id FROM jobs FOR UPDATE").all()
                #expect(held.count == 1)
                let other = try await JobQueue(database: second.db, now: second.time.now()).claim(worker: "other")
                #expect(other == nil)
            }
            let after = try await JobQueue(database: second.db, now: second.time.now()).claim(worker: "after")
            #expect(after != nil)
        }
    }

    @Test("A job enqueued in a transaction that rolls back never runs")
    func rolledBack() async throws {
        try await withMaillon { ctx in
            registerTestJobs(ctx.app)
            let tag = UUID().uuidString
            struct Rollback: Error {}
            await #expect(throws: Rollback.self) {
                try await ctx.db.transaction { db in
                    try await JobQueue(database: db, now: ctx.time.now()).enqueue(FlakyJob(tag: tag, failures: 0))
                    throw Rollback()
                }
            }
            await ctx.runJobs()
            #expect(JobLedger.count(tag) == 0)
            let left = try await jobs(ctx, kind: FlakyJob.kind)
            #expect(left.isEmpty)
        }
    }

    @Test("A unique key keeps a second job out")
    func uniqueJobs() async throws {
        try await withMaillon { ctx in
            registerTestJobs(ctx.app)
            let queue = JobQueue(database: ctx.db, now: ctx.time.now())
            let first = try await queue.enqueue(FlakyJob(tag: "u", failures: 0), uniqueKey: "once")
            let second = try await queue.enqueue(FlakyJob(tag: "u", failures: 0), uniqueKey: "once")
            let stored = try await jobs(ctx, kind: FlakyJob.kind)
            #expect(first)
            #expect(!second)
            #expect(stored.count == 1)
        }
    }

    @Test("A job scheduled for later waits until then")
    func scheduledJob() async throws {
        try await withMaillon { ctx in
            registerTestJobs(ctx.app)
            let tag = UUID().uuidString
            try await JobQueue(database: ctx.db, now: ctx.time.now()).enqueue(FlakyJob(tag: tag, failures: 0), runAt: ctx.time.now().addingTimeInterval(3600))
            await ctx.runJobs()
            #expect(JobLedger.count(tag) == 0)
            ctx.time.advance(by: 3601)
            await ctx.runJobs()
            #expect(JobLedger.count(tag) == 1)
        }
    }

    @Test("A job left running by a crashed worker is picked up again after its lease")
    func stuckJobReclaimed() async throws {
        try await withMaillon { ctx in
            registerTestJobs(ctx.app)
            let tag = UUID().uuidString
            let queue = JobQueue(database: ctx.db, now: ctx.time.now())
            try await queue.enqueue(FlakyJob(tag: tag, failures: 0))
            let crashed = try #require(try await queue.claim(worker: "crashed"))
            #expect(crashed.status == .running)
            await ctx.runJobs()
            #expect(JobLedger.count(tag) == 0, "still leased")
            ctx.time.advance(by: JobQueue.lease + 1)
            await ctx.runJobs()
            #expect(JobLedger.count(tag) == 1)
            #expect(try await JobRecord.find(crashed.id, on: ctx.db)?.status == .done)
        }
    }

    @Test("A periodic job runs once per period however many instances schedule it")
    func periodicOncePerPeriod() async throws {
        try await withTwoInstances { first, second in
            for instance in [first, second] {
                registerTestJobs(instance.app)
                try instance.app.jobRegistry.schedule(FlakyJob(tag: "periodic-\(ObjectIdentifier(first.app).hashValue)", failures: 0), .every(3600))
            }
            let tag = "periodic-\(ObjectIdentifier(first.app).hashValue)"
            for _ in 0..<3 {
                for instance in [first, second] {
                    try await JobQueue(database: instance.db, now: instance.time.now()).schedulePeriodic(instance.app.jobRegistry)
                    await instance.runJobs()
                }
            }
            #expect(JobLedger.count(tag) == 1)
            first.time.advance(by: 3600)
            for instance in [second, first] {
                try await JobQueue(database: instance.db, now: instance.time.now()).schedulePeriodic(instance.app.jobRegistry)
                await instance.runJobs()
            }
            #expect(JobLedger.count(tag) == 2)
        }
    }

    @Test("Stopping the workers gives back a job that does not finish in time")
    func shutdownReleases() async throws {
        try await withMaillon { ctx in
            registerTestJobs(ctx.app)
            let tag = UUID().uuidString
            try await JobQueue(database: ctx.db, now: ctx.time.now()).enqueue(SlowJob(tag: tag))
            let workers = JobWorkers(application: ctx.app, count: 1, pollInterval: .milliseconds(20), grace: .milliseconds(200))
            workers.start()
            for _ in 0..<200 where JobLedger.count(tag) == 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(JobLedger.count(tag) == 1)
            await workers.stop()
            let job = try #require(try await jobs(ctx, kind: SlowJob.kind).first)
            #expect(job.status == .queued)
            #expect(job.attempts == 0)
            #expect(job.lockedBy == nil)
        }
    }
}

@Suite("Job rules")
struct JobRuleTests {
    @Test("Backoff doubles from 30 s with jitter, up to six hours")
    func backoff() {
        #expect(Backoff.delay(afterAttempt: 1, random: 1) == 30)
        #expect(Backoff.delay(afterAttempt: 1, random: 0) == 15)
        #expect(Backoff.delay(afterAttempt: 2, random: 1) == 60)
        #expect(Backoff.delay(afterAttempt: 5, random: 1) == 480)
        #expect(Backoff.delay(afterAttempt: 30, random: 1) == 6 * 3600)
        #expect((15...30).contains(Backoff.delay(afterAttempt: 1)))
    }

    @Test("Weekly schedules follow Paris time, summer and winter")
    func weeklySchedule() throws {
        let monday8 = Schedule.weekly(weekday: 2, hour: 8, minute: 0)
        let formatter = ISO8601DateFormatter()
        // Wednesday 25 November 2026, 12:00 UTC: last Monday 08:00 Paris (winter, UTC+1) is 07:00 UTC on the 23rd.
        #expect(monday8.latestOccurrence(atOrBefore: try #require(formatter.date(from: "2026-11-25T12:00:00Z"))) == formatter.date(from: "2026-11-23T07:00:00Z"))
        // Monday 6 July 2026 at 06:30 UTC (08:30 Paris, summer UTC+2): that very morning, 06:00 UTC.
        #expect(monday8.latestOccurrence(atOrBefore: try #require(formatter.date(from: "2026-07-06T06:30:00Z"))) == formatter.date(from: "2026-07-06T06:00:00Z"))
        // A minute before: the previous week.
        #expect(monday8.latestOccurrence(atOrBefore: try #require(formatter.date(from: "2026-07-06T05:59:00Z"))) == formatter.date(from: "2026-06-29T06:00:00Z"))
        #expect(Schedule.every(900).latestOccurrence(atOrBefore: Date(timeIntervalSince1970: 1000)) == Date(timeIntervalSince1970: 900))
    }
}
