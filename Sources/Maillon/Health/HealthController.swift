import SQLKit
import Vapor

/// `/healthz`: the process answers. `/readyz`: the database answers too.
struct HealthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.healthz)) { _ in "ok" }
        routes.get(SiteURL.route(SiteURL.readyz), use: ready)
    }

    @Sendable func ready(req: Request) async throws -> Response {
        do {
            _ = try await (req.db as! any SQLDatabase).raw("SELECT 1 AS one").first()
            return Response(status: .ok, body: "ready")
        } catch {
            req.logger.warning("Database not ready", metadata: ["error": .string(String(describing: type(of: error)))])
            return Response(status: .serviceUnavailable, body: "database unavailable")
        }
    }
}
