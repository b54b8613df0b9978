import Vapor

/// Every state-changing request must carry the session's CSRF token, in the `_csrf` form field or
/// the `X-CSRF-Token` header. Without a session there is no valid token, so the request is refused.
struct CSRFMiddleware: AsyncMiddleware {
    static let fieldName = "_csrf"
    /// Posts that carry their own signed proof and come from outside a browser session
    /// (a mail client's one-click unsubscribe, RFC 8058).
    static let selfAuthenticating: Set<String> = [SiteURL.unsubscribe]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard [.GET, .HEAD, .OPTIONS].contains(request.method) == false, !Self.selfAuthenticating.contains(request.url.path) else {
            return try await next.respond(to: request)
        }
        guard let expected = request.sessionContext.record?.csrfToken else { throw PageError.csrf }
        var sent = try await request.formValues()[Self.fieldName] ?? request.headers.first(name: "X-CSRF-Token")
        if sent == nil, request.headers.contentType == .formData {
            // A form with a file: read the one field, not the whole form as text.
            sent = try? request.content.get(String.self, at: Self.fieldName)
        }
        guard let sent, Secret.matches(sent, expected) else { throw PageError.csrf }
        return try await next.respond(to: request)
    }
}

extension Request {
    private struct FormValuesKey: StorageKey { typealias Value = [String: String] }

    /// The submitted form as plain strings. Anything that is not a well-formed form (JSON, garbage,
    /// repeated keys) reads as an empty form, so handlers answer with validation errors, never a 500.
    func formValues() async throws -> [String: String] {
        if let cached = storage[FormValuesKey.self] { return cached }
        let limit = url.path == SiteURL.myPhoto ? PhotoController.uploadLimit : maillon.settings.maxBodySize.value
        _ = try await body.collect(max: limit).get()
        let values: [String: String]
        if let type = headers.contentType, type == .urlEncodedForm || type == .formData {
            values = (try? content.decode([String: String].self)) ?? [:]
        } else {
            values = [:]
        }
        storage[FormValuesKey.self] = values
        return values
    }
}
