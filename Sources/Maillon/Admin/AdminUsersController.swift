import Fluent
import Vapor

/// The admin's list of accounts, newest first.
struct AdminUsersController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.adminUsers), use: list)
    }

    struct Page: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let name: String
            let email: String
            let role: String
            let verified: Bool
            let createdAt: String
        }

        let heading: String
        let rows: [Row]
        let pagination: Pagination
    }

    /// The query, apart from the handler, so it can be tested alone.
    static func query(_ db: any Database, page: Int) async throws -> (users: [User], total: Int) {
        let total = try await User.query(on: db).count()
        let users = try await User.query(on: db)
            .sort(\.$createdAt, .descending).sort(\.$id)
            .range(((page - 1) * Pagination.perPage)..<(page * Pagination.perPage))
            .all()
        return (users, total)
    }

    @Sendable func list(req: Request) async throws -> Response {
        try req.authorize(.listUsers)
        let page = Pagination.requestedPage(req)
        let (users, total) = try await Self.query(req.db, page: page)
        let t = req.t
        let rows = users.map { user in
            Page.Row(name: user.name, email: user.email, role: t("role.\(user.role.rawValue)"), verified: user.isEmailVerified,
                     createdAt: user.createdAt.map { DateFormatting.date($0, req.locale) } ?? "—")
        }
        return try await req.renderPage("admin-users", title: t("admin.users.heading"),
                                        Page(heading: t("admin.users.heading"), rows: rows,
                                             pagination: try Pagination(page: page, per: Pagination.perPage, total: total, path: SiteURL.adminUsers, t: t)))
    }
}
