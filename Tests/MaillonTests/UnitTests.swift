import Foundation
@testable import Maillon
import NIOConcurrencyHelpers
import Testing

@Suite("Rules without HTTP")
struct UnitTests {
    static let catalogue = try! Catalogue.load(from: "Resources/Locales")

    @Test("Every catalogue key exists in French and English, none empty")
    func catalogueComplete() throws {
        let french = try #require(Self.catalogue.entries[.fr])
        let english = try #require(Self.catalogue.entries[.en])
        #expect(Set(french.keys) == Set(english.keys), "only in fr: \(Set(french.keys).subtracting(english.keys)); only in en: \(Set(english.keys).subtracting(french.keys))")
        #expect(french.values.allSatisfy { !$0.isEmpty })
        #expect(english.values.allSatisfy { !$0.isEmpty })
    }

    @Test("Every key used by a template or the code is in the catalogue")
    func keysUsedExist() throws {
        let keys = Set(try #require(Self.catalogue.entries[.fr]).keys)
        var used = Set<String>()
        let patterns = [#"#t\("([a-z0-9_.]+)""#, #"\bt\("([a-z0-9_.]+)""#, #""([a-z_]+\.[a-z0-9_.]+)""#]
        for root in ["Resources/Views", "Sources/Maillon"] {
            let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".leaf") || file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: "\(root)/\(file)", encoding: .utf8)
                for pattern in patterns {
                    let regex = try NSRegularExpression(pattern: pattern)
                    for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                        if let range = Range(match.range(at: 1), in: text) { used.insert(String(text[range])) }
                    }
                }
            }
        }
        // Quoted dotted strings in Swift that are not catalogue keys (file names, paths, labels).
        let notKeys = used.filter { $0.hasSuffix(".txt") || $0.hasSuffix(".json") || $0.hasSuffix(".ics") || $0.hasSuffix(".pdf") || $0.hasSuffix(".csv") || $0.hasSuffix(".zip") || $0.hasSuffix(".css") || $0.hasPrefix("codes.") || $0.hasSuffix(".eml") || $0.hasSuffix(".sqlite") || $0 == "key" || $0.range(of: #"^[a-z]\.[a-z_]+$"#, options: .regularExpression) != nil }
        // Counts (`t.count("key", n)`) use `key.one` and `key.other`.
        var counted = Set<String>()
        for root in ["Sources/Maillon"] {
            let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: "\(root)/\(file)", encoding: .utf8)
                // `t.count("key", n)`, and flash messages with a count: `flash(.success, "key", count: n)`.
                for pattern in [#"\bt\.count\("([a-z0-9_.]+)""#, #""([a-z0-9_.]+)", count:"#] {
                    let regex = try NSRegularExpression(pattern: pattern)
                    for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                        if let range = Range(match.range(at: 1), in: text) { counted.insert(String(text[range])) }
                    }
                }
            }
        }
        #expect(!counted.isEmpty)
        for key in counted { used.remove(key); used.formUnion([key + ".one", key + ".other"]) }
        let missing = used.subtracting(notKeys).subtracting(keys)
        #expect(missing.isEmpty, "missing: \(missing.sorted())")
        // Keys built at run time from a prefix.
        for role in Role.allCases { #expect(keys.contains("role.\(role.rawValue)")) }
        for locale in AppLocale.allCases { #expect(keys.contains("language.\(locale.rawValue)")) }
        for code in ErrorPages.explained { #expect(keys.contains("error.\(code).title") && keys.contains("error.\(code).message")) }
        for level in Enrolment.Level.allCases { #expect(keys.contains("enrolment.level.\(level.rawValue)")) }
        for status in Enrolment.TraineeStatus.allCases { #expect(keys.contains("enrolment.trainee_status.\(status.rawValue)")) }
        for funding in Enrolment.Funding.allCases { #expect(keys.contains("enrolment.funding.\(funding.rawValue)")) }
        for state in Registration.Status.allCases { #expect(keys.contains("enrolment.state.\(state.rawValue)")) }
        for modality in TrainingContent.Modality.allCases { #expect(keys.contains("training.modality.\(modality.rawValue)")) }
        for status in Training.Status.allCases { #expect(keys.contains("training.status.\(status.rawValue)")) }
        for part in SessionInput.Part.allCases { #expect(keys.contains("session.part.\(part.rawValue)")) }
        for kind in NotificationKind.all { #expect(keys.contains("notification_kind.\(kind.id)")) }
        for status in Complaint.Status.allCases {
            #expect(keys.contains("complaint.status.\(status.rawValue)") && keys.contains("complaint.dated.\(status.rawValue)"))
            if status != .received { #expect(keys.contains("complaint.move.\(status.rawValue)")) }
        }
        for status in ImprovementAction.Status.allCases { #expect(keys.contains("improvement.status.\(status.rawValue)")) }
        for kind in SurveyRequest.Kind.allCases {
            for key in ["survey.heading.", "survey.field.satisfaction.", "survey.field.objectives_met.", "notify.survey."] { #expect(keys.contains(key + kind.rawValue)) }
        }
        for gap in ["no_hours", "price_zero", "not_countersigned"] { #expect(keys.contains("bpf.gap.\(gap)")) }
        for result in ObjectiveAssessment.Result.allCases { #expect(keys.contains("assessment.result.\(result.rawValue)")) }
        for refusal in [Attending.Refusal.codeUnknown, .codeExpired, .notEnrolled, .alreadySigned, .closed, .signatureMissing] { #expect(keys.contains(refusal.key)) }
    }

    @Test("Placeholders are filled, and a missing key shows itself")
    func translate() {
        #expect(Self.catalogue.translate("pagination.label", .en, ["2", "5"]) == "Page 2 of 5")
        #expect(Self.catalogue.translate("no.such.key", .fr) == "no.such.key")
    }

    @Test("Accept-Language picks the best supported language", arguments: [
        ("en-US,en;q=0.9", AppLocale.en), ("fr-CA", .fr), ("de, en;q=0.3, fr;q=0.8", .fr), ("de", nil), ("", nil), ("en;q=0", nil),
    ])
    func negotiate(header: String, expected: AppLocale?) {
        #expect(AppLocale.negotiate(acceptLanguage: header) == expected)
    }

    @Test("Passwords: at least 12 characters, at most 72 bytes, not common, not the email")
    func passwordPolicy() throws {
        let policy = try PasswordPolicy.load(from: "Resources/common-passwords.txt")
        #expect(policy.problem(with: "short") == "password.too_short")
        #expect(policy.problem(with: String(repeating: "é", count: 40)) == "password.too_long")
        #expect(policy.problem(with: "password1234") == "password.too_common")
        #expect(policy.problem(with: "Azertyuiop123") == "password.too_common")
        #expect(policy.problem(with: "camille.martin", email: "camille.martin@example.org") == "password.like_email")
        #expect(policy.problem(with: "correct horse battery staple") == nil)
        #expect(policy.common.count > 20_000)
    }

    @Test("Email addresses are normalised and sanity-checked")
    func emails() {
        #expect(EmailAddress.normalise("  Léa@Example.ORG ") == "léa@example.org")
        #expect(EmailAddress.isPlausible("lea@example.org"))
        for bad in ["", "lea", "lea@", "@example.org", "lea@example", "le a@example.org", "lea@@example.org", "lea@.example.org"] {
            #expect(!EmailAddress.isPlausible(bad), "\(bad)")
        }
    }

    @Test("Only local paths are accepted as return addresses")
    func localPaths() {
        #expect(SiteURL.localPath("/account") == "/account")
        for bad in [nil, "", "account", "//evil.example", "/\\evil.example", "https://evil.example", "/a b"] {
            #expect(SiteURL.localPath(bad) == nil)
        }
    }

    @Test("Two-step codes match RFC 6238 and are accepted once")
    func twoStep() throws {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890".
        let secret = Base32.encode(Array("12345678901234567890".utf8))
        #expect(secret == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(Base32.decode(secret) == Array("12345678901234567890".utf8))
        #expect(TwoStep.code(secret: secret, at: Date(timeIntervalSince1970: 59)) == "287082")
        #expect(TwoStep.code(secret: secret, at: Date(timeIntervalSince1970: 1_111_111_109)) == "081804")

        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let code = try #require(TwoStep.code(secret: secret, at: now))
        let step = try #require(TwoStep.acceptedStep(secret: secret, code: code, at: now, lastStep: nil))
        #expect(TwoStep.acceptedStep(secret: secret, code: code, at: now, lastStep: step) == nil, "no replay")
        #expect(TwoStep.acceptedStep(secret: secret, code: code, at: now.addingTimeInterval(90), lastStep: nil) == nil, "expired")
        #expect(TwoStep.acceptedStep(secret: secret, code: "000000", at: now, lastStep: nil) == nil || code == "000000")
    }

    @Test("Settings have documented defaults and refuse nonsense")
    func settings() throws {
        let defaults = try Settings.fromEnvironment([:])
        #expect(defaults.database == .sqlite(path: "var/maillon.sqlite"))
        #expect(defaults.host == "127.0.0.1" && defaults.port == 8080)
        #expect(defaults.baseURL.absoluteString == "http://127.0.0.1:8080")
        #expect(defaults.bcryptCost == 12)
        #expect(defaults.sessionIdleTimeout == 30 * 60)
        #expect(defaults.sessionAbsoluteLifetime == 12 * 3600)
        #expect(!defaults.isHTTPS)
        #expect(try Settings.fromEnvironment(["DATABASE_URL": "postgres://u@localhost/db"]).database == .postgres(url: "postgres://u@localhost/db", searchPath: nil))
        #expect(try Settings.fromEnvironment(["BASE_URL": "https://maillon.example.org/", "MAIL_TRANSPORT": "smtp", "SMTP_HOST": "relay.example.org"]).isHTTPS)
        // File mail (which logs reset links) is refused on a public https address, with what to do instead.
        #expect(throws: SettingsError.self) { try Settings.fromEnvironment(["BASE_URL": "https://maillon.example.org/"]) }
        #expect(throws: SettingsError.self) { try Settings.fromEnvironment(["BASE_URL": "https://maillon.example.org/", "MAIL_TRANSPORT": "file"]) }
        #expect(throws: SettingsError.self) { try Settings.fromEnvironment(["PORT": "abc"]) }
        #expect(throws: SettingsError.self) { try Settings.fromEnvironment(["BASE_URL": "javascript:alert(1)"]) }
        #expect(throws: SettingsError.self) { try Settings.fromEnvironment(["COMMUNITY_PRIMARY_COLOR": "red;}body{"]) }
        #expect(throws: SettingsError.self) { try Settings.fromEnvironment(["LOG_LEVEL": "loud"]) }
        #expect(defaults.visitorPageSeconds == 2 && defaults.directoryCacheSeconds == 60)
        #expect(try Settings.fromEnvironment(["VISITOR_PAGE_SECONDS": "0"]).visitorPageSeconds == 0)
        #expect(throws: SettingsError.self) { try Settings.fromEnvironment(["VISITOR_PAGE_SECONDS": "61"]) }
        #expect(throws: SettingsError.self) { try Settings.fromEnvironment(["VISITOR_PAGE_SECONDS": "-1"]) }
        // The end-to-end tests' clock never reaches a public address.
        #expect(throws: SettingsError.self) {
            try Settings.fromEnvironment(["BASE_URL": "https://maillon.example.org/", "MAIL_TRANSPORT": "smtp", "SMTP_HOST": "relay.example.org",
                                          "CLOCK_OFFSET_FILE": "/tmp/clock"])
        }
        #expect(try Settings.fromEnvironment(["CLOCK_OFFSET_FILE": "/tmp/clock"]).clockOffsetFile == "/tmp/clock")
    }

    @Test("CLOCK_OFFSET_FILE moves the clock by the seconds the file holds, read at each use; no file or no number, no shift")
    func shiftedTime() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("maillon-clock-\(UUID().uuidString)").path
        let time = ShiftedTime(path: path)
        #expect(abs(time.now().timeIntervalSinceNow) < 5)
        try "864000\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(abs(time.now().timeIntervalSinceNow - 864_000) < 5)
        try "-3600".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(abs(time.now().timeIntervalSinceNow + 3600) < 5)
        try "demain".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(abs(time.now().timeIntervalSinceNow) < 5)
        try FileManager.default.removeItem(atPath: path)
    }

    @Test("serve --port moves the address mailed links use, unless BASE_URL is set")
    func servePort() throws {
        #expect(try Settings.fromEnvironment([:], arguments: ["serve", "--port", "9000"]).baseURL.absoluteString == "http://127.0.0.1:9000")
        #expect(try Settings.fromEnvironment([:], arguments: ["serve", "-p", "9001", "--hostname", "0.0.0.0"]).baseURL.absoluteString == "http://0.0.0.0:9001")
        #expect(try Settings.fromEnvironment([:], arguments: ["serve", "--port", "9000"]).port == 9000)
        #expect(try Settings.fromEnvironment(["BASE_URL": "http://maillon.example.org"], arguments: ["serve", "--port", "9000"]).baseURL.absoluteString == "http://maillon.example.org")
        #expect(try Settings.fromEnvironment([:], arguments: ["migrate", "--port", "9000"]).port == 8080, "only serve takes a port")
        #expect(throws: SettingsError.self) { try Settings.fromEnvironment([:], arguments: ["serve", "--port", "http"]) }
    }

    @Test("Dates are shown in Europe/Paris, in the reader's language")
    func dates() {
        let date = Date(timeIntervalSince1970: 1_798_761_600) // 2027-01-01 00:00 UTC = 01:00 in Paris
        #expect(DateFormatting.dateTime(date, .fr).contains("1 janvier 2027"))
        #expect(DateFormatting.dateTime(date, .fr).contains("01:00"))
        #expect(DateFormatting.dateTime(date, .en).contains("January 2027"))
    }
}

@Suite("Visitors' pages")
struct VisitorPageCacheTests {
    @Test("A stale page is drawn again by one visitor while the others get the old one, for at most another lifetime; a failed drawing hands it on")
    func oneRedraw() {
        let cache = VisitorPageCache(lifetime: 2)
        let start = Date()
        func page(at seconds: TimeInterval) -> VisitorPageCache.Page {
            .init(parts: ["<p>", "</p>"], contentType: "text/html", storedAt: start.addingTimeInterval(seconds))
        }
        #expect(cache.page("fr /", now: start) == nil, "nothing kept yet: draw it")
        cache.store(page(at: 0), as: "fr /")
        #expect(cache.page("fr /", now: start.addingTimeInterval(1.9))?.storedAt == start, "fresh")
        #expect(cache.page("en /", now: start.addingTimeInterval(1)) == nil, "each language its own")

        #expect(cache.page("fr /", now: start.addingTimeInterval(2)) == nil, "stale: the first visitor draws it again")
        #expect(cache.page("fr /", now: start.addingTimeInterval(2.5))?.storedAt == start, "meanwhile the others get the old one")
        #expect(cache.page("fr /", now: start.addingTimeInterval(4)) == nil, "a drawing slower than the lifetime is taken over")
        cache.store(page(at: 4.5), as: "fr /")
        #expect(cache.page("fr /", now: start.addingTimeInterval(5))?.storedAt == start.addingTimeInterval(4.5))

        #expect(cache.page("fr /", now: start.addingTimeInterval(7)) == nil)
        cache.abandon("fr /")
        #expect(cache.page("fr /", now: start.addingTimeInterval(7.1)) == nil, "after a failed drawing, the next visitor draws it")
    }
}

@Suite("SQLite's writers take turns")
struct WriterTurnTests {
    @Test("One writer at a time, in the order they came; a failing writer passes the turn on")
    func turns() async throws {
        let turn = WriterTurn()
        let log = NIOLockedValueBox<[String]>([])
        let inside = NIOLockedValueBox(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<50 {
                group.addTask {
                    do {
                        _ = try await turn.run { () async throws -> Int in
                            let now = inside.withLockedValue { $0 += 1; return $0 }
                            log.withLockedValue { $0.append("in \(now)") }
                            try await Task.sleep(nanoseconds: 100_000)
                            inside.withLockedValue { $0 -= 1 }
                            if index % 7 == 0 { throw CancellationError() }
                            return index
                        }
                    } catch is CancellationError {}
                }
            }
            try await group.waitForAll()
        }
        #expect(log.withLockedValue { $0.count } == 50)
        #expect(log.withLockedValue { $0.allSatisfy { $0 == "in 1" } }, "never two writers at once")
        #expect(try await turn.run { 42 } == 42, "the turn is free again")
    }

    @Test("A writer waits at most its patience, then fails; the turn stays with its holder and passes on after")
    func patience() async throws {
        let turn = WriterTurn(patience: .milliseconds(50))
        let (held, holding) = AsyncStream<Void>.makeStream()
        let (done, finish) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await turn.run { () async throws -> Int in
                holding.yield()
                for await _ in done { break }
                return 1
            }
        }
        for await _ in held { break }
        await #expect(throws: WriterTurn.Timeout.self) { try await turn.run { 2 } }
        finish.yield()
        #expect(try await holder.value == 1)
        #expect(try await turn.run { 3 } == 3)
    }

    @Test("Reads go straight through; anything else waits its turn")
    func whatWrites() {
        #expect(!DatabaseGate.writes("SELECT 1"))
        #expect(!DatabaseGate.writes("  (SELECT x FROM a) UNION (SELECT y FROM b)"))
        #expect(!DatabaseGate.writes("select * from users"))
        for statement in ["UPDATE events SET a = a", "INSERT INTO x VALUES (1)", "DELETE FROM x", "WITH t AS (SELECT 1) DELETE FROM x",
                          "PRAGMA optimize", "CREATE INDEX i ON t(c)", "BEGIN TRANSACTION"] {
            #expect(DatabaseGate.writes(statement), "\(statement)")
        }
    }
}

@Suite("QR codes")
struct QRCodeTests {
    @Test("A short link becomes the smallest version that holds it, with its three finder patterns; too long a text is refused")
    func structure() throws {
        let short = try #require(QRCode("https://maillon.example/sign/ABC234"))
        #expect(short.size == 29, "35 bytes: version 3")
        for (left, top) in [(0, 0), (short.size - 7, 0), (0, short.size - 7)] {
            #expect((0..<7).allSatisfy { short[left + $0, top] && short[left + $0, top + 6] && short[left, top + $0] && short[left + 6, top + $0] })
            #expect(short[left + 3, top + 3] && !short[left + 1, top + 1])
        }
        #expect(QRCode(String(repeating: "x", count: 214)) == nil)
        #expect(QRCode(String(repeating: "x", count: 150))?.size == 49, "version 8")
        let svg = short.svg(label: "Lien <court>")
        #expect(svg.hasPrefix("<svg") && svg.contains("aria-label=\"Lien &lt;court>\"") && svg.contains("M4 4h1v1h-1z"))
    }
}
