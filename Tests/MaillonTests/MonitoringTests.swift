import Foundation
import Logging
import NIOCore
@testable import Maillon
import SQLKit
import Testing
import Vapor
import VaporTesting

@Suite("Structured logs")
struct LoggingTests {
    @Test("A log line is one JSON object with sorted keys, every awkward character escaped, and a UTC second")
    func jsonLine() throws {
        let awkward = "Élise \"la\" \\ dit:\nbonjour\t\u{1}\u{7F} 🎉"
        let bytes = JSONLogHandler.line(level: .info, message: "request", label: "codes.vapor.application",
                                        fields: ["request-id": .string("abc"), "note": .string(awkward), "status": .stringConvertible(201),
                                                 "list": .array([.string("a"), .dictionary(["k": .string("v\"")])]), "msg": .string("ignored")],
                                        at: Date(timeIntervalSince1970: 1_795_834_800.9))
        #expect(bytes.last == UInt8(ascii: "\n") && bytes.dropLast().firstIndex(of: UInt8(ascii: "\n")) == nil, "one line")
        let text = try #require(String(bytes: bytes, encoding: .utf8))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["note"] as? String == awkward)
        #expect(object["msg"] as? String == "request", "the message is not overwritten by metadata")
        #expect(object["status"] as? String == "201" && object["level"] as? String == "info" && object["request-id"] as? String == "abc")
        #expect(((object["list"] as? [Any])?.last as? [String: String])?["k"] == "v\"")
        #expect(object["ts"] as? String == "2026-11-28T03:00:00Z")
        let keys = ["\"level\"", "\"list\"", "\"logger\"", "\"msg\"", "\"note\"", "\"request-id\"", "\"status\"", "\"ts\""].map { text.range(of: $0)?.lowerBound }
        #expect(keys.allSatisfy { $0 != nil } && keys.compactMap { $0 } == keys.compactMap { $0 }.sorted(), "keys sorted")
    }
}

@Suite("Metrics")
struct MetricsTests {
    @Test("/metrics: requests by route and status with latency histograms, jobs and mail by outcome, the queue's depth; only from the machine itself or with the token")
    func metrics() async throws {
        var options = TestOptions()
        options.metricsToken = "s3cret-metrics-token"
        try await withMaillon(options) { ctx in
            let browser = ctx.browser()
            // Through the proxy (the test browser sends X-Forwarded-For), without or with a wrong token: as if it did not exist.
            #expect(try await browser.get("/metrics").status == .notFound)
            #expect(try await browser.get("/metrics", headers: [("Authorization", "Bearer wrong")]).status == .notFound)
            try await browser.get("/healthz")
            _ = try await JobQueue(database: ctx.db, now: ctx.time.now()).enqueue(SendMailJob(message: MailMessage(
                to: "marc@example.org", subject: "Bonjour", text: "Texte", html: nil, unsubscribeURL: nil, messageID: "<m1@maillon>", attachments: [])))
            let waiting = try await browser.get("/metrics", headers: [("Authorization", "Bearer s3cret-metrics-token")])
            #expect(waiting.status == .ok && waiting.headers.contentType?.subType == "plain")
            #expect(waiting.body.string.contains(#"maillon_jobs_waiting{kind="send-mail",state="queued"} 1"#))
            await ctx.runJobs()
            let text = try await browser.get("/metrics", headers: [("Authorization", "Bearer s3cret-metrics-token")]).body.string
            #expect(text.contains(#"http_requests_total{method="GET",path="/healthz",status="200"}"#))
            #expect(text.contains(#"http_request_duration_seconds_bucket{method="GET",path="/healthz",status="200",le="0.005"}"#))
            #expect(text.contains(#"path="/metrics",status="404""#), "refusals are counted too")
            #expect(text.contains(#"maillon_jobs_total{kind="send-mail",outcome="done"}"#) && text.contains(#"maillon_mail_total{outcome="sent"}"#))
            #expect(text.contains(#"maillon_jobs_waiting{kind="send-mail",state="queued"} 0"#), "an emptied queue reads 0")
            #expect(!text.contains("marc@example.org"), "no address in the metrics")
        }
    }

    @Test("/metrics: how long statements waited for a pooled PostgreSQL connection", .enabled(if: TestDatabase.isPostgres))
    func poolWaits() async throws {
        try await withMaillon { ctx in
            func metrics() -> String {
                var buffer: [UInt8] = []
                MaillonMetrics.registry.emit(into: &buffer)
                return String(decoding: buffer, as: UTF8.self)
            }
            func waited() -> Double {
                let line = metrics().split(separator: "\n").first { $0.hasPrefix("maillon_db_pool_wait_seconds_sum") }
                return line.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0
            }
            // Every connection of one event loop's pool held for 300 ms; a query on that loop waits for one.
            let loop = ctx.app.eventLoopGroup.next()
            let database = ctx.app.databases.database(logger: ctx.app.logger, on: loop)!
            let size = ctx.app.maillon.settings.databasePoolSize
            let before = waited()
            let held = (0..<size).map { _ in
                database.withConnection { $0.eventLoop.scheduleTask(in: .milliseconds(300)) {}.futureResult }
            }
            try await Task.sleep(for: .milliseconds(50))
            _ = try await (database as! any SQLDatabase).raw("SELECT 1 AS one").first()
            for hold in held { try await hold.get() }
            #expect(waited() - before >= 0.2, "the query's wait is counted")
            #expect(metrics().contains(#"maillon_db_pool_wait_seconds_bucket{le="0.0001"}"#),
                    "buckets fine enough for waits under a millisecond")
        }
    }

    @Test("From the machine itself without a token; never when a proxy forwarded the request")
    func loopback() async throws {
        try await withMaillon { ctx in
            func request(_ address: String, _ headers: HTTPHeaders = [:]) throws -> Request {
                Request(application: ctx.app, method: .GET, url: "/metrics", headers: headers,
                        remoteAddress: try SocketAddress(ipAddress: address, port: 40000), on: ctx.app.eventLoopGroup.next())
            }
            let allowed = try [("127.0.0.1", [:]), ("::1", [:]), ("203.0.113.9", [:]),
                               ("127.0.0.1", ["X-Forwarded-For": "203.0.113.9"]), ("127.0.0.1", ["X-Real-IP": "203.0.113.9"])]
                .map { (address: String, headers: HTTPHeaders) in MetricsController.allowed(try request(address, headers)) }
            // The last two: nginx on the same machine forwarded them.
            #expect(allowed == [true, true, false, false, false])
        }
    }
}
