import NIOConcurrencyHelpers
import Vapor

/// The requests being answered, so that stopping (SIGTERM) lets them finish before the databases
/// close. The server's quiescing waits for its connections, not for their handlers: a request whose
/// client hung up goes on running, and would find the databases gone (Fluent's `req.db` traps then).
/// Outermost middleware, and a lifecycle handler that waits for the count to reach zero (at most
/// `bound`) when the application shuts down.
final class InFlightRequests: AsyncMiddleware, LifecycleHandler, Sendable {
    private let count = NIOLockedValueBox(0)
    let bound: Duration

    init(bound: Duration = .seconds(15)) {
        self.bound = bound
    }

    var current: Int { count.withLockedValue { $0 } }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        count.withLockedValue { $0 += 1 }
        defer { count.withLockedValue { $0 -= 1 } }
        return try await next.respond(to: request)
    }

    func shutdownAsync(_ application: Application) async {
        let deadline = ContinuousClock.now + bound
        while current > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if current > 0 { application.logger.warning("Stopping with requests still running", metadata: ["requests": "\(current)"]) }
    }
}
