import Foundation

/// Values derived from the database, kept `lifetime` seconds per key in this instance (0 keeps
/// nothing): the directory's counts per filter (`DIRECTORY_CACHE_SECONDS`), and its filters drawn as
/// HTML. Each instance keeping its own copy a short while is safe, and another instance needs nothing
/// from it. Concurrent requests for the same key share one computation; a failure is not kept. Small
/// and hand-written: it is a dictionary with a clock, and no package on this machine offers an async
/// single-flight cache.
actor TimedCache<Key: Hashable & Sendable, Value: Sendable> {
    private struct Entry {
        let task: Task<Value, any Error>
        let storedAt: Date
    }

    let lifetime: TimeInterval
    let capacity: Int
    private var entries: [Key: Entry] = [:]

    init(lifetime: TimeInterval, capacity: Int = 1000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func value(for key: Key, now: Date, compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        guard lifetime > 0 else { return try await compute() }
        if let entry = entries[key], now.timeIntervalSince(entry.storedAt) < lifetime {
            return try await entry.task.value
        }
        if entries.count >= capacity {
            entries = entries.filter { now.timeIntervalSince($0.value.storedAt) < lifetime }
            if entries.count >= capacity { entries.removeAll() }
        }
        let task = Task { try await compute() }
        entries[key] = Entry(task: task, storedAt: now)
        do {
            return try await task.value
        } catch {
            if entries[key]?.task == task { entries[key] = nil }
            throw error
        }
    }
}
