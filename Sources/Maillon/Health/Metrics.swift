import Crypto
import Fluent
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import SQLKit
import Vapor

/// Prometheus metrics (`swift-prometheus`, through `swift-metrics`). Vapor counts requests by route
/// pattern and status with a latency histogram (`http_requests_total`, `http_request_duration_seconds`,
/// `http_request_errors_total`); Maillon adds jobs run and failed by kind (`maillon_jobs_total`),
/// mail sent and failed (`maillon_mail_total`), the queue's depth by kind and state, read from the
/// database at each scrape (`maillon_jobs_waiting`, the same on every instance), and how long
/// statements waited for a pooled database connection (`maillon_db_pool_wait_seconds`, `DatabaseGate`).
/// Metrics are each process's own, as Prometheus expects: it scrapes every instance.
public enum MaillonMetrics {
    public static let registry = PrometheusCollectorRegistry()

    /// Once per process, before the application is made (`main.swift`; the tests' support).
    public static func bootstrap() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let buckets: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                   .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10)]
        factory.defaultDurationHistogramBuckets = buckets
        // A wait for a pooled connection is usually well under a millisecond: finer buckets at the bottom.
        factory.durationHistogramBuckets["maillon_db_pool_wait_seconds"] = [.microseconds(100), .microseconds(500), .milliseconds(1)] + buckets
        MetricsSystem.bootstrap(factory)
    }

    static func jobRan(_ kind: String, failed: Bool) {
        Counter(label: "maillon_jobs_total", dimensions: [("kind", kind), ("outcome", failed ? "failed" : "done")]).increment()
    }

    static func mail(sent: Bool) {
        Counter(label: "maillon_mail_total", dimensions: [("outcome", sent ? "sent" : "failed")]).increment()
    }
}

/// `/metrics`: from the machine itself (loopback, not through a proxy), or with
/// `Authorization: Bearer <METRICS_TOKEN>`. Anyone else gets a 404, as if it did not exist.
struct MetricsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.metrics), use: metrics)
    }

    static func allowed(_ req: Request) -> Bool {
        if let token = req.maillon.settings.metricsToken, !token.isEmpty, let given = req.headers.bearerAuthorization?.token {
            return Data(SHA256.hash(data: Data(given.utf8))) == Data(SHA256.hash(data: Data(token.utf8)))
        }
        let proxied = [HTTPHeaders.Name.xForwardedFor, .forwarded, "X-Real-IP"].contains { req.headers.first(name: $0) != nil }
        guard !proxied, let peer = req.remoteAddress?.ipAddress else { return false }
        return peer == "127.0.0.1" || peer == "::1" || peer == "::ffff:127.0.0.1"
    }

    @Sendable func metrics(req: Request) async throws -> Response {
        guard Self.allowed(req) else { throw Abort(.notFound) }
        // The queue as the database holds it now (shared by every instance).
        let rows = try await (req.db as! any SQLDatabase).raw("""
            SELECT kind, status, COUNT(*) AS n FROM \(ident: JobRecord.schema) WHERE status IN ('queued', 'running', 'failed', 'dead') GROUP BY kind, status
            """).all()
        var seen: Set<String> = []
        for row in rows {
            let kind = try row.decode(column: "kind", as: String.self), status = try row.decode(column: "status", as: String.self)
            seen.insert(kind + "/" + status)
            Gauge(label: "maillon_jobs_waiting", dimensions: [("kind", kind), ("state", status)]).record(try row.decode(column: "n", as: Int.self))
        }
        // A kind and state seen before and empty now reads 0, not its last value.
        for (kind, state) in WaitingGauges.shared.replace(with: seen) {
            Gauge(label: "maillon_jobs_waiting", dimensions: [("kind", kind), ("state", state)]).record(0)
        }
        var buffer: [UInt8] = []
        MaillonMetrics.registry.emit(into: &buffer)
        let response = Response(status: .ok, body: .init(data: Data(buffer)))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return response
    }
}

/// The queue gauges last set, to zero those that emptied.
final class WaitingGauges: Sendable {
    static let shared = WaitingGauges()
    private let last = NIOLockedValueBox<Set<String>>([])

    /// The kinds and states set before and not now.
    func replace(with current: Set<String>) -> [(String, String)] {
        last.withLockedValue { previous in
            defer { previous = current }
            return previous.subtracting(current).map { key in
                let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
                return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
            }
        }
    }
}
