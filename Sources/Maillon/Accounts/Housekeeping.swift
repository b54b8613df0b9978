import Fluent
import Foundation
import Vapor

/// Deletes what has expired: sessions, used or expired links, finished throttle windows.
/// Idempotent; scheduled as a periodic job (`HousekeepingJob`) and available as `maillon cleanup`.
public struct Housekeeping: Sendable {
    public struct Report: Sendable, Equatable {
        public var sessions = 0
        public var tokens = 0
    }

    let database: any Database
    let now: Date
    let settings: Settings

    public func run() async throws -> Report {
        var report = Report()
        let idleCutoff = now.addingTimeInterval(-settings.sessionIdleTimeout)
        let lifetimeCutoff = now.addingTimeInterval(-settings.sessionAbsoluteLifetime)
        let expiredSessions = UserSession.query(on: database).group(.or) {
            $0.filter(\.$lastSeenAt < idleCutoff).filter(\.$createdAt < lifetimeCutoff)
        }
        report.sessions = try await expiredSessions.count()
        try await expiredSessions.delete()

        let staleTokens = UserToken.query(on: database).group(.or) {
            $0.filter(\.$expiresAt < now).filter(\.$usedAt < now.addingTimeInterval(-24 * 3600))
        }
        report.tokens = try await staleTokens.count()
        try await staleTokens.delete()

        try await Throttle(database: database, now: now).prune(olderThan: 24 * 3600)
        return report
    }
}

/// Housekeeping as a periodic job: every 15 minutes, once whatever the number of instances.
struct HousekeepingJob: Job {
    static let kind = "housekeeping"

    func run(_ context: JobContext) async throws {
        let report = try await Housekeeping(database: context.db, now: context.now, settings: context.maillon.settings).run()
        let queue = JobQueue(database: context.db, now: context.now)
        try await queue.scrubFinished(olderThan: JobQueue.payloadRetention)
        try await queue.purgeFinished(olderThan: 7 * 86400)
        _ = try await ApplicationRetention.purgeDeclined(olderThan: context.maillon.settings.declinedRetentionDays, on: context.db, now: context.now)
        try await TrainingRetention.forget(on: context.db, now: context.now)
        context.logger.info("Housekeeping done", metadata: ["sessions": "\(report.sessions)", "tokens": "\(report.tokens)"])
    }
}

/// `maillon cleanup`: the same housekeeping, on demand.
struct CleanupCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Delete expired sessions, links and throttle counters" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let report = try await Housekeeping(database: app.db, now: app.maillon.time.now(), settings: app.maillon.settings).run()
        context.console.print("Removed \(report.sessions) sessions and \(report.tokens) links.")
    }
}
