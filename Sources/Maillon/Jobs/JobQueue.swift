import Fluent
import Foundation
import SQLKit
import Vapor

/// Enqueueing, claiming and finishing jobs. Enqueue on the transaction that makes the change
/// the job is about, so a rolled-back change never runs its job.
public struct JobQueue: Sendable {
    let database: any Database
    let now: Date

    /// How long a running job may stay claimed before another worker takes it back (its worker died):
    /// `JOB_LEASE_SECONDS`, five minutes unless set.
    let lease: TimeInterval

    public init(database: any Database, now: Date, lease: TimeInterval = JobQueue.lease) {
        self.database = database
        self.now = now
        self.lease = lease
    }

    /// The default lease.
    public static let lease: TimeInterval = 5 * 60
    /// How long a done job keeps its payload (a sent mail's copy): a day, to look into a complaint.
    public static let payloadRetention: TimeInterval = 24 * 3600

    /// Adds a job. With a `uniqueKey` already used, nothing is added and false is returned.
    @discardableResult
    public func enqueue<J: Job>(_ job: J, runAt: Date? = nil, uniqueKey: String? = nil) async throws -> Bool {
        try await insert(kind: J.kind, payload: String(decoding: try JSONEncoder().encode(job), as: UTF8.self),
                         maxAttempts: J.maxAttempts, runAt: runAt ?? now, uniqueKey: uniqueKey)
    }

    func insert(kind: String, payload: String, maxAttempts: Int, runAt: Date, uniqueKey: String?) async throws -> Bool {
        let sql = database as! any SQLDatabase
        let rows = try await sql.insert(into: JobRecord.schema)
            .columns("id", "kind", "payload", "status", "attempts", "max_attempts", "run_at", "unique_key", "created_at")
            .values(SQLBind(UUID()), SQLBind(kind), SQLBind(payload), SQLBind(JobRecord.Status.queued.rawValue), SQLBind(0),
                    SQLBind(maxAttempts), SQLBind(runAt), SQLBind(uniqueKey), SQLBind(now))
            .ignoringConflicts(with: ["unique_key"])
            .returning("id")
            .all()
        return !rows.isEmpty
    }

    /// Takes the next due job for `worker`, or nil. Two workers never get the same job.
    public func claim(worker: String) async throws -> JobRecord? {
        let sql = database as! any SQLDatabase
        let lock: SQLQueryString = sql.dialect.name == "postgresql" ? "FOR UPDATE SKIP LOCKED" : ""
        // SQLite has one writer at a time, so this single statement is atomic there; on PostgreSQL
        // SKIP LOCKED lets concurrent workers pass over the row another one is taking.
        let rows = try await sql.raw("""
            UPDATE jobs SET status = 'running', locked_at = \(bind: now), locked_by = \(bind: worker), attempts = attempts + 1
            WHERE id = (
              SELECT id FROM jobs
              WHERE (status IN ('queued', 'failed') AND run_at <= \(bind: now))
                 OR (status = 'running' AND locked_at < \(bind: now.addingTimeInterval(-lease)))
              ORDER BY run_at
              LIMIT 1
              \(lock)
            )
            RETURNING id
            """).all()
        guard let id = try rows.first?.decode(column: "id", as: UUID.self) else { return nil }
        return try await JobRecord.find(id, on: database)
    }

    public func complete(_ job: JobRecord) async throws {
        job.status = .done
        job.finishedAt = now
        job.lockedAt = nil
        job.lockedBy = nil
        job.lastError = nil
        try await job.save(on: database)
    }

    /// Records the failure: tried again later, or dead once out of attempts.
    public func fail(_ job: JobRecord, error: any Error, random: Double = Double.random(in: 0...1)) async throws {
        job.lastError = String(String(describing: error).prefix(2000))
        job.lockedAt = nil
        job.lockedBy = nil
        if job.attempts >= job.maxAttempts {
            job.status = .dead
            job.finishedAt = now
        } else {
            job.status = .failed
            job.runAt = now.addingTimeInterval(Backoff.delay(afterAttempt: job.attempts, random: random))
        }
        try await job.save(on: database)
    }

    /// Gives a claimed job back untouched (the worker is shutting down).
    public func release(_ job: JobRecord) async throws {
        job.status = job.lastError == nil ? .queued : .failed
        job.attempts = max(0, job.attempts - 1)
        job.lockedAt = nil
        job.lockedBy = nil
        try await job.save(on: database)
    }

    /// An admin sends a dead job back to the queue with fresh attempts.
    public func retry(_ id: UUID) async throws -> Bool {
        guard let job = try await JobRecord.find(id, on: database), job.status == .dead || job.status == .failed else { return false }
        job.status = .queued
        job.attempts = 0
        job.runAt = now
        job.finishedAt = nil
        try await job.save(on: database)
        return true
    }

    public func counts() async throws -> [JobRecord.Status: Int] {
        var counts: [JobRecord.Status: Int] = [:]
        for status in JobRecord.Status.allCases {
            counts[status] = try await JobRecord.query(on: database).filter(\.$status == status).count()
        }
        return counts
    }

    /// Enqueues the current occurrence of every periodic job; the unique key makes it once per period.
    public func schedulePeriodic(_ registry: JobRegistry) async throws {
        for periodic in registry.periodic {
            let occurrence = periodic.schedule.latestOccurrence(atOrBefore: now)
            guard now.timeIntervalSince(occurrence) <= periodic.schedule.grace else { continue }
            let key = "periodic:\(periodic.kind):\(Int(occurrence.timeIntervalSince1970))"
            _ = try await insert(kind: periodic.kind, payload: periodic.payload, maxAttempts: 3, runAt: occurrence, uniqueKey: key)
        }
    }

    /// Empties the payload of jobs done more than `age` ago: a sent mail's copy (names, addresses,
    /// text) is not kept beyond that. The row stays until `purgeFinished` for the admins' counts.
    public func scrubFinished(olderThan age: TimeInterval) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("""
            UPDATE jobs SET payload = '{}' WHERE status = 'done' AND finished_at < \(bind: now.addingTimeInterval(-age)) AND payload <> '{}'
            """).run()
    }

    /// Deletes finished jobs (and their keys) older than `age`, keeping dead ones for the admins.
    public func purgeFinished(olderThan age: TimeInterval) async throws {
        try await JobRecord.query(on: database)
            .filter(\.$status == .done)
            .filter(\.$finishedAt < now.addingTimeInterval(-age))
            .delete()
    }
}
