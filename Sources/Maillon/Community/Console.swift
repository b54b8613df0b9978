import Fluent
import Foundation
import SQLKit
import Vapor

/// A chapter's console for its ambassadors (and admins): its members with their last activity and
/// who welcomed them, its coming and past events with fill and attendance, twelve months of trend,
/// and its mandates with the handover notes of those who stepped down.
struct ConsolePage: Encodable, Sendable {
    struct MemberRow: Encodable, Sendable {
        let name: String
        let url: String
        let joined: String
        let lastActivity: String
        let welcomedBy: String
    }

    struct EventRow: Encodable, Sendable {
        let title: String
        let url: String
        let when: String
        let figures: String
        let rate: String
    }

    struct Mandate: Encodable, Sendable {
        let name: String
        let period: String
        let note: String?
    }

    let heading: String
    let members: [MemberRow]
    let membersCaption: String
    let pagination: Pagination
    let coming: [EventRow]
    let past: [EventRow]
    let trend: [ChartModel]
    let mandates: [Mandate]
    let handovers: [Mandate]
    let stepDown: [FormModel]
    let links: [FormPage.Link]

    static let perPage = 50

    static func build(_ req: Request, chapter: Chapter, stepDownErrors: FormErrors = FormErrors(), values: [String: String] = [:]) async throws -> ConsolePage {
        let t = req.t, now = req.now, locale = req.locale
        let chapterID = try chapter.requireID()
        let sql = req.db as! any SQLDatabase

        // Members, a page at a time, with what they last did (one grouped query per kind of activity).
        let total = try await Profile.query(on: req.db).filter(\.$homeChapter.$id == chapterID).count()
        let pagination = try Pagination(page: Pagination.requestedPage(req), per: perPage, total: total, path: SiteURL.chapterConsole(chapter.slug), t: t)
        // Newest arrivals first (those an ambassador follows most), straight from `profiles_arrival_idx`.
        let profiles = try await Profile.query(on: req.db).filter(\.$homeChapter.$id == chapterID)
            .sort(\.$chapterSince, .descending).sort(\.$user.$id, .descending)
            .range(((pagination.page - 1) * perPage)..<(pagination.page * perPage)).all()
        let ids = profiles.map(\.$user.id)
        let names = try await DiscussionNames.of(ids, on: req.db)
        let activity = try await MemberActivity.latest(of: ids, on: sql)
        var welcomes: [UUID: String] = [:]
        for welcome in try await (ids.isEmpty ? [] : Welcome.query(on: req.db).filter(\.$chapter.$id == chapterID).filter(\.$newcomer.$id ~~ ids).with(\.$welcomedBy).all()) {
            welcomes[welcome.$newcomer.id] = welcome.welcomedBy?.name ?? t("person.former_member")
        }
        let members = profiles.map { profile in
            let id = profile.$user.id
            let last = activity[id].map { t("console.activity.\($0.kind.rawValue)", DateFormatting.date($0.at, locale)) } ?? t("console.activity.none")
            return MemberRow(name: names.name(id, t), url: SiteURL.member(id), joined: DateFormatting.date(profile.chapterSince ?? profile.joinedAt, locale),
                             lastActivity: last, welcomedBy: welcomes[id] ?? "—")
        }

        // Events: coming ones with their fill, the last twelve months' with attendance and no-shows.
        let coming = try await Event.query(on: req.db).filter(\.$chapter.$id == chapterID).filter(\.$status == .scheduled)
            .filter(\.$startsAt > now).sort(\.$startsAt).limit(20).all()
        let past = try await Event.query(on: req.db).filter(\.$chapter.$id == chapterID).filter(\.$status == .scheduled)
            .filter(\.$startsAt <= now).filter(\.$startsAt > now.addingTimeInterval(-365 * 86400)).sort(\.$startsAt, .descending).limit(30).all()
        // Waiting lists, attendance and no-shows of the events listed, in one grouped query.
        var waiting: [UUID: Int] = [:], attended: [UUID: Int] = [:], noShows: [UUID: Int] = [:]
        let listed = (coming + past).compactMap(\.id)
        for row in try await (listed.isEmpty ? [] : sql.raw("""
            SELECT event_id, status, attendance, COUNT(*) AS n FROM event_registrations WHERE event_id IN (\(binds: listed)) GROUP BY event_id, status, attendance
            """).all()) {
            let id = try row.decode(column: "event_id", as: UUID.self), n = try row.decode(column: "n", as: Int.self)
            if try row.decode(column: "status", as: String.self) == Registration.Status.waitlisted.rawValue { waiting[id, default: 0] += n }
            switch try row.decode(column: "attendance", as: String?.self).flatMap(Registration.Attendance.init(rawValue:)) {
            case .attended: attended[id, default: 0] += n
            case .noShow: noShows[id, default: 0] += n
            case nil: break
            }
        }
        func percent(_ part: Int, _ whole: Int) -> String { whole > 0 ? "\(part * 100 / whole) %" : "—" }

        // Mandates: who runs the chapter since when, and who stepped down with what notes.
        let ambassadorships = try await Ambassadorship.query(on: req.db).filter(\.$chapter.$id == chapterID).with(\.$user).all()
        let handovers = try await Handover.query(on: req.db).filter(\.$chapter.$id == chapterID).sort(\.$endedAt, .descending).limit(20).with(\.$user).all()
        let isAmbassador = ambassadorships.contains { $0.$user.id == req.currentUser?.id }
        let stepDown = isAmbassador ? [FormModel(id: "step-down", action: SiteURL.chapterStepDown(chapter.slug), submitLabel: t("console.step_down"), fields: [
            .init(name: "note", label: t("console.field.handover"), type: "textarea", value: values["note"] ?? "", error: stepDownErrors["note"].map { t($0) },
                  hint: t("console.field.handover_hint")),
        ], errorSummary: stepDownErrors.isEmpty ? nil : t("form.has_errors"))] : []

        return ConsolePage(
            heading: t("console.heading", chapter.name), members: members, membersCaption: t.count("console.members_count", total), pagination: pagination,
            coming: coming.map { event in
                EventRow(title: event.title, url: SiteURL.event(event.id ?? UUID()), when: DateFormatting.dateTime(event.startsAt, locale),
                         figures: t("console.coming_figures", String(event.confirmedCount), String(event.capacity), String(waiting[event.id ?? UUID()] ?? 0)),
                         rate: percent(event.confirmedCount, event.capacity))
            },
            past: past.map { event in
                let id = event.id ?? UUID()
                return EventRow(title: event.title, url: SiteURL.eventAttendees(id), when: DateFormatting.date(event.startsAt, locale),
                                figures: t("console.past_figures", String(attended[id] ?? 0), String(event.capacity), String(noShows[id] ?? 0)),
                                rate: percent(attended[id] ?? 0, event.capacity))
            },
            trend: [try await CommunityFigures(db: sql, chapters: [chapterID], range: .lastMonths(12, now: now)).attendanceChart(t)],
            mandates: ambassadorships.map {
                Mandate(name: $0.user.name, period: t("console.since", DateFormatting.date($0.startedAt ?? $0.createdAt ?? now, locale)), note: nil)
            },
            handovers: handovers.map {
                Mandate(name: $0.user?.name ?? t("person.former_member"),
                        period: t("console.period", DateFormatting.date($0.startedAt, locale), DateFormatting.date($0.endedAt, locale)), note: $0.note)
            },
            stepDown: stepDown,
            links: [.init(url: SiteURL.chapterWelcome(chapter.slug), label: t("chapter.to_welcome")),
                    .init(url: SiteURL.chapterRadar(chapter.slug), label: t("chapter.radar")),
                    .init(url: SiteURL.analytics + "?chapter=" + chapter.slug, label: t("analytics.heading"))])
    }
}

/// What a member last did, among: signing in, attending an event, writing a post, answering a mission.
struct MemberActivity: Sendable {
    enum Kind: String, Sendable { case signIn = "sign_in", event, post, mission }
    let kind: Kind
    let at: Date

    /// For a page of members: four grouped queries whatever their number.
    static func latest(of ids: [UUID], on sql: any SQLDatabase) async throws -> [UUID: MemberActivity] {
        guard !ids.isEmpty else { return [:] }
        var latest: [UUID: MemberActivity] = [:]
        func keep(_ query: SQLQueryString, _ kind: Kind) async throws {
            for row in try await sql.raw(query).all() {
                guard let at = try row.decode(column: "at", as: Date?.self) else { continue }
                let id = try row.decode(column: "id", as: UUID.self)
                if latest[id].map({ $0.at < at }) ?? true { latest[id] = MemberActivity(kind: kind, at: at) }
            }
        }
        try await keep("SELECT user_id AS id, last_active_at AS at FROM profiles WHERE user_id IN (\(binds: ids))", .signIn)
        try await keep("""
            SELECT r.user_id AS id, MAX(e.starts_at) AS at FROM event_registrations r JOIN events e ON e.id = r.event_id
            WHERE r.attendance = \(bind: Registration.Attendance.attended.rawValue) AND r.user_id IN (\(binds: ids)) GROUP BY r.user_id
            """, .event)
        try await keep("SELECT author_id AS id, MAX(created_at) AS at FROM posts WHERE author_id IN (\(binds: ids)) GROUP BY author_id", .post)
        try await keep("""
            SELECT m.user_id AS id, MAX(p.created_at) AS at FROM proposal_members m JOIN proposals p ON p.id = m.proposal_id
            WHERE m.user_id IN (\(binds: ids)) GROUP BY m.user_id
            """, .mission)
        return latest
    }
}

/// An ambassador steps down: the mandate ends, with notes for the next one.
struct SteppingDown {
    let db: any Database
    let now: Date

    func stepDown(_ userID: UUID, from chapterID: UUID, note: String) async throws {
        try await db.transaction { db in
            guard let mandate = try await Ambassadorship.query(on: db).filter(\.$chapter.$id == chapterID).filter(\.$user.$id == userID).first() else { return }
            let handover = Handover()
            handover.$chapter.id = chapterID
            handover.$user.id = userID
            handover.startedAt = mandate.startedAt ?? mandate.createdAt ?? now
            handover.endedAt = now
            handover.note = note
            try await handover.create(on: db)
            try await mandate.delete(on: db)
        }
    }
}
