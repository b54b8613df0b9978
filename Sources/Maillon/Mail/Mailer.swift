import Foundation
import Vapor

public struct MailMessage: Sendable, Equatable {
    public var to: String
    public var subject: String
    public var text: String

    public init(to: String, subject: String, text: String) {
        self.to = to
        self.subject = subject
        self.text = text
    }
}

/// The one way Maillon sends mail. The queue and SMTP transport arrive with the background-work issue.
public protocol Mailer: Sendable {
    func send(_ message: MailMessage, logger: Logger) async throws
}

/// Development transport: each message becomes a `.eml` file under `var/mail/`, and its links are
/// logged so the flows can be followed without a mail server. Never use it in production.
public struct FileMailer: Mailer {
    public let directory: String
    public let from: String

    public init(directory: String, from: String) {
        self.directory = directory
        self.from = from
    }

    public func send(_ message: MailMessage, logger: Logger) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "-")
        let path = "\(directory)/\(stamp)-\(UUID().uuidString.prefix(8)).eml"
        try Data(MailFormat.render(message, from: from).utf8).write(to: URL(fileURLWithPath: path))
        logger.notice("Development mail written", metadata: [
            "file": .string(path),
            "links": .array(MailFormat.links(in: message.text).map { .string($0) }),
        ])
    }
}

enum MailFormat {
    /// RFC 5322 message with UTF-8 body and RFC 2047 encoded subject.
    static func render(_ message: MailMessage, from: String) -> String {
        let subject = "=?UTF-8?B?\(Data(message.subject.utf8).base64EncodedString())?="
        return """
        From: \(from)\r
        To: \(message.to)\r
        Subject: \(subject)\r
        MIME-Version: 1.0\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: 8bit\r
        \r
        \(message.text.replacingOccurrences(of: "\n", with: "\r\n"))\r

        """
    }

    static func links(in text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map(String.init).filter { $0.hasPrefix("http://") || $0.hasPrefix("https://") }
    }
}
