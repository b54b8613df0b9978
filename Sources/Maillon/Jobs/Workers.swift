@preconcurrency import Dispatch
import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Runs jobs: `count` loops that claim, run and record, plus a scheduler that enqueues periodic jobs.
/// On shutdown the loops stop claiming, finish the job in hand within `grace`, or give it back.
public final class JobWorkers: Sendable {
    let application: Application
    let count: Int
    let pollInterval: Duration
    let grace: Duration
    let name: String
    private let state = NIOLockedValueBox<(tasks: [Task<Void, Never>], scheduler: Task<Void, Never>?, stopping: Bool)>(([], nil, false))

    public init(application: Application, count: Int, pollInterval: Duration = .seconds(1), grace: Duration = .seconds(20)) {
        self.application = application
        self.count = count
        self.pollInterval = pollInterval
        self.grace = grace
        self.name = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(6))"
    }

    private var isStopping: Bool { state.withLockedValue { $0.stopping } }

    public func start() {
        let tasks = (0..<count).map { index in
            Task { await self.loop(worker: "\(self.name)#\(index)") }
        }
        let scheduler = Task { await self.scheduleLoop() }
        state.withLockedValue {
            $0.tasks = tasks
            $0.scheduler = scheduler
        }
        application.logger.info("Job workers started", metadata: ["count": "\(count)"])
    }

    public func stop() async {
        let (tasks, scheduler) = state.withLockedValue { state -> ([Task<Void, Never>], Task<Void, Never>?) in
            state.stopping = true
            return (state.tasks, state.scheduler)
        }
        // The scheduler only sleeps between rounds: wake it now rather than after its sleep.
        scheduler?.cancel()
        await scheduler?.value
        // Let the jobs in hand finish; past the grace period, cancel them (they are given back).
        let deadline = ContinuousClock.now + grace
        for task in tasks {
            let watchdog = Task {
                try? await Task.sleep(until: deadline)
                task.cancel()
            }
            await task.value
            watchdog.cancel()
        }
    }

    private func loop(worker: String) async {
        while !isStopping && !Task.isCancelled {
            let didWork = await JobRunner(application: application, isShuttingDown: { [weak self] in self?.isStopping ?? true }).runNext(worker: worker)
            if !didWork { try? await Task.sleep(for: pollInterval) }
        }
    }

    private func scheduleLoop() async {
        while !isStopping && !Task.isCancelled {
            do {
                try await JobQueue(database: application.db, now: application.maillon.time.now()).schedulePeriodic(application.jobRegistry)
            } catch {
                application.logger.warning("Scheduling periodic jobs failed", metadata: ["error": .string(String(describing: error))])
            }
            try? await Task.sleep(for: .seconds(30))
        }
    }
}

/// Claims one job and runs it to its recorded end. Used by the workers, and by tests to drain the queue.
public struct JobRunner: Sendable {
    let application: Application
    /// True once the workers are stopping: a job that fails then was cut short, not wrong.
    let isShuttingDown: @Sendable () -> Bool

    public init(application: Application, isShuttingDown: @escaping @Sendable () -> Bool = { false }) {
        self.application = application
        self.isShuttingDown = isShuttingDown
    }

    /// Returns true if a job was claimed.
    @discardableResult
    public func runNext(worker: String = "inline") async -> Bool {
        let queue = JobQueue(database: application.db, now: application.maillon.time.now(), lease: application.maillon.settings.jobLease)
        let job: JobRecord
        do {
            guard let claimed = try await queue.claim(worker: worker) else { return false }
            job = claimed
        } catch {
            application.logger.warning("Claiming a job failed", metadata: ["error": .string(String(describing: error))])
            return false
        }
        var logger = application.logger
        logger[metadataKey: "job-id"] = .string(job.id?.uuidString ?? "")
        logger[metadataKey: "job-kind"] = .string(job.kind)
        let later = JobQueue(database: application.db, now: application.maillon.time.now())
        do {
            guard let runner = application.jobRegistry.runners[job.kind] else { throw UnknownJobKind(kind: job.kind) }
            try await runner(job.payload, JobContext(application: application, logger: logger, jobID: job.id ?? UUID()))
            try Task.checkCancellation()
            try await JobQueue(database: application.db, now: application.maillon.time.now()).complete(job)
            logger.info("Job done", metadata: ["attempt": "\(job.attempts)"])
            MaillonMetrics.jobRan(job.kind, failed: false)
        } catch where error is CancellationError || Task.isCancelled || isShuttingDown() {
            // Cut short by the shutdown (the send interrupted mid-way): handed back with its attempt, to run again.
            try? await later.release(job)
            logger.notice("Job given back at shutdown")
        } catch {
            try? await JobQueue(database: application.db, now: application.maillon.time.now()).fail(job, error: error)
            logger.warning("Job failed", metadata: ["attempt": "\(job.attempts)", "error": .string(String(describing: error))])
            MaillonMetrics.jobRan(job.kind, failed: true)
            if job.status == .dead { await tellAdmins(job) }
        }
        return true
    }

    /// A dead job waits for an admin: they are told in the app (or as they chose).
    private func tellAdmins(_ job: JobRecord) async {
        do {
            let admins = try await User.query(on: application.db).filter(\.$role == .admin).all()
            let notifier = Notifier(application: application, database: application.db, now: application.maillon.time.now())
            for admin in admins {
                try await notifier.notify(admin, .init(kind: .jobDead, textKey: "notify.job_dead",
                                                       arguments: [job.kind, String((job.lastError ?? "").prefix(200))], link: SiteURL.adminJobs))
            }
        } catch {
            application.logger.warning("Could not tell admins about a dead job", metadata: ["error": .string(String(describing: error))])
        }
    }

    /// Runs every due job until none is left (tests, and `maillon worker --drain`).
    public func drain(limit: Int = 1000) async {
        for _ in 0..<limit {
            guard await runNext() else { return }
        }
    }

    struct UnknownJobKind: Error, CustomStringConvertible {
        let kind: String
        var description: String { "No handler registered for job kind \(kind)" }
    }
}

/// Starts the workers with the app and stops them cleanly with it.
struct JobWorkersLifecycle: LifecycleHandler {
    let workers: JobWorkers

    func didBootAsync(_ application: Application) async throws {
        workers.start()
    }

    func shutdownAsync(_ application: Application) async {
        await workers.stop()
    }
}

/// `maillon worker [--count N]`: runs only the job workers, until interrupted.
struct WorkerCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "count", short: "c", help: "How many jobs to run at once")
        var count: Int?
        @Flag(name: "drain", help: "Run every due job, then exit")
        var drain: Bool
    }

    var help: String { "Run background jobs (mail, digests, housekeeping) without serving HTTP" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await app.autoMigrate()
        if signature.drain {
            try await JobQueue(database: app.db, now: app.maillon.time.now()).schedulePeriodic(app.jobRegistry)
            await JobRunner(application: app).drain()
            return
        }
        let workers = JobWorkers(application: app, count: max(1, signature.count ?? app.maillon.settings.jobWorkers))
        workers.start()
        context.console.print("Maillon workers running (\(workers.count)); Ctrl-C to stop.")
        await waitForTerminationSignal()
        context.console.print("Stopping: finishing the jobs in hand…")
        await workers.stop()
    }

    private func waitForTerminationSignal() async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}
