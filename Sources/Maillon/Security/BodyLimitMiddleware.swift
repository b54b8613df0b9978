import Vapor

/// Refuses an oversized body before anything reads it: by its declared length, or by what has
/// already arrived. Streamed bodies are also capped when collected (`Request.formValues`).
struct BodyLimitMiddleware: AsyncMiddleware {
    let maxBytes: Int
    /// Routes that accept more (uploads), by path.
    var larger: [String: Int] = [:]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let maxBytes = larger[request.url.path] ?? self.maxBytes
        if let declared = request.headers.first(name: .contentLength).flatMap(Int.init), declared > maxBytes {
            throw Abort(.payloadTooLarge)
        }
        if let data = request.body.data, data.readableBytes > maxBytes {
            throw Abort(.payloadTooLarge)
        }
        return try await next.respond(to: request)
    }
}
