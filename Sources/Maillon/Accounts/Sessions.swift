import Fluent
import Foundation
import SQLKit
import Vapor

/// The request's view of its browser session. Request-local: created by `SessionMiddleware`,
/// read and changed by handlers through the `Request` helpers below.
final class SessionContext: @unchecked Sendable {
    var record: UserSession?
    var user: User?
    /// A fresh secret to send as the cookie (new or rotated session).
    var newToken: String?
    var expireCookie = false
    /// The chapters the signed-in person runs as an ambassador.
    var ambassadorOf: Set<UUID> = []
    /// The organisations an organisation contact acts for.
    var contactOf: Set<UUID> = []
    /// Whether a current charter waits for the signed-in person's acceptance (read with the account).
    var owesCharter = false
    /// Until when the signed-in person is suspended, if they are (read with the account).
    var suspendedUntil: Date?
    /// A visitor without a session: the random value of their CSRF cookie (no row is written for them).
    var anonymousCSRFCookie: String?
    var newAnonymousCSRFCookie = false
    /// Messages for the next page, sent back in the flash cookie.
    var flashOut: [FlashMessage] = []
    /// The request's flash cookie was read (and is to be cleared).
    var flashTaken = false
}

struct FlashMessage: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable { case success, info, error }
    var kind: Kind
    var key: String
    /// For a count in words: `key.one` / `key.other` is chosen in the reader's language.
    var count: Int? = nil
}

extension Request {
    private struct SessionContextKey: StorageKey { typealias Value = SessionContext }

    var sessionContext: SessionContext {
        if let context = storage[SessionContextKey.self] { return context }
        let context = SessionContext()
        storage[SessionContextKey.self] = context
        return context
    }

    /// The signed-in person, if any.
    public var currentUser: User? { sessionContext.user }

    /// The client's address; `X-Forwarded-For` is believed only when `TRUST_PROXY_HEADERS` is on.
    var clientIP: String {
        if maillon.settings.trustProxyHeaders,
           let forwarded = headers.first(name: .xForwardedFor)?.split(separator: ",").first {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return remoteAddress?.ipAddress ?? "unknown"
    }

    /// Makes sure this browser has a session row (for the CSRF token, language) and returns it.
    @discardableResult
    func ensureSession() async throws -> UserSession {
        if let record = sessionContext.record { return record }
        return try await SessionStore(request: self).create(user: nil, carrying: nil)
    }

    /// The CSRF token for this page's forms. With a session, the session's own; a visitor without one gets
    /// a signed double-submit token: a random cookie, and the form carries its HMAC (OWASP's "signed
    /// double-submit cookie"), so a page view writes nothing to the database.
    func csrfToken() async throws -> String {
        if let record = sessionContext.record { return record.csrfToken }
        let context = sessionContext
        if context.anonymousCSRFCookie == nil {
            context.anonymousCSRFCookie = Secret.generate()
            context.newAnonymousCSRFCookie = true
        }
        return try await Self.anonymousToken(for: context.anonymousCSRFCookie ?? "", on: self)
    }

    /// The token a visitor's form must carry for their CSRF cookie.
    static func anonymousToken(for cookie: String, on request: Request) async throws -> String {
        try await AppKeys(database: request.db, cache: request.application.appKeyCache).sign("csrf." + cookie, with: "csrf-hmac")
    }

    /// A message for the next page. It travels in a signed cookie with the redirect, not in the session:
    /// a form's answer writes nothing for it, and neither does the page that shows it.
    func flash(_ kind: FlashMessage.Kind, _ key: String, count: Int? = nil) async throws {
        sessionContext.flashOut.append(FlashMessage(kind: kind, key: key, count: count))
    }

    /// Returns and clears the messages waiting for this page: those the browser brought back, then any
    /// left by this very request.
    func takeFlash() async throws -> [FlashMessage] {
        let context = sessionContext
        var messages: [FlashMessage] = []
        if !context.flashTaken, let cookie = cookies[SessionMiddleware.flashCookieName(maillon.settings)]?.string, !cookie.isEmpty {
            context.flashTaken = true
            messages = try await FlashCookie(request: self).read(cookie)
        }
        messages += context.flashOut
        context.flashOut = []
        return messages
    }
}

/// The flash cookie's value: the messages as base64url JSON and their HMAC, so only Maillon's own
/// messages are ever shown (a forged or altered cookie shows nothing).
struct FlashCookie {
    let request: Request
    static let maxAge = 600

    func write(_ messages: [FlashMessage]) async throws -> String {
        let payload = try JSONEncoder().encode(messages).base64URL
        return payload + "." + (try await mac(payload))
    }

    func read(_ value: String) async throws -> [FlashMessage] {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, value.utf8.count <= 2_000 else { return [] }
        let expected = try await mac(String(parts[0]))
        guard Secret.matches(expected, String(parts[1])) else { return [] }
        var base64 = parts[0].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return [] }
        return (try? JSONDecoder().decode([FlashMessage].self, from: data)) ?? []
    }

    private func mac(_ payload: String) async throws -> String {
        try await AppKeys(database: request.db, cache: request.application.appKeyCache).sign("flash." + payload, with: "flash-hmac")
    }
}

/// Creating, rotating and ending sessions: the only code that writes the `sessions` table.
struct SessionStore {
    let request: Request

    private var context: SessionContext { request.sessionContext }
    private var now: Date { request.now }

    @discardableResult
    func create(user: User?, carrying previous: UserSession?, createdAt: Date? = nil) async throws -> UserSession {
        let token = Secret.generate()
        let record = UserSession()
        record.tokenHash = Secret.digest(token)
        record.csrfToken = Secret.generate()
        record.$user.id = try user?.requireID()
        record.locale = previous?.locale
        record.userAgent = request.headers.first(name: .userAgent).map { String($0.prefix(300)) }
        record.ipAddress = request.clientIP
        record.createdAt = createdAt ?? now
        record.lastSeenAt = now
        try await record.create(on: request.db)
        context.record = record
        context.user = user
        context.newToken = token
        return record
    }

    /// Sign-in: the old session (and its id and CSRF token) is destroyed and a new one made.
    func signIn(_ user: User) async throws {
        let previous = context.record
        try await previous?.delete(on: request.db)
        try await create(user: user, carrying: previous)
    }

    /// Privilege or credential change: new id and CSRF token, same person, same lifetime.
    func rotate() async throws {
        guard let previous = context.record else { return }
        try await previous.delete(on: request.db)
        try await create(user: context.user, carrying: previous, createdAt: previous.createdAt)
    }

    func signOut() async throws {
        try await context.record?.delete(on: request.db)
        context.record = nil
        context.user = nil
        context.newToken = nil
        context.expireCookie = true
    }

    func signOutEverywhereElse() async throws {
        guard let user = context.user, let current = context.record?.id else { return }
        try await UserSession.query(on: request.db)
            .filter(\.$user.$id == user.requireID())
            .filter(\.$id != current)
            .delete()
    }

    static func isExpired(_ record: UserSession, now: Date, settings: Settings) -> Bool {
        now.timeIntervalSince(record.lastSeenAt) > settings.sessionIdleTimeout
            || now.timeIntervalSince(record.createdAt) > settings.sessionAbsoluteLifetime
    }
}

/// Loads the session named by the cookie, enforces idle and absolute expiry, renders errors
/// (so error pages still know the reader), and writes the cookie on the way out.
struct SessionMiddleware: AsyncMiddleware {
    /// `last_seen_at` is written at most this often, not on every request.
    static let touchInterval: TimeInterval = 60

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let settings = request.maillon.settings
        let context = request.sessionContext
        let cookieName = Self.cookieName(settings)
        if let anonymous = request.cookies[Self.csrfCookieName(settings)]?.string, anonymous.utf8.count == 43 {
            context.anonymousCSRFCookie = anonymous
        }
        if let token = request.cookies[cookieName]?.string, !token.isEmpty, token.utf8.count <= 100 {
            let now = request.now
            let rows = try await Self.load(tokenHash: Secret.digest(token), now: now, on: request.db)
            if let first = rows.first {
                let record = try PrefixedRow(row: first, prefix: "s_").decode(fluentModel: UserSession.self)
                if SessionStore.isExpired(record, now: now, settings: settings) {
                    try await record.delete(on: request.db)
                    context.expireCookie = true
                } else {
                    if now.timeIntervalSince(record.lastSeenAt) > Self.touchInterval {
                        record.lastSeenAt = now
                        try await record.save(on: request.db)
                    }
                    context.record = record
                    if record.$user.id != nil { try Self.readAccount(rows, into: context) }
                }
            } else {
                context.expireCookie = true
            }
        }

        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            response = await ErrorPages.response(for: error, on: request)
        }
        if !context.flashOut.isEmpty {
            response.cookies[Self.flashCookieName(settings)] = HTTPCookies.Value(
                string: try await FlashCookie(request: request).write(context.flashOut), maxAge: FlashCookie.maxAge, path: "/",
                isSecure: settings.isHTTPS, isHTTPOnly: true, sameSite: .lax)
        } else if context.flashTaken {
            response.cookies[Self.flashCookieName(settings)] = HTTPCookies.Value(
                string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/", isSecure: settings.isHTTPS, isHTTPOnly: true, sameSite: .lax)
        }
        Self.writeCookie(context, to: response, settings: settings)
        return response
    }

    /// The session named by the cookie, and its account with what every page asks about it, in one
    /// query: the chapters it runs as an ambassador, the organisations it acts for, whether a newer
    /// charter waits for it, and until when it is suspended. The session's columns come prefixed `s_`;
    /// one row per mandate or organisation (at least one).
    static func load(tokenHash: String, now: Date, on db: any Database) async throws -> [any SQLRow] {
        let sessionColumns = SQLList(UserSession.keys.map { key in
            SQLAlias(SQLColumn(SQLIdentifier(key.description), table: SQLIdentifier("s")), as: SQLIdentifier("s_" + key.description))
        })
        return try await (db as! any SQLDatabase).raw("""
            SELECT \(sessionColumns), u.*, a.chapter_id AS ambassador_of, o.organisation_id AS contact_of,
              CASE WHEN EXISTS (SELECT 1 FROM \(ident: Charter.schema) c WHERE c.version = (SELECT MAX(version) FROM \(ident: Charter.schema))
                AND NOT EXISTS (SELECT 1 FROM \(ident: CharterAcceptance.schema) ca WHERE ca.charter_id = c.id AND ca.user_id = u.id)) THEN 1 ELSE 0 END AS owes_charter,
              (SELECT MAX(p.until) FROM \(ident: Suspension.schema) p WHERE p.user_id = u.id AND p.until > \(bind: now)) AS suspended_until
            FROM \(ident: UserSession.schema) s
            LEFT JOIN \(ident: User.schema) u ON u.id = s.user_id
            LEFT JOIN \(ident: Ambassadorship.schema) a ON a.user_id = u.id
            LEFT JOIN \(ident: OrganisationContact.schema) o ON o.user_id = u.id
            WHERE s.token_hash = \(bind: tokenHash)
            """).all()
    }

    /// The account's part of `load`'s rows (none when the account is gone).
    static func readAccount(_ rows: [any SQLRow], into context: SessionContext) throws {
        guard let first = rows.first, try !first.decodeNil(column: "id") else { return }
        let user = try first.decode(fluentModel: User.self)
        context.user = user
        let owes = try first.decode(column: "owes_charter", as: Int.self)
        context.owesCharter = user.isMember && owes == 1
        context.suspendedUntil = try first.decode(column: "suspended_until", as: Date?.self)
        for row in rows {
            if let chapter = try row.decode(column: "ambassador_of", as: UUID?.self), user.role != .organisationContact { context.ambassadorOf.insert(chapter) }
            if let organisation = try row.decode(column: "contact_of", as: UUID?.self), user.role == .organisationContact { context.contactOf.insert(organisation) }
        }
    }

    static func cookieName(_ settings: Settings) -> String {
        settings.isHTTPS ? "__Host-maillon_session" : "maillon_session"
    }

    static func csrfCookieName(_ settings: Settings) -> String {
        settings.isHTTPS ? "__Host-maillon_csrf" : "maillon_csrf"
    }

    static func flashCookieName(_ settings: Settings) -> String {
        settings.isHTTPS ? "__Host-maillon_flash" : "maillon_flash"
    }

    static func writeCookie(_ context: SessionContext, to response: Response, settings: Settings) {
        let name = cookieName(settings)
        if let token = context.newToken {
            response.cookies[name] = HTTPCookies.Value(
                string: token,
                maxAge: Int(settings.sessionAbsoluteLifetime),
                path: "/",
                isSecure: settings.isHTTPS,
                isHTTPOnly: true,
                sameSite: .lax
            )
        } else if context.expireCookie {
            response.cookies[name] = HTTPCookies.Value(
                string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/",
                isSecure: settings.isHTTPS, isHTTPOnly: true, sameSite: .lax
            )
        }
        if context.newAnonymousCSRFCookie {
            // A session cookie (no Max-Age): it lives as long as the browser, like the forms that carry its HMAC.
            response.cookies[csrfCookieName(settings)] = HTTPCookies.Value(
                string: context.anonymousCSRFCookie ?? "", path: "/", isSecure: settings.isHTTPS, isHTTPOnly: true, sameSite: .lax)
        }
        // Pages that depend on the session (or carry a visitor's token) must never be stored by a shared cache.
        if context.record != nil || context.newToken != nil || context.anonymousCSRFCookie != nil || !context.flashOut.isEmpty || context.flashTaken {
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
    }
}

/// One query's row seen through a prefix: `s_id` read as `id`, so a model can be decoded from its
/// aliased columns beside another model's.
struct PrefixedRow: SQLRow {
    let row: any SQLRow
    let prefix: String

    var allColumns: [String] { row.allColumns.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) } }
    func contains(column: String) -> Bool { row.contains(column: prefix + column) }
    func decodeNil(column: String) throws -> Bool { try row.decodeNil(column: prefix + column) }
    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D { try row.decode(column: prefix + column, as: type) }
}
