import Fluent
import Vapor

/// Chapters as everyone sees them: the list, and each chapter's page. Members follow chapters;
/// ambassadors welcome newcomers.
struct ChaptersController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.chapters), use: list)
        routes.get(SiteURL.route(SiteURL.chapters) + [":slug"], use: show)
        routes.post(SiteURL.route(SiteURL.chapters) + [":slug", "follow"], use: follow)
        routes.get(SiteURL.route(SiteURL.chapters) + [":slug", "welcome"], use: welcomeList)
        routes.post(SiteURL.route(SiteURL.chapters) + [":slug", "welcome", ":userID"], use: welcome)
    }

    struct ListPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let name: String
            let region: String
            let url: String
            let members: String
        }
        let heading: String
        let rows: [Row]
    }

    struct ShowPage: Encodable, Sendable {
        struct Person: Encodable, Sendable {
            let name: String
            let headline: String
            var url: String? = nil
            var photoURL: String? = nil
        }
        let heading: String
        let region: String
        let description: String
        let contactEmail: String?
        let ambassadors: [Person]
        let memberCount: String
        let newcomers: [Person]
        let showNewcomers: Bool
        let canFollow: Bool
        let following: Bool
        let followURL: String
        let welcomeURL: String?
        let consoleURL: String?
        let radarURL: String?
        let archived: Bool
        /// Upcoming events (visitors: the public ones).
        let events: [EventsController.EventCard]
        let calendarURL: String
        let newEventURL: String?
    }

    /// Member counts of many chapters in one query (no N+1 on the list).
    static func memberCounts(_ db: any Database) async throws -> [UUID: Int] {
        let profiles = try await Profile.query(on: db)
            .join(User.self, on: \Profile.$user.$id == \User.$id)
            .filter(User.self, \.$role ~~ [.member, .admin])
            .filter(\.$visibility != .hidden)
            .all(\.$homeChapter.$id)
        return profiles.compactMap { $0 }.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    @Sendable func list(req: Request) async throws -> Response {
        let chapters = try await Chapter.query(on: req.db).filter(\.$status == .active).sort(\.$name).all()
        let counts = try await Self.memberCounts(req.db)
        let rows = chapters.map { ListPage.Row(name: $0.name, region: $0.region, url: SiteURL.chapter($0.slug), members: req.t.count("chapters.members", counts[$0.id ?? UUID()] ?? 0)) }
        return try await req.renderPage("chapters", title: req.t("chapters.heading"), ListPage(heading: req.t("chapters.heading"), rows: rows))
    }

    static func find(_ req: Request) async throws -> Chapter {
        let slug = try req.slugParameter()
        guard let chapter = try await Chapter.query(on: req.db).filter(\.$slug == slug).first()
        else { throw PageError.notFound }
        return chapter
    }

    @Sendable func show(req: Request) async throws -> Response {
        let chapter = try await Self.find(req)
        let chapterID = try chapter.requireID()
        let ambassadorUsers = try await Ambassadorship.query(on: req.db).filter(\.$chapter.$id == chapterID)
            .with(\.$user).all().map(\.user)
        let profiles = Dictionary(try await Profile.query(on: req.db).filter(\.$user.$id ~~ ambassadorUsers.compactMap(\.id)).all().map { ($0.$user.id, $0) },
                                  uniquingKeysWith: { a, _ in a })
        // Ambassadors are shown as their profile allows: a hidden profile is hidden here too.
        let ambassadors: [ShowPage.Person] = ambassadorUsers.compactMap { user in
            guard let id = user.id else { return nil }
            // An ambassador without a profile (an admin) is shown to members only, by name.
            guard let profile = profiles[id] else { return (req.currentUser?.isMember ?? false) ? ShowPage.Person(name: user.name, headline: "") : nil }
            guard profile.isVisible(to: req.currentUser) else { return nil }
            return ShowPage.Person(name: user.name, headline: profile.headline, url: SiteURL.member(id),
                                   photoURL: profile.photoPath.map { SiteURL.member(id) + "/photo?v=" + $0 })
        }
        let memberCount = try await Profile.query(on: req.db).filter(\.$homeChapter.$id == chapterID).filter(\.$visibility != .hidden).count()
        let isMember = req.currentUser.map { $0.isMember } ?? false
        // Newcomers are people: only members see who they are.
        var newcomers: [ShowPage.Person] = []
        if isMember {
            newcomers = try await Profile.query(on: req.db)
                .filter(\.$homeChapter.$id == chapterID).filter(\.$visibility != .hidden)
                .filter(\.$joinedAt >= req.now.addingTimeInterval(-30 * 86400))
                .sort(\.$joinedAt, .descending).limit(12).with(\.$user).all()
                .map { ShowPage.Person(name: $0.user.name, headline: $0.headline) }
        }
        var following = false
        if let user = req.currentUser, isMember {
            following = try await ChapterFollow.query(on: req.db).filter(\.$chapter.$id == chapterID).filter(\.$user.$id == user.requireID()).count() > 0
        }
        let runs = req.principal.map { AccessPolicy.allows($0, .runChapter(chapterID)) } ?? false
        let upcoming = try await EventsController.visible(Event.query(on: req.db), to: req.currentUser)
            .filter(\.$chapter.$id == chapterID).filter(\.$endsAt >= req.now).sort(\.$startsAt).limit(6).all()
        let events = try await EventsController.cards(upcoming, req: req, chapters: [chapterID: chapter])
        let page = ShowPage(
            heading: chapter.name, region: chapter.region, description: chapter.description, contactEmail: chapter.contactEmail,
            ambassadors: ambassadors,
            memberCount: req.t.count("chapters.members", memberCount), newcomers: newcomers, showNewcomers: isMember,
            canFollow: isMember, following: following, followURL: SiteURL.chapter(chapter.slug) + "/follow",
            welcomeURL: runs ? SiteURL.chapterWelcome(chapter.slug) : nil,
            consoleURL: runs ? SiteURL.chapterConsole(chapter.slug) : nil,
            radarURL: (req.principal.map { AccessPolicy.allows($0, .readRadar(chapter: chapterID)) } ?? false) ? SiteURL.chapterRadar(chapter.slug) : nil,
            archived: chapter.status == .archived,
            events: events, calendarURL: SiteURL.chapterCalendar(chapter.slug), newEventURL: runs ? SiteURL.newEvent : nil)
        return try await req.renderPage("chapter", title: chapter.name, page)
    }

    @Sendable func follow(req: Request) async throws -> Response {
        let user = try req.requireMember()
        let chapter = try await Self.find(req)
        let existing = try await ChapterFollow.query(on: req.db).filter(\.$chapter.$id == chapter.requireID()).filter(\.$user.$id == user.requireID()).first()
        if let existing {
            try await existing.delete(on: req.db)
            try await req.flash(.success, "flash.unfollowed")
        } else {
            let follow = ChapterFollow()
            follow.$chapter.id = try chapter.requireID()
            follow.$user.id = try user.requireID()
            do { try await follow.create(on: req.db) } catch let error as any DatabaseError where error.isConstraintFailure {}
            try await req.flash(.success, "flash.followed")
        }
        return req.redirect(to: SiteURL.chapter(chapter.slug), redirectType: .normal)
    }

    struct WelcomePage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let name: String
            let headline: String
            let city: String
            let joinedAt: String
            let email: String?
            let action: String
            let fieldID: String
        }
        let heading: String
        let chapterURL: String
        let rows: [Row]
    }

    /// How long after joining or moving to a chapter someone is its newcomer.
    static let newcomerDays = 60

    /// The chapter's newcomers whom no ambassador has greeted yet: members who joined or moved to it
    /// in the last 60 days, not its ambassadors.
    static func toWelcome(_ db: any Database, chapterID: UUID, now: Date) async throws -> [Profile] {
        let welcomed = try await Welcome.query(on: db).filter(\.$chapter.$id == chapterID).all(\.$newcomer.$id)
        let ambassadors = try await Ambassadorship.query(on: db).filter(\.$chapter.$id == chapterID).all(\.$user.$id)
        return try await Profile.query(on: db)
            .filter(\.$homeChapter.$id == chapterID)
            .filter(\.$chapterSince >= now.addingTimeInterval(-Double(newcomerDays) * 86400))
            .filter(\.$user.$id !~ (welcomed + ambassadors))
            .join(User.self, on: \Profile.$user.$id == \User.$id).filter(User.self, \.$role == .member)
            .sort(\.$chapterSince, .descending).limit(100).with(\.$user).all()
    }

    @Sendable func welcomeList(req: Request) async throws -> Response {
        let chapter = try await Self.find(req)
        try req.authorize(.runChapter(chapter.requireID()))
        let t = req.t
        let rows = try await Self.toWelcome(req.db, chapterID: chapter.requireID(), now: req.now).map { profile in
            // A hidden member chose to be seen by nobody: the ambassadors greet them through the platform, not by mail.
            WelcomePage.Row(name: profile.user.name, headline: profile.headline, city: profile.city,
                            joinedAt: DateFormatting.date(profile.chapterSince ?? profile.joinedAt, req.locale),
                            email: profile.visibility == .hidden ? nil : profile.user.email,
                            action: SiteURL.chapterWelcome(chapter.slug) + "/" + (profile.user.id?.uuidString ?? ""),
                            fieldID: "note-" + (profile.user.id?.uuidString ?? ""))
        }
        return try await req.renderPage("welcome", title: t("welcome.heading", chapter.name),
                                        WelcomePage(heading: t("welcome.heading", chapter.name), chapterURL: SiteURL.chapter(chapter.slug), rows: rows))
    }

    @Sendable func welcome(req: Request) async throws -> Response {
        let chapter = try await Self.find(req)
        let chapterID = try chapter.requireID()
        try req.authorize(.runChapter(chapterID))
        guard let userID = req.parameters.get("userID", as: UUID.self),
              try await Profile.query(on: req.db).filter(\.$user.$id == userID).filter(\.$homeChapter.$id == chapterID).count() == 1
        else { throw PageError.notFound }
        let values = try await req.formValues()
        let welcome = Welcome()
        welcome.$chapter.id = chapterID
        welcome.$newcomer.id = userID
        welcome.$welcomedBy.id = req.currentUser?.id
        welcome.note = values["note"].map { String($0.trimmingCharacters(in: .whitespacesAndNewlines).prefix(1000)) }.flatMap { $0.isEmpty ? nil : $0 }
        welcome.welcomedAt = req.now
        do { try await welcome.create(on: req.db) } catch let error as any DatabaseError where error.isConstraintFailure {
            // Another ambassador greeted them a moment ago: nothing to do.
        }
        try await req.flash(.success, "flash.welcomed")
        return req.redirect(to: SiteURL.chapterWelcome(chapter.slug), redirectType: .normal)
    }
}
