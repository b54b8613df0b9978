import Foundation
import Vapor

/// The directory's totals and facet counts, kept `lifetime` seconds per filter
/// (`DIRECTORY_CACHE_SECONDS`; 0 turns it off). Counting the facets of a large community reads all of
/// it, while the page of members is always read live. The counts are derived from the database, so
/// each instance keeping its own copy for a minute is safe; another instance needs nothing from it.
/// Concurrent requests for the same filter share one computation. Small and hand-written: it is a
/// dictionary with a clock, and no package on this machine offers an async single-flight cache.
actor DirectorySummaryCache {
    private struct Entry {
        let task: Task<DirectoryQuery.Summary, any Error>
        let storedAt: Date
    }

    let lifetime: TimeInterval
    let capacity: Int
    private var entries: [DirectoryQuery.Filter: Entry] = [:]

    init(lifetime: TimeInterval, capacity: Int = 1000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func summary(for filter: DirectoryQuery.Filter, now: Date,
                 compute: @escaping @Sendable () async throws -> DirectoryQuery.Summary) async throws -> DirectoryQuery.Summary {
        guard lifetime > 0 else { return try await compute() }
        if let entry = entries[filter], now.timeIntervalSince(entry.storedAt) < lifetime {
            return try await entry.task.value
        }
        if entries.count >= capacity {
            entries = entries.filter { now.timeIntervalSince($0.value.storedAt) < lifetime }
            if entries.count >= capacity { entries.removeAll() }
        }
        let task = Task { try await compute() }
        entries[filter] = Entry(task: task, storedAt: now)
        do {
            return try await task.value
        } catch {
            // A failure is not remembered: the next request tries again.
            if entries[filter]?.task == task { entries[filter] = nil }
            throw error
        }
    }
}

extension Application {
    private struct DirectorySummaryCacheKey: StorageKey { typealias Value = DirectorySummaryCache }

    var directorySummaries: DirectorySummaryCache {
        get {
            guard let cache = storage[DirectorySummaryCacheKey.self] else { fatalError("Directory cache used before configure(_:)") }
            return cache
        }
        set { storage[DirectorySummaryCacheKey.self] = newValue }
    }
}
