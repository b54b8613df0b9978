import ConsoleKit
import Fluent
import Foundation
@testable import Maillon
import Testing
import Vapor
import VaporTesting

@Suite("Operations")
struct OperationsTests {
    @Test("Housekeeping removes expired sessions and links, and keeps live ones")
    func housekeeping() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            let stale = ctx.browser()
            try await signIn(stale)
            try await stale.post("/password/forgot", ["email": "camille@example.org"])
            ctx.time.advance(by: 2 * 3600)
            let fresh = ctx.browser()
            try await signIn(fresh)

            let report = try await Housekeeping(database: ctx.db, now: ctx.time.now(), settings: ctx.app.maillon.settings).run()
            #expect(report.sessions >= 1)
            #expect(report.tokens == 1)
            #expect(try await fresh.get("/account").status == .ok)
            #expect(try await UserToken.query(on: ctx.db).count() == 0)
        }
    }

    @Test("Every migration reverts and applies again")
    func migrationsRevert() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            try await ctx.app.autoRevert()
            try await ctx.app.autoMigrate()
            #expect(try await User.query(on: ctx.db).count() == 0)
            try await makeUser(ctx)
            #expect(try await User.query(on: ctx.db).count() == 1)
        }
    }

    @Test("`admin create` makes a verified admin and prints a single-use link to choose the password")
    func adminCreate() async throws {
        try await withMaillon { ctx in
            let console = RecordingConsole()
            var context = CommandContext(console: console, input: CommandInput(arguments: ["maillon", "create", "--email", "Ada@Example.org", "--name", "Ada Lovelace"]))
            context.application = ctx.app
            try await console.run(AdminCommand(), with: context)
            let admin = try #require(try await User.query(on: ctx.db).filter(\.$email == "ada@example.org").first())
            #expect(admin.role == .admin)
            #expect(admin.isEmailVerified)
            let link = try #require(console.output.split(separator: "\n").first { $0.contains("/password/reset?token=") })
            let path = String(link[link.range(of: "/password/reset")!.lowerBound...])
            let browser = ctx.browser()
            #expect(try await browser.get(path).status == .ok)
            let secret = String(path.split(separator: "=").last!)
            #expect(try await browser.post("/password/reset", ["token": secret, "password": "the admin's own passphrase"]).status == .seeOther)
            #expect(try await signIn(ctx.browser(), email: "ada@example.org", password: "the admin's own passphrase").status == 303)
        }
    }

    @Test("The development mailer writes a UTF-8 message with an encoded subject under the mail folder")
    func fileMailer() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maillon-mail-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailer = FileMailer(directory: directory, from: "Maillon <no-reply@example.org>")
        try await mailer.send(MailMessage(to: "lea@example.org", subject: "Réunion à Lyon", text: "Bonjour Léa,\nhttps://example.org/x?token=abc"), logger: Logger(label: "test"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.count == 1)
        let text = try String(contentsOfFile: "\(directory)/\(files[0])", encoding: .utf8)
        #expect(text.contains("Subject: =?UTF-8?B?\(Data("Réunion à Lyon".utf8).base64EncodedString())?="))
        #expect(text.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(text.contains("To: lea@example.org"))
        let readable = MailFormat.readable(text)
        #expect(readable.contains("Subject: Réunion à Lyon"))
        #expect(readable.contains("Bonjour Léa,\nhttps://example.org/x?token=abc"))
    }
}

/// Collects what a command prints.
final class RecordingConsole: Console, @unchecked Sendable {
    private(set) var output = ""
    var userInfo: [AnySendableHashable: any Sendable] = [:]
    var size: (width: Int, height: Int) { (120, 40) }
    func input(isSecure: Bool) -> String { "" }
    func output(_ text: ConsoleText, newLine: Bool) { output += text.description + (newLine ? "\n" : "") }
    func clear(_ type: ConsoleClear) {}
    func report(error: String, newLine: Bool) { output += error + (newLine ? "\n" : "") }
}
