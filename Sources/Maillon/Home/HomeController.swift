import Fluent
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
        /// Members: what is coming in their chapter (or everywhere, without one). Visitors: public events.
        let events: [EventsController.EventCard]
        let eventsURL: String
    }

    @Sendable func home(req: Request) async throws -> Response {
        let name = req.maillon.settings.communityName
        let user = req.currentUser
        var query = EventsController.visible(Event.query(on: req.db), to: user).filter(\.$endsAt >= req.now).filter(\.$status == .scheduled)
        if let user, user.isMember, let chapter = try await Profile.query(on: req.db).filter(\.$user.$id == user.requireID()).first()?.$homeChapter.id {
            query = query.filter(\.$chapter.$id == chapter)
        }
        let events = try await EventsController.cards(query.sort(\.$startsAt).limit(6).all(), req: req)
        return try await req.renderPage("home", title: name,
                                        Page(communityName: name, signedIn: user != nil, userName: user?.name, events: events, eventsURL: SiteURL.events))
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
