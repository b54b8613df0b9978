import Vapor

/// One line per request: method, path (never the query string, which may carry a token),
/// status and duration. The request id travels in the logger's metadata.
struct RequestLogMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next.respond(to: request)
        let elapsed = ContinuousClock.now - start
        // Tenths of a millisecond, written without a formatter (this runs for every request).
        let tenths = elapsed.components.seconds * 10_000 + elapsed.components.attoseconds / 100_000_000_000_000
        response.headers.replaceOrAdd(name: .xRequestId, value: request.id)
        request.logger.info("request", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(request.url.path),
            "status": .stringConvertible(response.status.code),
            "ms": .string("\(tenths / 10).\(tenths % 10)"),
        ])
        return response
    }
}
