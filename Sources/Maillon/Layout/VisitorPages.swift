import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Public pages as a visitor sees them (no account, no message waiting), kept `lifetime` seconds per
/// instance and language (`VISITOR_PAGE_SECONDS`; 0 turns it off): an event page shared on a social
/// network is drawn once every second or two, not once for each of its readers. Nginx calls this
/// micro-caching; it lives in the application because only the application knows who is a visitor.
///
/// The one thing that differs between visitors is the CSRF token of the page's forms (the language
/// switch): a page is kept cut at its token and sewn back with each visitor's own. The page is derived
/// from the database, so no other instance needs it. Registering, which decides a seat, never reads it.
///
/// When a page goes stale, the first visitor draws it again while the others are still given the old
/// one, rather than every visitor of that moment drawing it at once (a burst of slow answers every
/// `lifetime` seconds). A copy is so at most twice `lifetime` old: a visitor who finds the drawing
/// taking longer than `lifetime` draws it too. Small and hand-written: a dictionary behind a lock with
/// a clock, like the directory's counts.
final class VisitorPageCache: Sendable {
    struct Page: Sendable {
        /// The page's text between its CSRF tokens.
        let parts: [String]
        let contentType: String
        let storedAt: Date
    }

    private struct Entry {
        var page: Page
        /// Since when a visitor has been drawing the page again, if one is.
        var redrawnSince: Date?
    }

    let lifetime: TimeInterval
    let capacity: Int
    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    init(lifetime: TimeInterval, capacity: Int = 500) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The page to give, or nil when this caller is to draw it (and then `store` it, or `abandon`).
    func page(_ key: String, now: Date) -> Page? {
        entries.withLockedValue { entries in
            guard var entry = entries[key] else { return nil }
            if now.timeIntervalSince(entry.page.storedAt) < lifetime { return entry.page }
            if let since = entry.redrawnSince, now.timeIntervalSince(since) < lifetime { return entry.page }
            entry.redrawnSince = now
            entries[key] = entry
            return nil
        }
    }

    func store(_ page: Page, as key: String) {
        entries.withLockedValue { entries in
            if entries.count >= capacity, entries[key] == nil {
                entries = entries.filter { page.storedAt.timeIntervalSince($0.value.page.storedAt) < lifetime }
                if entries.count >= capacity { entries.removeAll() }
            }
            entries[key] = Entry(page: page)
        }
    }

    /// The drawing did not give a page to keep (an error, a redirect): the next visitor draws it.
    func abandon(_ key: String) {
        entries.withLockedValue { $0[key]?.redrawnSince = nil }
    }
}

extension Request {
    /// A page whose visitors all read the same text for the same path and language: for a visitor it is
    /// served from the instance's copy while that is fresh, else drawn by `render` and kept. A signed-in
    /// reader, a visitor with a message waiting, or an answer other than 200 always goes to `render`.
    func visitorPage(_ render: () async throws -> Response) async throws -> Response {
        let cache = application.visitorPages
        guard cache.lifetime > 0, currentUser == nil, sessionContext.flashOut.isEmpty,
              cookies[SessionMiddleware.flashCookieName(maillon.settings)] == nil
        else { return try await render() }
        let key = "\(locale.rawValue) \(url.path)"
        let now = self.now
        let token = try await csrfToken()
        if let page = cache.page(key, now: now) {
            var body = ByteBufferAllocator().buffer(capacity: page.parts.reduce(0) { $0 + $1.utf8.count } + token.utf8.count * (page.parts.count - 1))
            for (index, part) in page.parts.enumerated() {
                if index > 0 { body.writeString(token) }
                body.writeString(part)
            }
            return Response(status: .ok, headers: [HTTPHeaders.Name.contentType.description: page.contentType], body: .init(buffer: body))
        }
        let response: Response
        do {
            response = try await render()
        } catch {
            cache.abandon(key)
            throw error
        }
        if response.status == .ok, let body = response.body.buffer, let contentType = response.headers.first(name: .contentType) {
            cache.store(.init(parts: String(buffer: body).components(separatedBy: token), contentType: contentType, storedAt: now), as: key)
        } else {
            cache.abandon(key)
        }
        return response
    }
}

extension Application {
    private struct VisitorPageCacheKey: StorageKey { typealias Value = VisitorPageCache }

    var visitorPages: VisitorPageCache {
        get {
            guard let cache = storage[VisitorPageCacheKey.self] else { fatalError("Visitor pages used before configure(_:)") }
            return cache
        }
        set { storage[VisitorPageCacheKey.self] = newValue }
    }
}
