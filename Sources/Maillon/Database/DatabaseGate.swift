import Fluent
import Foundation
import Metrics
import NIOConcurrencyHelpers
import SQLKit

/// Every statement the application sends passes this gate, on both databases. It does two things.
///
/// On PostgreSQL (`timesWaits`), it times how long each statement waited for a pooled connection: the
/// `maillon_db_pool_wait_seconds` histogram on `/metrics`, to size `DATABASE_POOL_SIZE` by (AsyncKit's
/// pool has no hook of its own; the gate asks the pool for the connection itself and notes when it is
/// handed over). A transaction's statements are not timed again: they run on the connection the
/// transaction waited for. Not on SQLite: its driver keeps one connection per event loop whatever the
/// settings, and a connection it hands out logs without the request's id.
///
/// On SQLite (`turn` set), the process's writers take turns. SQLite takes one writer at a time, and
/// SQLiteNIO's busy handler retries a refused write at once, in a loop on a pool thread: when two
/// requests write together, one burns a core until the other commits (40 % of the server's time in a
/// burst of registrations, seen with `perf`). So a transaction, a Fluent create/update/delete or a raw
/// statement other than a `SELECT` waits (without spinning) for the writer before it to finish. Reads
/// go straight through (WAL: they never wait for a writer). SQLite serves one instance; PostgreSQL's
/// row locks need none of this (`turn` nil). It changes no outcome, only who waits and how: the locks
/// that keep seats exact are still the database's.
struct DatabaseGateConfiguration: DatabaseConfiguration {
    var inner: any DatabaseConfiguration
    /// Whether writers take turns in the process (SQLite).
    var serialWrites: Bool
    /// Whether waits for a pooled connection are timed (PostgreSQL).
    var timesWaits: Bool

    var middleware: [any AnyModelMiddleware] {
        get { inner.middleware }
        set { inner.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        DatabaseGateDriver(inner: inner.makeDriver(for: databases), turn: serialWrites ? WriterTurn() : nil, timesWaits: timesWaits)
    }
}

private struct DatabaseGateDriver: DatabaseDriver {
    let inner: any DatabaseDriver
    let turn: WriterTurn?
    let timesWaits: Bool

    func makeDatabase(with context: DatabaseContext) -> any Database {
        DatabaseGate(inner: inner.makeDatabase(with: context), turn: turn, timesWaits: timesWaits)
    }

    func shutdown() { inner.shutdown() }
    func shutdownAsync() async { await inner.shutdownAsync() }
}

/// First come, first served: one writer at a time, the others suspended (not spinning) in order.
/// A writer that waits longer than `patience` (as long as the connection pool lets a request wait)
/// gives up with an error rather than waiting for ever: a mistake that writes outside a transaction
/// from inside it fails instead of hanging.
final class WriterTurn: Sendable {
    struct Timeout: Error {}

    private struct State {
        var taken = false
        var next = 0
        var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    }
    private let state = NIOLockedValueBox(State())
    let patience: Duration

    init(patience: Duration = .seconds(30)) {
        self.patience = patience
    }

    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var timer: Task<Void, Never>?
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let id = state.withLockedValue { state -> Int? in
                guard state.taken else { state.taken = true; return nil }
                state.next += 1
                state.waiting.append((state.next, continuation))
                return state.next
            }
            guard let id else { return continuation.resume() }
            timer = Task { [patience, state] in
                try? await Task.sleep(for: patience)
                guard !Task.isCancelled else { return }
                let late = state.withLockedValue { state in
                    state.waiting.firstIndex { $0.id == id }.map { state.waiting.remove(at: $0).continuation }
                }
                late?.resume(throwing: Timeout())
            }
        }
        timer?.cancel()
        defer {
            let next = state.withLockedValue { state -> CheckedContinuation<Void, any Error>? in
                guard !state.waiting.isEmpty else { state.taken = false; return nil }
                return state.waiting.removeFirst().continuation
            }
            next?.resume()
        }
        return try await body()
    }
}

struct DatabaseGate: Database, SQLDatabase {
    let inner: any Database
    let turn: WriterTurn?
    let timesWaits: Bool

    // Database

    var context: DatabaseContext { inner.context }
    var inTransaction: Bool { inner.inTransaction }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> {
        switch query.action {
        case .read, .aggregate: pooled { $0.execute(query: query, onOutput: onOutput) }
        case .create, .update, .delete, .custom: inTurn { pooled { $0.execute(query: query, onOutput: onOutput) } }
        }
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> {
        inTurn { pooled { $0.execute(schema: schema) } }
    }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> {
        pooled { $0.execute(enum: `enum`) }
    }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        // The closure gets the transaction's own connection (not this gate): what it writes is already in turn.
        // Its wait is timed until the closure starts (so with the BEGIN): a connection Fluent's PostgreSQL
        // driver hands out counts as being in a transaction already, and would not begin one.
        inTurn { [inner, timesWaits] in
            let asked = ContinuousClock.now
            return inner.transaction { transaction in
                if timesWaits, !inner.inTransaction { Self.waited(since: asked) }
                return closure(transaction)
            }
        }
    }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        pooled { closure(DatabaseGate(inner: $0, turn: turn, timesWaits: timesWaits)) }
    }

    /// `body` with a connection from the pool, the wait noted; at once on a transaction's own connection.
    private func pooled<T>(_ body: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        guard timesWaits, !inTransaction else { return body(inner) }
        let asked = ContinuousClock.now
        return inner.withConnection { connection in
            Self.waited(since: asked)
            return body(connection)
        }
    }

    private static let poolWait = Metrics.Timer(label: "maillon_db_pool_wait_seconds")

    private static func waited(since asked: ContinuousClock.Instant) {
        poolWait.recordNanoseconds(Int64((ContinuousClock.now - asked) / .nanoseconds(1)))
    }

    /// `body` once it is this writer's turn; at once inside a transaction, which already has the turn,
    /// and on a database whose writers need no turn.
    private func inTurn<T>(_ body: @escaping @Sendable () -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        guard let turn, !inTransaction else { return body() }
        let promise = inner.eventLoop.makePromise(of: T.self)
        promise.completeWithTask { try await turn.run { UncheckedResult(try await body().get()) }.value }
        return promise.futureResult
    }

    // SQLDatabase

    private var sql: any SQLDatabase { inner as! any SQLDatabase }
    var logger: Logger { sql.logger }
    var eventLoop: any EventLoop { sql.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { sql.version }
    var dialect: any SQLDialect { sql.dialect }
    var queryLogLevel: Logger.Level? { sql.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let run: @Sendable () -> EventLoopFuture<Void> = { pooled { ($0 as! any SQLDatabase).execute(sql: query, onRow) } }
        guard turn != nil, !inTransaction, Self.writes(sql.serialize(query).sql) else { return run() }
        return inTurn(run)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await execute(sql: query, onRow).get()
    }

    /// Whether a statement may write: anything but a plain `SELECT`.
    static func writes(_ statement: String) -> Bool {
        let start = statement.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "(" }.prefix(6)
        return start.uppercased() != "SELECT"
    }
}

/// Fluent's transactions return any type, Sendable or not; the value only passes from the task that
/// made it to the future that hands it on.
private struct UncheckedResult<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
