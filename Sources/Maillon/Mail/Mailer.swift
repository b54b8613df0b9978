import Foundation
import Vapor

public struct MailMessage: Codable, Sendable, Equatable {
    public var to: String
    public var subject: String
    public var text: String
    public var html: String?
    /// Set for non-essential mail: where one click unsubscribes (`List-Unsubscribe`).
    public var unsubscribeURL: String?
    /// Stable across retries, so a message sent twice after a crash can be recognised as one.
    public var messageID: String
    /// Files sent along (a calendar invitation).
    public var attachments: [MailAttachment]
    /// Where replies go, when the sender chose to share an address (an organiser's message).
    public var replyTo: String?

    public init(to: String, subject: String, text: String, html: String? = nil, unsubscribeURL: String? = nil, messageID: String? = nil,
                attachments: [MailAttachment] = [], replyTo: String? = nil) {
        self.replyTo = replyTo
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.unsubscribeURL = unsubscribeURL
        self.messageID = messageID ?? UUID().uuidString.lowercased()
        self.attachments = attachments
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        to = try container.decode(String.self, forKey: .to)
        subject = try container.decode(String.self, forKey: .subject)
        text = try container.decode(String.self, forKey: .text)
        html = try container.decodeIfPresent(String.self, forKey: .html)
        unsubscribeURL = try container.decodeIfPresent(String.self, forKey: .unsubscribeURL)
        messageID = try container.decode(String.self, forKey: .messageID)
        // Jobs queued before attachments existed have none.
        attachments = try container.decodeIfPresent([MailAttachment].self, forKey: .attachments) ?? []
        replyTo = try container.decodeIfPresent(String.self, forKey: .replyTo)
    }
}

/// A file sent with a message: text (an iCalendar invitation, `text/calendar; method=PUBLISH`) in
/// `content`, or bytes (a PDF certificate) base64-encoded in `base64`.
public struct MailAttachment: Codable, Sendable, Equatable {
    public var filename: String
    public var contentType: String
    public var content: String
    /// The bytes of a binary file, base64-encoded (`content` is then empty).
    public var base64: String?

    public init(filename: String, contentType: String, content: String) {
        self.filename = filename
        self.contentType = contentType
        self.content = content
    }

    public init(filename: String, contentType: String, data: Data) {
        self.init(filename: filename, contentType: contentType, content: "")
        base64 = data.base64EncodedString()
    }

    /// The file's bytes.
    public var data: Data { base64.flatMap { Data(base64Encoded: $0) } ?? Data(content.utf8) }
}

/// The one way Maillon sends mail. Features do not call it directly: they enqueue a `SendMailJob`
/// (see `Outbox`) in their transaction, and the job calls the mailer.
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
        let path = "\(directory)/\(stamp)-\(message.messageID.prefix(8)).eml"
        try Data(MailFormat.render(message, from: from).utf8).write(to: URL(fileURLWithPath: path))
        logger.notice("Development mail written", metadata: [
            "file": .string(path),
            "links": .array(MailFormat.links(in: message.text).map { .string($0) }),
        ])
    }
}

/// RFC 5322 / MIME: UTF-8 bodies in base64, RFC 2047 encoded headers, a text part and an HTML part.
enum MailFormat {
    static func render(_ message: MailMessage, from: String, date: Date = Date()) -> String {
        let domain = from.split(separator: "@").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "> ")) } ?? "localhost"
        var headers = [
            "From: \(encodeAddress(from))",
            "To: \(message.to)",
            "Subject: \(encodeWords(message.subject))",
            "Date: \(rfc5322Date(date))",
            "Message-ID: <\(message.messageID)@\(domain)>",
            "MIME-Version: 1.0",
        ]
        if let replyTo = message.replyTo, EmailAddress.isPlausible(replyTo) {
            headers.append("Reply-To: \(replyTo)")
        }
        if let unsubscribe = message.unsubscribeURL {
            headers.append("List-Unsubscribe: <\(unsubscribe)>")
            headers.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        }
        let textPart = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\(base64Lines(message.text))"
        let boundary = "=_maillon_\(message.messageID.replacingOccurrences(of: "-", with: ""))"
        // The body: the text alone, or text and HTML as alternatives.
        var body = textPart
        if let html = message.html {
            let htmlPart = "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\(base64Lines(html))"
            body = "Content-Type: multipart/alternative; boundary=\"\(boundary)a\"\r\n\r\n"
                + "--\(boundary)a\r\n\(textPart)\r\n--\(boundary)a\r\n\(htmlPart)\r\n--\(boundary)a--\r\n"
        }
        guard !message.attachments.isEmpty else {
            return headers.joined(separator: "\r\n") + "\r\n" + body + (message.html == nil ? "\r\n" : "")
        }
        // With files: multipart/mixed, the body first, then each file.
        var parts = [body]
        for file in message.attachments {
            let name = file.filename.filter { $0.isLetter || $0.isNumber || ".-_".contains($0) }
            let encoded = file.base64.map(Self.wrap) ?? base64Lines(file.content)
            parts.append("Content-Type: \(file.contentType)\(file.base64 == nil ? "; charset=utf-8" : ""); name=\"\(name)\"\r\nContent-Disposition: attachment; filename=\"\(name)\"\r\n"
                         + "Content-Transfer-Encoding: base64\r\n\r\n\(encoded)")
        }
        headers.append("Content-Type: multipart/mixed; boundary=\"\(boundary)m\"")
        return headers.joined(separator: "\r\n") + "\r\n\r\n"
            + parts.map { "--\(boundary)m\r\n\($0)\r\n" }.joined() + "--\(boundary)m--\r\n"
    }

    /// RFC 2047 "B" encoded words of at most 75 characters, split between whole characters.
    static func encodeWords(_ text: String) -> String {
        guard text.contains(where: { !$0.isASCII || $0 == "=" || $0 == "?" }) else { return text }
        var words: [String] = [], chunk = ""
        for character in text {
            if Data((chunk + String(character)).utf8).count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    /// `Name <address>` with the name encoded when it is not plain ASCII.
    static func encodeAddress(_ address: String) -> String {
        guard let open = address.firstIndex(of: "<") else { return address }
        let name = address[..<open].trimmingCharacters(in: .whitespaces)
        return name.isEmpty ? String(address[open...]) : "\(encodeWords(name)) \(address[open...])"
    }

    static func base64Lines(_ text: String) -> String {
        wrap(Data(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8).base64EncodedString())
    }

    /// Base64 text in lines of 76 characters (RFC 2045).
    static func wrap(_ encoded: String) -> String {
        var lines: [Substring] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(encoded[index..<end])
            index = end
        }
        return lines.joined(separator: "\r\n")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    /// The bare address of `Name <address>`.
    static func address(_ mailbox: String) -> String {
        guard let open = mailbox.firstIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close else {
            return mailbox.trimmingCharacters(in: .whitespaces)
        }
        return String(mailbox[mailbox.index(after: open)..<close])
    }

    static func links(in text: String) -> [String] {
        text.split(whereSeparator: \.isWhitespace).map(String.init).filter { $0.hasPrefix("http://") || $0.hasPrefix("https://") }
    }
}

extension MailFormat {
    /// A message as a person reads it: decoded headers, then the plain-text part decoded (the admins'
    /// development mail viewer).
    static func readable(_ source: String) -> String {
        let normalized = source.replacingOccurrences(of: "\r\n", with: "\n")
        guard let split = normalized.range(of: "\n\n") else { return normalized }
        let headerLines = normalized[..<split.lowerBound].replacingOccurrences(of: "\n ", with: "").split(separator: "\n")
        let wanted = ["From:", "To:", "Subject:", "Date:", "List-Unsubscribe:"]
        let shown = headerLines.filter { line in wanted.contains { line.hasPrefix($0) } }
            .map { decodeWords(String($0)) }
        var text = ""
        if let part = normalized.range(of: "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n") {
            let encoded = normalized[part.upperBound...].prefix { $0 != "-" }.replacingOccurrences(of: "\n", with: "")
            text = Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        return shown.joined(separator: "\n") + "\n\n" + text.replacingOccurrences(of: "\r\n", with: "\n")
    }

    /// Decodes RFC 2047 "B" words.
    static func decodeWords(_ text: String) -> String {
        var output = text
        while let start = output.range(of: "=?UTF-8?B?"), let end = output.range(of: "?=", range: start.upperBound..<output.endIndex) {
            let decoded = Data(base64Encoded: String(output[start.upperBound..<end.lowerBound])).map { String(decoding: $0, as: UTF8.self) } ?? ""
            output.replaceSubrange(start.lowerBound..<end.upperBound, with: decoded)
        }
        return output.replacingOccurrences(of: "?= =?", with: "")
    }
}
