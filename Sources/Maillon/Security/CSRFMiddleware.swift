import Vapor

/// Every state-changing request must carry the CSRF token, in the `_csrf` form field or the
/// `X-CSRF-Token` header: the session's own, or, for a visitor without a session, the HMAC of their
/// CSRF cookie. The token is checked before the form is parsed, so a forged post with a huge form
/// costs a scan of its bytes, not a decoding of every field.
struct CSRFMiddleware: AsyncMiddleware {
    static let fieldName = "_csrf"
    /// Posts that carry their own signed proof and come from outside a browser session
    /// (a mail client's one-click unsubscribe, RFC 8058).
    static let selfAuthenticating: Set<String> = [SiteURL.unsubscribe]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard [.GET, .HEAD, .OPTIONS].contains(request.method) == false, !Self.selfAuthenticating.contains(request.url.path) else {
            return try await next.respond(to: request)
        }
        let expected: String
        if let record = request.sessionContext.record {
            expected = record.csrfToken
        } else if let cookie = request.sessionContext.anonymousCSRFCookie {
            expected = try await Request.anonymousToken(for: cookie, on: request)
        } else {
            throw PageError.csrf
        }
        guard let sent = try await Self.sentToken(request), Secret.matches(sent, expected) else { throw PageError.csrf }
        return try await next.respond(to: request)
    }

    /// The token as sent: the header, else the `_csrf` field read straight from the body's bytes.
    static func sentToken(_ request: Request) async throws -> String? {
        if let header = request.headers.first(name: "X-CSRF-Token") { return header }
        let limit = request.url.path == SiteURL.myPhoto ? PhotoController.uploadLimit : request.maillon.settings.maxBodySize.value
        guard let body = try await request.body.collect(max: limit).get() else { return nil }
        if request.headers.contentType == .urlEncodedForm {
            return FormScan.field(fieldName, in: body)
        }
        if request.headers.contentType == .formData {
            // A form with a file: read the one field, not the whole form as text.
            return try? request.content.get(String.self, at: fieldName)
        }
        return nil
    }
}

/// Cheap looks at an `application/x-www-form-urlencoded` body, before (or instead of) decoding it.
enum FormScan {
    /// The value of the first `name=` field, percent-decoded; one pass over the bytes.
    static func field(_ name: String, in body: ByteBuffer) -> String? {
        let key = Array((name + "=").utf8)
        return body.withUnsafeReadableBytes { bytes -> String? in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "&") { end += 1 }
                if end - start >= key.count, bytes[start..<(start + key.count)].elementsEqual(key) {
                    let raw = String(decoding: bytes[(start + key.count)..<end], as: UTF8.self)
                    return raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
                }
                start = end + 1
            }
            return nil
        }
    }

    /// How many fields the body has (its `&`-separated parts).
    static func fieldCount(_ body: ByteBuffer) -> Int {
        body.withUnsafeReadableBytes { bytes in bytes.reduce(into: 1) { if $1 == UInt8(ascii: "&") { $0 += 1 } } }
    }
}

extension Request {
    private struct FormValuesKey: StorageKey { typealias Value = [String: String] }

    /// No form of Maillon's has more fields; a body with more is refused before it is decoded.
    static let maximumFormFields = 500

    /// The submitted form as plain strings, NFC-normalised. Anything that is not a well-formed form
    /// (JSON, garbage, repeated keys) reads as an empty form, so handlers answer with validation
    /// errors, never a 500.
    func formValues() async throws -> [String: String] {
        if let cached = storage[FormValuesKey.self] { return cached }
        let limit = url.path == SiteURL.myPhoto ? PhotoController.uploadLimit : maillon.settings.maxBodySize.value
        let body = try await self.body.collect(max: limit).get()
        var values: [String: String] = [:]
        if let type = headers.contentType, type == .urlEncodedForm || type == .formData {
            if type == .urlEncodedForm, let body, FormScan.fieldCount(body) > Self.maximumFormFields { throw Abort(.payloadTooLarge) }
            values = ((try? content.decode([String: String].self)) ?? [:]).mapValues(TextInput.normalise)
        }
        storage[FormValuesKey.self] = values
        return values
    }
}
