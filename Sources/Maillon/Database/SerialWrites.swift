import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// SQLite takes one writer at a time, and SQLiteNIO's busy handler retries a refused write at once,
/// in a loop on a pool thread: when two requests write together, one burns a core until the other
/// commits (40 % of the server's time in a burst of registrations, seen with `perf`). This wrapper
/// makes the process's own writers take turns before they reach SQLite: a transaction, a Fluent
/// create/update/delete or a raw statement other than a `SELECT` waits (without spinning) for the
/// writer before it to finish. Reads go straight through (WAL: they never wait for a writer).
///
/// Only SQLite uses it, and SQLite serves one instance; PostgreSQL's row locks need none of this.
/// It changes no outcome, only who waits and how: the locks that keep seats exact are still SQLite's.
struct SerialWritesConfiguration: DatabaseConfiguration {
    var inner: any DatabaseConfiguration

    var middleware: [any AnyModelMiddleware] {
        get { inner.middleware }
        set { inner.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        SerialWritesDriver(inner: inner.makeDriver(for: databases), turn: WriterTurn())
    }
}

private struct SerialWritesDriver: DatabaseDriver {
    let inner: any DatabaseDriver
    let turn: WriterTurn

    func makeDatabase(with context: DatabaseContext) -> any Database {
        SerialWritesDatabase(inner: inner.makeDatabase(with: context), turn: turn)
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

struct SerialWritesDatabase: Database, SQLDatabase {
    let inner: any Database
    let turn: WriterTurn

    private var sql: any SQLDatabase { inner as! any SQLDatabase }

    // Database

    var context: DatabaseContext { inner.context }
    var inTransaction: Bool { inner.inTransaction }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> {
        switch query.action {
        case .read, .aggregate: inner.execute(query: query, onOutput: onOutput)
        case .create, .update, .delete, .custom: inTurn { try await inner.execute(query: query, onOutput: onOutput).get() }
        }
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> {
        inTurn { try await inner.execute(schema: schema).get() }
    }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> {
        inner.execute(enum: `enum`)
    }

    func transaction<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        // The closure gets the transaction's own connection (not this wrapper): what it writes is already in turn.
        inTurn { try await inner.transaction(closure).get() }
    }

    func withConnection<T>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        inner.withConnection { closure(SerialWritesDatabase(inner: $0, turn: turn)) }
    }

    /// `body` once it is this writer's turn; at once inside a transaction, which already has the turn.
    private func inTurn<T>(_ body: @escaping @Sendable () async throws -> T) -> EventLoopFuture<T> {
        let promise = inner.eventLoop.makePromise(of: T.self)
        promise.completeWithTask { [turn, inTransaction] in
            if inTransaction { return try await body() }
            return try await turn.run { UncheckedResult(try await body()) }.value
        }
        return promise.futureResult
    }

    // SQLDatabase

    var logger: Logger { sql.logger }
    var eventLoop: any EventLoop { sql.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { sql.version }
    var dialect: any SQLDialect { sql.dialect }
    var queryLogLevel: Logger.Level? { sql.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        guard !inTransaction, Self.writes(sql.serialize(query).sql) else { return sql.execute(sql: query, onRow) }
        return inTurn { try await sql.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        guard !inTransaction, Self.writes(sql.serialize(query).sql) else { return try await sql.execute(sql: query, onRow) }
        _ = try await turn.run { try await sql.execute(sql: query, onRow) }
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
