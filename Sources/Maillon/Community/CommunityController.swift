import Fluent
import SQLKit
import Vapor

/// Community health for people: a chapter's radar (its ambassadors), one's own radar and choices,
/// the monthly check-in, one's binômes, and the radar's counts for admins.
struct CommunityController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let chapters = SiteURL.route(SiteURL.chapters)
        routes.get(chapters + [":slug", "radar"], use: radar)
        routes.post(chapters + [":slug", "radar", ":member"], use: recordAction)
        routes.get(SiteURL.route(SiteURL.communitySettings), use: settings)
        routes.post(SiteURL.route(SiteURL.communitySettings), use: saveSettings)
        routes.get(SiteURL.route(SiteURL.checkIn), use: checkInForm)
        routes.post(SiteURL.route(SiteURL.checkIn), use: checkIn)
        routes.get(SiteURL.route(SiteURL.binomes), use: binomes)
        routes.post(SiteURL.route(SiteURL.binomes) + [":pairing", ":answer"], use: answerBinome)
        routes.get(SiteURL.route(SiteURL.adminRadar), use: counts)
        routes.get(chapters + [":slug", "console"], use: console)
        routes.post(chapters + [":slug", "step-down"], use: stepDown)
        routes.get(SiteURL.route(SiteURL.analytics), use: analytics)
        routes.get(SiteURL.route(SiteURL.analyticsCSV), use: analyticsCSV)
    }

    private func ownProfile(_ req: Request, _ user: User) async throws -> Profile {
        guard let profile = try await Profile.query(on: req.db).filter(\.$user.$id == user.requireID()).first() else { throw PageError.forbidden }
        return profile
    }

    // MARK: The chapter's radar

    @Sendable func radar(req: Request) async throws -> Response {
        let chapter = try await ChaptersController.find(req)
        try req.authorize(.readRadar(chapter: chapter.requireID()))
        let page = try await RadarPage.build(req, chapter: chapter)
        return try await req.renderPage("radar", title: page.heading, page)
    }

    @Sendable func recordAction(req: Request) async throws -> Response {
        let chapter = try await ChaptersController.find(req)
        let chapterID = try chapter.requireID()
        try req.authorize(.readRadar(chapter: chapterID))
        guard let memberID = req.parameters.get("member", as: UUID.self),
              let profile = try await Profile.query(on: req.db).filter(\.$user.$id == memberID).filter(\.$homeChapter.$id == chapterID).first(),
              !profile.radarOptOut
        else { throw PageError.notFound }
        var form = FormReader(try await req.formValues())
        let kind = form.choice("kind", as: RadarAction.Kind.self)
        let note = form.text("note", max: 1000)
        guard let kind, form.errors.isEmpty else {
            let page = try await RadarPage.build(req, chapter: chapter, refused: (memberID, form.values, form.errors))
            return try await req.renderPage("radar", title: page.heading, page, status: .unprocessableEntity)
        }
        let action = RadarAction()
        action.$member.id = memberID
        action.$chapter.id = chapterID
        action.$by.id = req.currentUser?.id
        action.kind = kind
        action.note = note.isEmpty ? nil : note
        action.createdAt = req.now
        try await action.create(on: req.db)
        try await req.flash(.success, "radar.flash.recorded")
        return req.redirect(to: SiteURL.chapterRadar(chapter.slug), redirectType: .normal)
    }

    // MARK: One's own choices and radar

    @Sendable func settings(req: Request) async throws -> Response {
        let user = try req.requireMember()
        let page = try await CommunitySettingsPage.build(req, user: user, profile: try await ownProfile(req, user))
        return try await req.renderPage("community-settings", title: page.heading, page)
    }

    @Sendable func saveSettings(req: Request) async throws -> Response {
        let user = try req.requireMember()
        let profile = try await ownProfile(req, user)
        let values = try await req.formValues()
        let optOut = values["radar"] != "yes"
        try await req.db.transaction { db in
            // Opting out takes one off the list at once, and the ambassadors' notes about one with it.
            if optOut && !profile.radarOptOut {
                try await RadarAction.query(on: db).filter(\.$member.$id == user.requireID()).delete()
                try await RadarEntry.query(on: db).filter(\.$user.$id == user.requireID()).delete()
            }
            profile.radarOptOut = optOut
            profile.pairingOptIn = values["pairing"] == "yes"
            profile.buddyVolunteer = values["buddy"] == "yes"
            try await profile.save(on: db)
        }
        if !optOut { try await RadarWatch(req).look(atMember: user.requireID()) }
        try await req.flash(.success, "community.flash.saved")
        return req.redirect(to: SiteURL.communitySettings, redirectType: .normal)
    }

    // MARK: The monthly check-in

    private func checkInPage(_ req: Request, values: [String: String], errors: FormErrors) -> FormPage {
        let t = req.t
        let form = FormModel(id: "check-in", action: SiteURL.checkIn, submitLabel: t("check_in.submit"), fields: [
            .init(name: "score", label: t("check_in.field.score"), type: "select", error: errors["score"].map { t($0) },
                  options: [.init(value: "", label: t("check_in.choose"), selected: (values["score"] ?? "").isEmpty)] + (1...5).reversed().map { score in
                      .init(value: String(score), label: t("check_in.score.\(score)"), selected: values["score"] == String(score))
                  }),
            .init(name: "note", label: t("check_in.field.note"), type: "textarea", value: values["note"] ?? "", error: errors["note"].map { t($0) },
                  hint: t("check_in.field.note_hint"), required: false),
        ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
        return FormPage(heading: t("check_in.heading"), intro: t("check_in.intro"), forms: [form],
                        links: [.init(url: SiteURL.communitySettings, label: t("community.heading"))])
    }

    @Sendable func checkInForm(req: Request) async throws -> Response {
        let user = try req.requireMember()
        var values: [String: String] = [:]
        if let this = try await CheckIn.query(on: req.db).filter(\.$user.$id == user.requireID()).filter(\.$month == Month.key(req.now)).first() {
            values = ["score": String(this.score), "note": this.note ?? ""]
        }
        return try await req.renderPage("form-page", title: req.t("check_in.heading"), checkInPage(req, values: values, errors: FormErrors()))
    }

    @Sendable func checkIn(req: Request) async throws -> Response {
        let user = try req.requireMember()
        var form = FormReader(try await req.formValues())
        let score = form.number("score", 1...5, required: true, invalid: "field.invalid_choice")
        let note = form.text("note", max: 1000)
        guard let score, form.errors.isEmpty else {
            return try await req.renderPage("form-page", title: req.t("check_in.heading"), checkInPage(req, values: form.values, errors: form.errors), status: .unprocessableEntity)
        }
        try await CheckIns(db: req.db, now: req.now).record(score, note: note, by: user.requireID())
        // A low answer puts them on their ambassadors' list now; a better one takes it off.
        try await RadarWatch(req).look(atMember: user.requireID())
        try await req.flash(.success, "check_in.flash.thanks")
        return req.redirect(to: SiteURL.home, redirectType: .normal)
    }

    // MARK: Binômes

    @Sendable func binomes(req: Request) async throws -> Response {
        let user = try req.requireMember()
        let page = try await BinomesPage.build(req, user: user, profile: try await ownProfile(req, user))
        return try await req.renderPage("binomes", title: page.heading, page)
    }

    @Sendable func answerBinome(req: Request) async throws -> Response {
        let user = try req.requireMember()
        guard let pairingID = req.parameters.get("pairing", as: UUID.self),
              let answer = req.parameters.get("answer").flatMap(PairingMember.Outcome.init(rawValue:)), answer != .pending,
              let mine = try await PairingMember.query(on: req.db).filter(\.$pairing.$id == pairingID).filter(\.$user.$id == user.requireID()).first()
        else { throw PageError.notFound }
        mine.outcome = answer
        mine.answeredAt = req.now
        try await mine.save(on: req.db)
        try await req.flash(.success, answer == .met ? "binome.flash.met" : "binome.flash.skipped")
        return req.redirect(to: SiteURL.binomes, redirectType: .normal)
    }

    // MARK: The chapter's console and mandates

    @Sendable func console(req: Request) async throws -> Response {
        let chapter = try await ChaptersController.find(req)
        try req.authorize(.runChapter(chapter.requireID()))
        let page = try await ConsolePage.build(req, chapter: chapter)
        return try await req.renderPage("console", title: page.heading, page)
    }

    @Sendable func stepDown(req: Request) async throws -> Response {
        let chapter = try await ChaptersController.find(req)
        let chapterID = try chapter.requireID()
        let user = try req.requireUser()
        // Only an ambassador of the chapter steps down from it (an admin removes others on the chapter's admin page).
        guard req.principal?.ambassadorOf.contains(chapterID) == true else { throw PageError.forbidden }
        var form = FormReader(try await req.formValues())
        let note = form.text("note", max: 5000, required: true)
        guard form.errors.isEmpty else {
            let page = try await ConsolePage.build(req, chapter: chapter, stepDownErrors: form.errors, values: form.values)
            return try await req.renderPage("console", title: page.heading, page, status: .unprocessableEntity)
        }
        try await SteppingDown(db: req.db, now: req.now).stepDown(try user.requireID(), from: chapterID, note: note)
        try await req.flash(.success, "console.flash.stepped_down")
        return req.redirect(to: SiteURL.chapter(chapter.slug), redirectType: .normal)
    }

    // MARK: Analytics

    @Sendable func analytics(req: Request) async throws -> Response {
        let scope = try await AnalyticsPage.scope(req)
        let page = try await AnalyticsPage.build(req, scope)
        return try await req.renderPage("analytics", title: page.heading, page, status: scope.errors.isEmpty ? .ok : .unprocessableEntity)
    }

    @Sendable func analyticsCSV(req: Request) async throws -> Response {
        let scope = try await AnalyticsPage.scope(req)
        guard scope.errors.isEmpty else { throw Abort(.unprocessableEntity) }
        let wanted = req.query[String.self, at: "chart"] ?? ""
        guard let chart = try await AnalyticsPage.charts(req, scope, only: wanted).charts.first else { throw PageError.notFound }
        let response = Response(status: .ok, body: .init(string: chart.csv))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(chart.id)-\(Month.key(scope.range.first))-\(Month.key(scope.range.last)).csv\"")
        return response
    }

    // MARK: Admins: counts only

    @Sendable func counts(req: Request) async throws -> Response {
        try req.authorize(.radarCounts)
        let page = try await RadarCountsPage.build(req)
        return try await req.renderPage("radar-counts", title: page.heading, page)
    }
}

/// The monthly check-in: one answer a month, which the member may change during the month.
struct CheckIns {
    let db: any Database
    let now: Date

    func record(_ score: Int, note: String, by userID: UUID) async throws {
        let month = Month.key(now)
        try await db.transaction { db in
            try await db.lockRow(of: User.schema, id: userID, touching: "accepts_messages")
            let row = try await CheckIn.query(on: db).filter(\.$user.$id == userID).filter(\.$month == month).first() ?? CheckIn()
            row.$user.id = userID
            row.month = month
            row.score = score
            row.note = note.isEmpty ? nil : note
            row.createdAt = now
            try await row.save(on: db)
        }
    }

    /// Whether to ask this month (not answered yet, and not opted out of the radar).
    static func isDue(for userID: UUID, profile: Profile?, on db: any Database, now: Date) async throws -> Bool {
        guard let profile, !profile.radarOptOut else { return false }
        return try await CheckIn.query(on: db).filter(\.$user.$id == userID).filter(\.$month == Month.key(now)).count() == 0
    }
}
