import NIOCore
import Vapor

/// The public folder's files (CSS, scripts, icons), asked for only with a path a file could have:
/// a path longer than the file system allows made Vapor's file middleware fail with a 500; such a
/// request now goes on to the routes, which answer 404.
///
/// Browsers and proxies keep them an hour (`Cache-Control: max-age`), then ask again with the file's
/// `ETag` and get a `304` while it is unchanged. An hour, not a year: the files' names carry no
/// version, so a deployment's new stylesheet reaches everyone within the hour.
struct StaticFiles: AsyncMiddleware {
    let files: FileMiddleware
    static let maxAge: TimeAmount = .hours(1)

    init(publicDirectory: String) {
        files = FileMiddleware(publicDirectory: publicDirectory, cachePolicy: .cacheUpToDuration(Self.maxAge))
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
