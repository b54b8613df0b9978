import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

/// A real SMTP server (aiosmtpd, from PyPI) on loopback, run by `Tests/smtp/smtp_server.py`.
final class LoopbackSMTPServer: @unchecked Sendable {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let directory: String
    private(set) var port = 0

    let implicitTLS: Bool

    init(implicitTLS: Bool = false) throws {
        self.implicitTLS = implicitTLS
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("maillon-smtp-\(UUID().uuidString)").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "Tests/smtp/smtp_server.py", directory] + (implicitTLS ? ["--implicit-tls"] : [])
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // The script prints "PORT <n>" once it listens.
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            process.terminate()
            throw SMTPServerUnavailable(output: line)
        }
        self.port = port
    }

    struct SMTPServerUnavailable: Error, CustomStringConvertible {
        let output: String
        var description: String { "The loopback SMTP server did not start (is aiosmtpd installed? pip install -r Tests/requirements.txt): \(output)" }
    }

    var settings: Settings.SMTPSettings {
        .init(host: "localhost", port: port, security: implicitTLS ? .tls : .starttls, username: "maillon", password: "s3cret-pass",
              caFile: "\(directory)/cert.pem", heloName: "maillon.test")
    }

    func received() throws -> [[String: Any]] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        return try files.map { try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/\($0)"))) as! [String: Any] }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite("Mail")
struct MailTests {
    @Test("SMTP delivery through STARTTLS and AUTH to a real server keeps French accents intact")
    func smtpDelivery() async throws {
        let server = try LoopbackSMTPServer()
        defer { server.stop() }
        try await withMaillon { ctx in
            let mailer = SMTPMailer(settings: server.settings, from: "Maillon Éducation <no-reply@example.org>", eventLoopGroup: ctx.app.eventLoopGroup)
            let outbox = Outbox(application: ctx.app, database: ctx.db, now: ctx.time.now())
            var message = try await outbox.compose(
                MailContent(subject: "Réunion à Lyon : déjà 40 inscrit·es — ça déborde ! Œuvres, façades et « guillemets »",
                            greeting: "Bonjour Léa,", paragraphs: ["Le repas mensuel a lieu jeudi à l'Été Indien.", ".une ligne qui commence par un point"],
                            action: .init(label: "Voir l'événement", url: "https://maillon.example.org/e/1")),
                to: "lea.dupont@example.org", locale: .fr, unsubscribeURL: "https://maillon.example.org/unsubscribe?token=x")
            message.to = "Léa <lea.dupont@example.org>"
            try await mailer.send(message, logger: ctx.app.logger)

            let received = try server.received()
            #expect(received.count == 1)
            let mail = try #require(received.first)
            #expect(mail["subject"] as? String == "Réunion à Lyon : déjà 40 inscrit·es — ça déborde ! Œuvres, façades et « guillemets »")
            #expect(mail["from"] as? String == "Maillon Éducation <no-reply@example.org>")
            #expect(mail["mail_from"] as? String == "no-reply@example.org")
            #expect(mail["rcpt_tos"] as? [String] == ["lea.dupont@example.org"])
            #expect(mail["tls"] as? Bool == true)
            #expect(mail["authenticated"] as? Bool == true)
            let text = try #require(mail["text"] as? String)
            #expect(text.contains("Le repas mensuel a lieu jeudi à l'Été Indien."))
            #expect(text.contains("\n.une ligne qui commence par un point"), "dot-stuffing is undone by the server")
            #expect((mail["html"] as? String)?.contains("l&#39;Été Indien") == true || (mail["html"] as? String)?.contains("l'Été Indien") == true)
            #expect(mail["list_unsubscribe"] as? String == "<https://maillon.example.org/unsubscribe?token=x>")
        }
    }

    @Test("SMTP delivery over implicit TLS (SMTPS)")
    func smtpImplicitTLS() async throws {
        let server = try LoopbackSMTPServer(implicitTLS: true)
        defer { server.stop() }
        try await withMaillon { ctx in
            let mailer = SMTPMailer(settings: server.settings, from: "no-reply@example.org", eventLoopGroup: ctx.app.eventLoopGroup)
            try await mailer.send(MailMessage(to: "zoe@example.org", subject: "Coworking à Nantes", text: "À très vite, Zoé !"), logger: ctx.app.logger)
            let mail = try #require(try server.received().first)
            #expect(mail["subject"] as? String == "Coworking à Nantes")
            #expect((mail["text"] as? String)?.contains("À très vite, Zoé !") == true)
            #expect(mail["tls"] as? Bool == true)
        }
    }

    @Test("A relay that refuses the message makes the send fail, so the job is retried")
    func smtpRefusal() async throws {
        let server = try LoopbackSMTPServer()
        defer { server.stop() }
        try await withMaillon { ctx in
            let mailer = SMTPMailer(settings: server.settings, from: "no-reply@example.org", eventLoopGroup: ctx.app.eventLoopGroup)
            let error = await #expect(throws: SMTPError.self) {
                try await mailer.send(MailMessage(to: "refused@example.org", subject: "x", text: "y"), logger: ctx.app.logger)
            }
            #expect(error?.step == "RCPT TO")
            let received = try server.received()
            #expect(received.isEmpty)
        }
    }

    @Test("Mail is composed in the recipient's language, with a text and an HTML part")
    func composedInRecipientLanguage() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx, locale: .en)
            let browser = ctx.browser(language: "fr")
            try await browser.post("/password/forgot", ["email": "camille@example.org"])
            let message = try #require(ctx.mailer.messages(to: "camille@example.org").last)
            #expect(message.subject == "Maillon: choose a new password")
            #expect(message.text.hasPrefix("Hello Camille Martin,"))
            #expect(message.html?.contains("<html lang=\"en\">") == true)
            #expect(message.html?.contains("Choose a new password") == true)
            #expect(message.unsubscribeURL == nil, "essential mail cannot be unsubscribed from")
        }
    }

    @Test("A message rendered for the wire has encoded headers and base64 UTF-8 parts")
    func mimeFormat() {
        let message = MailMessage(to: "lea@example.org", subject: "Été", text: "Bonjour Léa", html: "<p>Bonjour Léa</p>", unsubscribeURL: "https://x.example/u", messageID: "abc")
        let raw = MailFormat.render(message, from: "Maillon <no-reply@example.org>")
        #expect(raw.contains("Subject: =?UTF-8?B?\(Data("Été".utf8).base64EncodedString())?="))
        #expect(raw.contains("Content-Type: multipart/alternative"))
        #expect(raw.contains("Message-ID: <abc@example.org>"))
        #expect(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
        #expect(raw.contains(Data("Bonjour Léa".utf8).base64EncodedString()))
        #expect(raw.split(separator: "\r\n").allSatisfy { $0.count <= 998 })
        #expect(MailFormat.encodeWords(String(repeating: "é", count: 60)).split(separator: "\r\n").allSatisfy { $0.count <= 76 })
    }
}

@Suite("Binary attachments")
struct BinaryAttachmentTests {
    @Test("A binary file (a PDF) goes as base64 without a charset, in lines of 76, and decodes to the same bytes")
    func pdfAttachment() throws {
        let bytes = Data((0..<300).map { UInt8($0 % 256) })
        let message = MailMessage(to: "une@example.org", subject: "Certificat", text: "Ci-joint.",
                                  attachments: [MailAttachment(filename: "certificat.pdf", contentType: "application/pdf", data: bytes)])
        let rendered = MailFormat.render(message, from: "Maillon <no-reply@localhost>")
        #expect(rendered.contains("Content-Type: application/pdf; name=\"certificat.pdf\""))
        let part = try #require(rendered.components(separatedBy: "name=\"certificat.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n").last)
        let encoded = part.components(separatedBy: "\r\n--").first ?? ""
        #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 })
        #expect(Data(base64Encoded: encoded.replacingOccurrences(of: "\r\n", with: "")) == bytes)
        #expect(message.attachments[0].data == bytes)
    }
}
