import Fluent
import Foundation
import Vapor

/// A kind of background work. Its stored properties are the payload (JSON).
/// Handlers must be idempotent: a job whose worker died is run again.
public protocol Job: Codable, Sendable {
    static var kind: String { get }
    static var maxAttempts: Int { get }
    func run(_ context: JobContext) async throws
}

extension Job {
    public static var maxAttempts: Int { 8 }
}

/// What a running job may use: the database, the services, a logger with the job's id.
public struct JobContext: Sendable {
    public let application: Application
    public let logger: Logger
    public let jobID: UUID
    public var db: any Database { application.db }
    public var maillon: MaillonServices { application.maillon }
    public var now: Date { maillon.time.now() }
}

/// The kinds a worker knows how to run, and the periodic jobs it schedules.
public struct JobRegistry: Sendable {
    typealias Runner = @Sendable (String, JobContext) async throws -> Void

    struct Periodic: Sendable {
        let kind: String
        let schedule: Schedule
        let payload: String
    }

    private(set) var runners: [String: Runner] = [:]
    private(set) var periodic: [Periodic] = []

    public init() {}

    public mutating func register<J: Job>(_ type: J.Type) {
        runners[J.kind] = { payload, context in
            let job = try JSONDecoder().decode(J.self, from: Data(payload.utf8))
            try await job.run(context)
        }
    }

    /// Runs `job` once per occurrence of `schedule`, however many instances are up.
    public mutating func schedule<J: Job>(_ job: J, _ schedule: Schedule) throws {
        register(J.self)
        periodic.append(Periodic(kind: J.kind, schedule: schedule, payload: String(decoding: try JSONEncoder().encode(job), as: UTF8.self)))
    }
}

extension Application {
    private struct JobRegistryKey: StorageKey { typealias Value = JobRegistry }

    public var jobRegistry: JobRegistry {
        get { storage[JobRegistryKey.self] ?? JobRegistry() }
        set { storage[JobRegistryKey.self] = newValue }
    }
}
