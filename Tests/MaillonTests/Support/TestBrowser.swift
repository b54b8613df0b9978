import Foundation
@testable import Maillon
import NIOConcurrencyHelpers
import Testing
import Vapor
import VaporTesting

/// A small browser for tests: keeps cookies, reads the CSRF token from the last page, submits forms.
final class TestBrowser: @unchecked Sendable {
    let app: Application
    let ip: String
    let language: String?
    /// Off for tests that drive the job queue by hand.
    let runsJobs: Bool
    let userAgent: String
    private let state = NIOLockedValueBox<(cookies: [String: String], csrf: String?)>(([:], nil))

    init(app: Application, ip: String, language: String?, runsJobs: Bool = true,
         userAgent: String = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0") {
        self.app = app
        self.userAgent = userAgent
        self.runsJobs = runsJobs
        self.ip = ip
        self.language = language
    }

    var cookies: [String: String] { state.withLockedValue { $0.cookies } }
    var csrfToken: String? { state.withLockedValue { $0.csrf } }

    func setCookie(_ name: String, _ value: String?) {
        state.withLockedValue { $0.cookies[name] = value }
    }

    @discardableResult
    func get(_ path: String, headers extra: [(String, String)] = []) async throws -> TestingHTTPResponse {
        try await send(.GET, path, headers: extra, body: nil)
    }

    /// Posts a form; the page's CSRF token is added unless `csrf` is false (an existing page is fetched first if needed).
    @discardableResult
    func post(_ path: String, _ form: [String: String] = [:], csrf: Bool = true, headers extra: [(String, String)] = []) async throws -> TestingHTTPResponse {
        var fields = form
        if csrf, fields["_csrf"] == nil {
            if csrfToken == nil { try await get("/") }
            fields["_csrf"] = csrfToken
        }
        let body = fields.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        return try await send(.POST, path, headers: [("Content-Type", "application/x-www-form-urlencoded")] + extra, body: ByteBuffer(string: body))
    }

    /// Posts a multipart form with one file, the CSRF token included.
    @discardableResult
    func upload(_ path: String, field: String, filename: String, contentType: String, bytes: [UInt8], csrf: Bool = true) async throws -> TestingHTTPResponse {
        if csrfToken == nil { try await get("/") }
        let boundary = "maillon-test-boundary"
        var body = ByteBuffer()
        if csrf, let token = csrfToken {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(token)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n")
        body.writeBytes(bytes)
        body.writeString("\r\n--\(boundary)--\r\n")
        return try await send(.POST, path, headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)"), ("Content-Length", String(body.readableBytes))], body: body)
    }

    func send(_ method: HTTPMethod, _ path: String, headers extra: [(String, String)], body: ByteBuffer?) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: .xForwardedFor, value: ip)
        headers.add(name: .userAgent, value: userAgent)
        if let language { headers.add(name: .acceptLanguage, value: language) }
        let cookieHeader = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        if !cookieHeader.isEmpty { headers.add(name: .cookie, value: cookieHeader) }
        for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
        let response = try await app.testing().sendRequest(method, path, headers: headers, body: body)
        absorb(response)
        // As the workers would: run the jobs (mail…) the request enqueued.
        if runsJobs { await JobRunner(application: app).drain() }
        return response
    }

    private func absorb(_ response: TestingHTTPResponse) {
        state.withLockedValue { state in
            for header in response.headers[.setCookie] {
                let pair = header.split(separator: ";", maxSplits: 1).first ?? ""
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard let name = parts.first else { continue }
                let value = parts.count > 1 ? parts[1] : ""
                let expired = header.contains("Max-Age=0") || value.isEmpty
                // A new session or CSRF cookie means a new CSRF token (the flash cookie changes nothing).
                if !name.contains("flash"), state.cookies[name] != (expired ? nil : value) { state.csrf = nil }
                state.cookies[name] = expired ? nil : value
            }
            // A new or rotated session has a new CSRF token: like a browser, read it from the next page.
            if let token = Self.csrf(in: response.body.string) { state.csrf = token }
        }
    }

    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: "name=\"_csrf\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

extension TestingHTTPResponse {
    var location: String? { headers.first(name: .location) }
    var html: String { body.string }
}
