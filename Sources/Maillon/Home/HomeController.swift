import Vapor

struct HomeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: home)
        routes.get(SiteURL.route(SiteURL.theme), use: theme)
    }

    struct Page: Encodable, Sendable {
        let communityName: String
        let signedIn: Bool
        let userName: String?
    }

    @Sendable func home(req: Request) async throws -> Response {
        let name = req.maillon.settings.communityName
        return try await req.renderPage("home", title: name,
                                        Page(communityName: name, signedIn: req.currentUser != nil, userName: req.currentUser?.name))
    }

    /// The community's colours as CSS custom properties: a stylesheet, since the CSP forbids inline style.
    @Sendable func theme(req: Request) async throws -> Response {
        let settings = req.maillon.settings
        let css = ":root { --brand: \(settings.primaryColor); --accent: \(settings.accentColor); }\n"
        let response = Response(status: .ok, body: .init(string: css))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "css", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }
}
