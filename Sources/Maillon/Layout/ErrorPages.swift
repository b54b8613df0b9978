import Vapor

/// Errors the pages raise on purpose, each with its status and the catalogue key that explains it.
enum PageError: Error, AbortError {
    case csrf
    case notFound
    case forbidden
    case tooManyRequests

    var status: HTTPResponseStatus {
        switch self {
        case .csrf, .forbidden: .forbidden
        case .notFound: .notFound
        case .tooManyRequests: .tooManyRequests
        }
    }

    var reason: String { "\(self)" }

    var messageKey: String? {
        switch self {
        case .csrf: "error.csrf.message"
        default: nil
        }
    }
}

/// Turns any error into a page that explains it in the reader's language without leaking internals.
/// Used by the session middleware (so error pages know the reader) and, outermost, for anything else.
enum ErrorPages {
    static let explained: Set<UInt> = [400, 403, 404, 405, 413, 429, 500]

    struct Model: Encodable, Sendable {
        let status: UInt
        let heading: String
        let message: String
        let reference: String?
    }

    static func response(for error: any Error, on request: Request) async -> Response {
        let status = (error as? any AbortError)?.status ?? .internalServerError
        if status == .unauthorized {
            let next = request.method == .GET ? request.url.path : nil
            let location = next.map { "\(SiteURL.signIn)?next=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/")" } ?? SiteURL.signIn
            return request.redirect(to: location, redirectType: .normal)
        }
        let code: UInt = explained.contains(status.code) ? status.code : (status.code >= 500 ? 500 : 400)
        if status.code >= 500 {
            request.logger.error("Unhandled error", metadata: ["error": .string(String(reflecting: error))])
        } else {
            request.logger.debug("Request refused", metadata: ["status": .stringConvertible(status.code)])
        }
        let t = request.t
        let model = Model(
            status: status.code,
            heading: t("error.\(code).title"),
            message: t((error as? PageError)?.messageKey ?? "error.\(code).message"),
            reference: code == 500 ? request.id : nil
        )
        var csrf = request.sessionContext.record?.csrfToken
        if csrf == nil { csrf = try? await request.csrfToken() }
        let layout = request.makeLayout(title: model.heading, csrf: csrf, flash: [])
        do {
            let response = try await request.render("error", PageContext(locale: request.locale.rawValue, layout: layout, page: model), status: status)
            if status == .methodNotAllowed, let abort = error as? any AbortError { response.headers.add(contentsOf: abort.headers) }
            return response
        } catch {
            request.logger.error("Error page failed to render", metadata: ["error": .string(String(reflecting: error))])
            let response = Response(status: status, body: .init(string: "\(status.code) \(model.heading)"))
            response.headers.contentType = .plainText
            return response
        }
    }
}

/// Outermost catch: whatever escaped (a static file refused, the database down while loading the
/// session) still becomes an error page.
struct ErrorPageMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return await ErrorPages.response(for: error, on: request)
        }
    }
}
