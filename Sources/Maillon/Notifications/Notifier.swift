import Crypto
import Fluent
import NIOConcurrencyHelpers
import Foundation
import SQLKit
import Vapor

/// The one way a feature tells someone something: it follows their preference for the kind.
/// Call it with the transaction of the change it is about.
struct Notifier {
    let application: Application
    let database: any Database
    let now: Date

    struct Message: Sendable {
        var kind: NotificationKind
        /// Catalogue key of the one-line text; `<key>.subject` is the email subject.
        var textKey: String
        var arguments: [String] = []
        /// A local path (`/…`) to what it is about.
        var link: String? = nil
        /// Sent with the email, if it goes by email (a calendar invitation).
        var attachments: [MailAttachment] = []
        /// Extra paragraphs for the email only (a message from organisers).
        var mailParagraphs: [String] = []
        /// A last line for the email only, from the catalogue in the reader's language (who reads replies).
        var mailNote: (key: String, arguments: [String])? = nil
        var replyTo: String? = nil
        /// The person the notification names (a newcomer, an applicant): erasing them scrubs it.
        var subject: UUID? = nil
    }

    static func channel(for kind: NotificationKind, userID: UUID, on database: any Database) async throws -> NotificationChannel {
        let chosen = try await NotificationPreference.query(on: database)
            .filter(\.$user.$id == userID).filter(\.$kind == kind.id).first()?.channel
        guard let chosen, kind.choices.contains(chosen) else { return kind.defaultChannel }
        return chosen
    }

    func notify(_ user: User, _ message: Message) async throws {
        let userID = try user.requireID()
        let channel = try await Self.channel(for: message.kind, userID: userID, on: database)
        guard channel != .off else { return }
        let notification = AppNotification()
        notification.$user.id = userID
        notification.kind = message.kind.id
        notification.textKey = message.textKey
        notification.arguments = String(decoding: try JSONEncoder().encode(message.arguments), as: UTF8.self)
        notification.link = message.link
        notification.subjectUserID = message.subject
        notification.inApp = true
        notification.inDigest = channel == .digest
        notification.createdAt = now
        try await notification.create(on: database)

        if channel == .email {
            let locale = user.locale ?? .default
            let t = Translator(catalogue: application.maillon.catalogue, locale: locale)
            let base = application.maillon.settings.baseURL.absoluteString
            let content = MailContent(
                subject: t("\(message.textKey).subject", application.maillon.settings.communityName),
                greeting: t("mail.greeting", user.name),
                paragraphs: [t(message.textKey, message.arguments)] + message.mailParagraphs,
                action: message.link.map { .init(label: t("notifications.open"), url: base + $0) },
                closing: message.mailNote.map { [t($0.key, $0.arguments)] } ?? [],
                attachments: message.attachments,
                replyTo: message.replyTo
            )
            // Essential kinds cannot be turned off, so their mail offers no unsubscribe link.
            let unsubscribe = message.kind.essential ? nil : try await Unsubscribe(database: database).url(base: base, userID: userID, kind: message.kind)
            try await Outbox(application: application, database: database, now: now)
                .send(content, to: user.email, locale: locale, unsubscribeURL: unsubscribe)
        }
    }
}

extension Translator {
    func callAsFunction(_ key: String, _ arguments: [String]) -> String {
        catalogue.translate(key, locale, arguments)
    }
}

/// One-click unsubscribe links: the user and the kind, signed with a key kept in the database
/// (so every instance can check them, and no setting is needed).
struct Unsubscribe {
    let database: any Database

    static let keyName = "unsubscribe-hmac"

    func url(base: String, userID: UUID, kind: NotificationKind) async throws -> String {
        "\(base)\(SiteURL.unsubscribe)?token=\(try await token(userID: userID, kind: kind.id))"
    }

    func token(userID: UUID, kind: String) async throws -> String {
        let payload = "\(userID.uuidString).\(kind)"
        return "\(payload).\(try await signature(payload))"
    }

    /// The user and kind a token names, if its signature is right.
    func verify(_ token: String?) async throws -> (UUID, NotificationKind)? {
        guard let token, token.count < 300 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let userID = UUID(uuidString: parts[0]), let kind = NotificationKind.named(parts[1]) else { return nil }
        guard Secret.matches(try await signature("\(parts[0]).\(parts[1])"), parts[2]) else { return nil }
        return (userID, kind)
    }

    private func signature(_ payload: String) async throws -> String {
        try await AppKeys(database: database).sign(payload, with: Self.keyName)
    }
}

/// Secrets the instances share, created on first use and kept in the `app_keys` table. Read without
/// writing once they exist; with a `cache` (one per application), read once per process, since a key
/// never changes once made.
struct AppKeys {
    let database: any Database
    var cache: AppKeyCache? = nil

    func value(_ name: String) async throws -> String {
        if let cached = cache?.value(name) { return cached }
        let sql = database as! any SQLDatabase
        func read() async throws -> String? {
            try await sql.select().column("value").from("app_keys").where("name", .equal, name).first()?.decode(column: "value", as: String.self)
        }
        var key = try await read()
        if key == nil {
            try await sql.insert(into: "app_keys").columns("name", "value").values(SQLBind(name), SQLBind(Secret.generate()))
                .ignoringConflicts(with: ["name"]).run()
            key = try await read()
        }
        guard let key else { throw Abort(.internalServerError, reason: "app key \(name) missing") }
        cache?.store(name, key)
        return key
    }

    /// An HMAC-SHA256 of `payload` with the key `name`, base64url without padding (fit for a URL).
    func sign(_ payload: String, with name: String) async throws -> String {
        let key = try await value(name)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return Data(mac).base64URL
    }
}

/// The application's copy of the shared keys it has read (they never change once created).
final class AppKeyCache: Sendable {
    private let keys = NIOLockedValueBox<[String: String]>([:])

    func value(_ name: String) -> String? { keys.withLockedValue { $0[name] } }
    func store(_ name: String, _ key: String) { keys.withLockedValue { $0[name] = key } }
}

extension Application {
    private struct AppKeyCacheKey: StorageKey { typealias Value = AppKeyCache }

    /// Set once in `configure`, read by requests.
    var appKeyCache: AppKeyCache {
        get { storage[AppKeyCacheKey.self] ?? AppKeyCache() }
        set { storage[AppKeyCacheKey.self] = newValue }
    }
}
