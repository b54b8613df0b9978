import Fluent
import Foundation
import SQLKit

/// Fixed-window counters in the `throttle_counters` table: one atomic upsert per attempt, so
/// the limit holds across every instance that shares the database.
public struct Throttle: Sendable {
    let database: any Database
    let now: Date

    /// Counts one attempt under `key`; returns false once the window's limit is passed.
    public func attempt(_ key: String, _ limit: ThrottlePolicy.Limit) async throws -> Bool {
        let sql = database as! any SQLDatabase
        let current = Int64(now.timeIntervalSince1970)
        let windowOpenedAfter = current - Int64(limit.window)
        let row = try await sql.raw("""
            INSERT INTO throttle_counters (key, window_start, hits) VALUES (\(bind: key), \(bind: current), 1)
            ON CONFLICT (key) DO UPDATE SET
              hits = CASE WHEN throttle_counters.window_start <= \(bind: windowOpenedAfter) THEN 1 ELSE throttle_counters.hits + 1 END,
              window_start = CASE WHEN throttle_counters.window_start <= \(bind: windowOpenedAfter) THEN \(bind: current) ELSE throttle_counters.window_start END
            RETURNING hits
            """).first()
        let hits = try row?.decode(column: "hits", as: Int64.self) ?? 1
        return hits <= Int64(limit.attempts)
    }

    /// Takes back one counted attempt (it succeeded): only failures stay counted, while the count
    /// still moves before each attempt, so parallel guesses cannot slip past the limit.
    public func forgive(_ key: String) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("UPDATE throttle_counters SET hits = hits - 1 WHERE key = \(bind: key) AND hits > 0").run()
    }

    /// Removes counters whose window is long over.
    public func prune(olderThan age: TimeInterval) async throws {
        let sql = database as! any SQLDatabase
        try await sql.delete(from: "throttle_counters")
            .where("window_start", .lessThan, Int64(now.timeIntervalSince1970 - age)).run()
    }

    /// Keys never contain the address itself, only its digest, so the table reveals nothing.
    public static func accountKey(_ action: String, email: String) -> String {
        "\(action):account:\(Secret.digest(EmailAddress.normalise(email)))"
    }

    /// One account from one address: what a guesser is stopped by, without locking the owner out elsewhere.
    public static func pairKey(_ action: String, email: String, ip: String) -> String {
        "\(action):pair:\(Secret.digest(EmailAddress.normalise(email) + "\n" + ip))"
    }

    public static func ipKey(_ action: String, ip: String) -> String {
        "\(action):ip:\(ip)"
    }
}
