import Vapor

/// The public folder's files (CSS, scripts, icons), asked for only with a path a file could have:
/// a path longer than the file system allows made Vapor's file middleware fail with a 500; such a
/// request now goes on to the routes, which answer 404.
struct StaticFiles: AsyncMiddleware {
    let files: FileMiddleware

    init(publicDirectory: String) {
        files = FileMiddleware(publicDirectory: publicDirectory)
    }

    static func couldBeAFile(_ path: String) -> Bool {
        path.utf8.count <= 1024 && path.split(separator: "/").allSatisfy { $0.utf8.count <= 255 }
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method == .GET || request.method == .HEAD, Self.couldBeAFile(request.url.path) else {
            return try await next.respond(to: request)
        }
        return try await files.respond(to: request, chainingTo: next).get()
    }
}
