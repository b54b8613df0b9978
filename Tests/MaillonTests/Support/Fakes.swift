import Foundation
import Logging
@testable import Maillon
import NIOConcurrencyHelpers

/// Keeps every message instead of sending it.
final class RecordingMailer: Mailer, @unchecked Sendable {
    private let box = NIOLockedValueBox<[MailMessage]>([])

    var messages: [MailMessage] { box.withLockedValue { $0 } }

    func send(_ message: MailMessage, logger: Logger) async throws {
        box.withLockedValue { $0.append(message) }
    }

    func messages(to address: String) -> [MailMessage] { messages.filter { $0.to == address } }

    /// The first link in the newest message to `address` that points at `path`.
    func link(to address: String, path: String) -> String? {
        for message in messages(to: address).reversed() {
            if let link = MailFormat.links(in: message.text).first(where: { $0.contains(path) }) { return link }
        }
        return nil
    }

    /// The path and query of that link, for the test client.
    func localLink(to address: String, path: String) -> String? {
        guard let link = link(to: address, path: path), let url = URLComponents(string: link) else { return nil }
        return url.path + (url.query.map { "?\($0)" } ?? "")
    }
}

/// A clock the test moves by hand.
final class FakeTime: TimeSource, @unchecked Sendable {
    // Starts at the real time, so rows stamped by Fluent (`created_at`) agree with it.
    private let box = NIOLockedValueBox(Date())

    func now() -> Date { box.withLockedValue { $0 } }

    func advance(by interval: TimeInterval) {
        box.withLockedValue { $0 = $0.addingTimeInterval(interval) }
    }
}

/// Every log line the process writes during the tests, so a test can look for secrets in it.
enum TestLogs {
    private static let lines = NIOLockedValueBox<[String]>([])
    private static let bootstrapped = NIOLockedValueBox(false)

    static func bootstrapOnce() {
        bootstrapped.withLockedValue { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in CapturingLogHandler(label: label) }
            MaillonMetrics.bootstrap()
        }
    }

    static func record(_ line: String) { lines.withLockedValue { $0.append(line) } }
    static var all: String { lines.withLockedValue { $0.joined(separator: "\n") } }

    /// The SQL reads one request made (each log entry whole: a statement may span lines).
    static func selects(of requestID: String) -> Int {
        lines.withLockedValue { entries in
            entries.filter { $0.contains(requestID) && !$0.hasPrefix("debug") && $0.contains("SELECT") }.count
        }
    }

    /// Every SQL statement one request made (reads, writes, BEGIN and COMMIT), each log entry whole.
    static func statements(of requestID: String) -> [String] {
        let verbs = ["SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT"]
        return lines.withLockedValue { entries in
            entries.filter { entry in entry.contains(requestID) && !entry.hasPrefix("debug") && verbs.contains { entry.contains($0) } }
        }
    }

    struct CapturingLogHandler: LogHandler {
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        let label: String

        init(label: String) { self.label = label }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            TestLogs.record("\(event.level) \(event.message) \(merged)")
        }
    }
}
