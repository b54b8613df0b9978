import Fluent
import Vapor

struct HomeController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: home)
        routes.get(SiteURL.route(SiteURL.theme), use: theme)
    }

    struct Page: Encodable, Sendable {
        struct Step: Encodable, Sendable {
            let label: String
            let hint: String
            let url: String?
            /// "done", "current" or "later".
            let state: String
            let stateLabel: String
        }

        let communityName: String
        let signedIn: Bool
        let greeting: String?
        /// Until someone new has done them all: apply, the charter, the profile, a first event.
        let steps: [Step]
        /// Members: what is coming in their chapter (or everywhere, without one). Others: public events.
        let eventsHeading: String
        let events: [EventsController.EventCard]
        let eventsURL: String
        /// For visitors, once there is some: what the community's missions did.
        let impact: [String]
        /// Members: the month's check-in, until answered (and unless they left the radar).
        var checkInURL: String? = nil
        /// Members: this month's binôme, in words.
        var binome: String? = nil
        var binomesURL: String? = nil
    }

    /// Where each step is done.
    static let stepURLs: [NextSteps.Step: String] = [.apply: SiteURL.apply, .charter: SiteURL.charter, .profile: SiteURL.myProfile, .event: SiteURL.events]

    /// The landing page: a visitor's copy (the coming public events, the impact figures) is drawn once
    /// per instance every few seconds.
    @Sendable func home(req: Request) async throws -> Response {
        try await req.visitorPage { try await homePage(req) }
    }

    private func homePage(_ req: Request) async throws -> Response {
        let t = req.t
        let name = req.maillon.settings.communityName
        let user = req.currentUser
        var query = EventsController.visible(Event.query(on: req.db), to: user).filter(\.$endsAt >= req.now).filter(\.$status == .scheduled)
        var inMyChapter = false
        var profile: Profile?
        if let user, user.isMember {
            profile = try await Profile.query(on: req.db).filter(\.$user.$id == user.requireID()).first()
            if let chapter = profile?.$homeChapter.id {
                query = query.filter(\.$chapter.$id == chapter)
                inMyChapter = true
            }
        }
        let events = try await EventsController.cards(query.sort(\.$startsAt).limit(6).all(), req: req)
        var steps: [Page.Step] = []
        // The way in is for people joining as freelancers; admins and organisations' contacts have their own.
        if let user, user.role == .applicant || user.role == .member {
            let next = NextSteps(try await NextSteps.facts(for: user, owesCharter: req.sessionContext.owesCharter, on: req.db))
            if !next.allDone {
                steps = NextSteps.Step.allCases.map { step in
                    let state = next.states[step] ?? .later
                    let waiting = step == .apply && next.waitingForDecision
                    return Page.Step(label: t(waiting ? "home.step.follow" : "home.step.\(step.rawValue)"),
                                     hint: t(waiting ? "home.step.follow.hint" : "home.step.\(step.rawValue).hint"),
                                     url: waiting ? SiteURL.myApplication : (state == .current ? Self.stepURLs[step] : nil),
                                     state: state.rawValue, stateLabel: t("home.step_state.\(state.rawValue)"))
                }
            }
        }
        // Someone invited from outside: the sessions they were invited to, and nothing of the way in.
        if let user, user.role == .guest {
            let invitations = try await TrainingInvitation.query(on: req.db).filter(\.$user.$id == user.requireID())
                .with(\.$session) { $0.with(\.$training).with(\.$event) }.sort(\.$createdAt, .descending).limit(10).all()
            steps = invitations.map { invitation in
                Page.Step(label: t("home.step.invitation.\(invitation.kind.rawValue)", invitation.session.training.title),
                          hint: DateFormatting.date(invitation.session.event.startsAt, req.locale), url: SiteURL.trainingSession(invitation.$session.id),
                          state: NextSteps.State.current.rawValue, stateLabel: t("home.step_state.current"))
            }
        }
        var impact: [String] = []
        if user == nil {
            let figures = try await ImpactFigures.compute(on: req.db)
            if figures.missions > 0 {
                impact = [t.count("impact.missions", figures.missions), t.count("impact.days", figures.days),
                          t.count("impact.organisations", figures.organisations), t.count("impact.causes", figures.causes)]
            }
        }
        var page = Page(
            communityName: name, signedIn: user != nil, greeting: user.map { t("home.hello", $0.name) }, steps: steps,
            eventsHeading: t(inMyChapter ? "home.events.mine" : "home.events.public"), events: events, eventsURL: SiteURL.events, impact: impact)
        if let user, let profile {
            let userID = try user.requireID()
            page.checkInURL = try await CheckIns.isDue(for: userID, profile: profile, on: req.db, now: req.now) ? SiteURL.checkIn : nil
            if let mine = try await PairingMember.query(on: req.db).filter(\.$user.$id == userID).filter(\.$month == Month.key(req.now)).first() {
                let partners = try await PairingMember.query(on: req.db).filter(\.$pairing.$id == mine.$pairing.id).filter(\.$user.$id != userID).with(\.$user).all()
                page.binome = t("home.binome", partners.map(\.user.name).joined(separator: ", "))
            }
            page.binomesURL = profile.pairingOptIn || page.binome != nil ? SiteURL.binomes : nil
        }
        return try await req.renderPage("home", title: name, page)
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
