import Fluent
import Foundation
import SQLKit
import Vapor

/// A signal in words, in the reader's language.
extension RadarSignal {
    func text(_ t: Translator) -> String {
        switch self {
        case let .quiet(weeks): t("radar.signal.quiet", String(weeks))
        case let .noFirstEvent(days): t("radar.signal.no_first_event", String(days))
        case let .cancellations(count): t("radar.signal.cancellations", String(count))
        case let .lowCheckIn(score): t("radar.signal.low_check_in", String(score))
        }
    }
}

extension RadarAction {
    /// "Call on 3 December, by Ambre Lyon", in the reader's language (`by` loaded).
    func summary(_ t: Translator, _ locale: AppLocale) -> String {
        t("radar.last_action", t("radar.action.\(kind.rawValue)"), DateFormatting.date(createdAt, locale), by?.name ?? t("person.former_member"))
    }
}

/// A chapter's radar for its ambassadors: each person with the signals that put them there, a
/// suggested action, what was last done, and a form to record an action.
struct RadarPage: Encodable, Sendable {
    struct Person: Encodable, Sendable {
        let name: String
        let profileURL: String
        let signals: [String]
        let suggestion: String
        let checkInNote: String?
        let lastAction: String?
        let forms: [FormModel]
    }

    let heading: String
    let intro: String
    let people: [Person]
    let empty: String
    let lookedAt: String
    let pagination: Pagination

    static let perPage = 50

    /// `refused`: a member's action form sent back with its errors, its input kept.
    static func build(_ req: Request, chapter: Chapter, refused: (member: UUID, values: [String: String], errors: FormErrors)? = nil) async throws -> RadarPage {
        let t = req.t, now = req.now
        let chapterID = try chapter.requireID()
        let thresholds = req.maillon.settings.radar
        let sql = req.db as! any SQLDatabase
        // A page of those the last look listed (most signals first, then the most pressing), checked
        // against their facts of now: whoever came back since is left out at once.
        let kept = RadarEntry.query(on: req.db).filter(\.$chapter.$id == chapterID)
        let pagination = try Pagination(page: Pagination.requestedPage(req), per: perPage, total: try await kept.count(),
                                        path: SiteURL.chapterRadar(chapter.slug), t: t)
        let pageIDs = try await sql.raw("""
            SELECT user_id FROM \(ident: RadarEntry.schema) WHERE chapter_id = \(bind: chapterID)
            ORDER BY LENGTH(signals) DESC, signals, user_id LIMIT \(unsafeRaw: String(perPage)) OFFSET \(unsafeRaw: String((pagination.page - 1) * perPage))
            """).all().map { try $0.decode(column: "user_id", as: UUID.self) }
        let facts = Dictionary(try await RadarFactsLoader(db: sql, now: now).facts(chapter: chapterID, among: pageIDs).map { ($0.userID, $0) }, uniquingKeysWith: { a, _ in a })
        let people: [(facts: RadarFacts, signals: [RadarSignal])] = pageIDs.compactMap { id in
            guard let fact = facts[id] else { return nil }
            let signals = Radar.signals(fact, now: now, thresholds: thresholds)
            return signals.isEmpty ? nil : (fact, signals)
        }
        let look = try await RadarLook.query(on: req.db).filter(\.$chapter.$id == chapterID).first()
        let ids: [UUID] = people.map { $0.facts.userID }
        let names = try await DiscussionNames.of(ids, on: req.db)
        let pairs = Set(try await (ids.isEmpty ? [] : Profile.query(on: req.db).filter(\.$user.$id ~~ ids).filter(\.$pairingOptIn == true).all(\.$user.$id)))
        var lastActions: [UUID: RadarAction] = [:]
        for action in try await (ids.isEmpty ? [] : RadarAction.query(on: req.db).filter(\.$chapter.$id == chapterID).filter(\.$member.$id ~~ ids)
            .sort(\.$createdAt).with(\.$by).all()) {
            lastActions[action.$member.id] = action
        }
        let next = try await Event.query(on: req.db).filter(\.$chapter.$id == chapterID).filter(\.$status == .scheduled)
            .filter(\.$startsAt > now).sort(\.$startsAt).first()
        return RadarPage(
            heading: t("radar.heading", chapter.name),
            intro: t("radar.intro", String(thresholds.quietWeeks), String(thresholds.firstEventDays), String(thresholds.cancellations), String(thresholds.lowCheckIn)),
            people: people.map { facts, signals in
                let id = facts.userID
                let suggestion: String = switch Radar.suggestion(for: signals, hasNextEvent: next != nil, pairs: pairs.contains(id)) {
                case .invite: next.map { t("radar.suggest.invite", $0.title, DateFormatting.date($0.startsAt, req.locale)) } ?? t("radar.suggest.binome")
                case .binome: t("radar.suggest.binome")
                case .call, .other: t("radar.suggest.call")
                }
                let last = lastActions[id].map { $0.summary(t, req.locale) }
                let action = SiteURL.chapterRadarAction(chapter.slug, id)
                let values = refused?.member == id ? refused?.values ?? [:] : [:]
                let errors = refused?.member == id ? refused?.errors ?? FormErrors() : FormErrors()
                return Person(
                    name: names.name(id, t), profileURL: SiteURL.member(id), signals: signals.map { $0.text(t) },
                    suggestion: suggestion, checkInNote: facts.checkIn?.note, lastAction: last,
                    forms: [FormModel(id: "radar-\(id.uuidString)", action: action, submitLabel: t("radar.mark_done"), fields: [
                        .init(name: "kind", label: t("radar.field.kind"), type: "select", error: errors["kind"].map { t($0) }, options: RadarAction.Kind.allCases.map {
                            .init(value: $0.rawValue, label: t("radar.action.\($0.rawValue)"), selected: values["kind"] == $0.rawValue)
                        }),
                        .init(name: "note", label: t("radar.field.note"), value: values["note"] ?? "", error: errors["note"].map { t($0) }, required: false),
                    ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))])
            },
            empty: t("radar.empty"),
            lookedAt: look.map { t("radar.looked_at", DateFormatting.dateTime($0.lookedAt, req.locale)) } ?? t("radar.not_looked_yet"),
            pagination: pagination)
    }
}

/// What the radar holds about the reader: the signals it sees today, their check-ins and the actions
/// ambassadors recorded; and their choices (radar, binômes, buddy).
struct CommunitySettingsPage: Encodable, Sendable {
    let heading: String
    let intro: String
    let signals: [String]
    let noSignals: String
    let checkIns: [String]
    let actions: [String]
    let forms: [FormModel]

    static func build(_ req: Request, user: User, profile: Profile) async throws -> CommunitySettingsPage {
        let t = req.t, now = req.now
        let userID = try user.requireID()
        let facts = try await RadarFactsLoader(db: req.db as! any SQLDatabase, now: now).facts(of: userID)
        let signals = profile.radarOptOut ? [] : facts.map { Radar.signals($0, now: now, thresholds: req.maillon.settings.radar) } ?? []
        let checkIns = try await CheckIn.query(on: req.db).filter(\.$user.$id == userID).sort(\.$createdAt, .descending).limit(24).all()
        let actions = try await RadarAction.query(on: req.db).filter(\.$member.$id == userID).sort(\.$createdAt, .descending).limit(50).with(\.$by).all()
        let form = FormModel(id: "community-settings", action: SiteURL.communitySettings, submitLabel: t("form.save"), fields: [
            .init(name: "radar", label: t("community.field.radar"), type: "checkbox", value: profile.radarOptOut ? "" : "yes", hint: t("community.field.radar_hint"), required: false),
            .init(name: "pairing", label: t("community.field.pairing"), type: "checkbox", value: profile.pairingOptIn ? "yes" : "", hint: t("community.field.pairing_hint"), required: false),
            .init(name: "buddy", label: t("community.field.buddy"), type: "checkbox", value: profile.buddyVolunteer ? "yes" : "", hint: t("community.field.buddy_hint"), required: false),
        ])
        return CommunitySettingsPage(
            heading: t("community.heading"), intro: t("community.intro"),
            signals: signals.map { $0.text(t) }, noSignals: t(profile.radarOptOut ? "community.radar_off" : "community.no_signals"),
            checkIns: checkIns.map { t("community.check_in_line", $0.month, String($0.score)) + ($0.note.map { " — " + $0 } ?? "") },
            actions: actions.map { $0.summary(t, req.locale) + ($0.note.map { " — " + $0 } ?? "") },
            forms: [form])
    }
}

/// The radar's counts per chapter, for admins: never a name.
struct RadarCountsPage: Encodable, Sendable {
    struct Row: Encodable, Sendable {
        let chapter: String
        let members: Int
        let listed: Int
        let bySignal: String
    }

    let heading: String
    let intro: String
    let lookedAt: String
    let rows: [Row]

    static func build(_ req: Request) async throws -> RadarCountsPage {
        let t = req.t
        let counts = try await RadarWatch.counts(chapters: nil, on: req.db)
        let chapters = try await Chapter.query(on: req.db).sort(\.$name).all()
        let labels = ["radar.count.low_check_in", "radar.count.cancellations", "radar.count.no_first_event", "radar.count.quiet"]
        let looked = counts.values.compactMap(\.lookedAt).max()
        return RadarCountsPage(heading: t("radar.counts_heading"), intro: t("radar.counts_intro"),
                               lookedAt: looked.map { t("radar.looked_at", DateFormatting.dateTime($0, req.locale)) } ?? t("radar.not_looked_yet"),
                               rows: chapters.map { chapter in
            let count = counts[chapter.id ?? UUID()] ?? RadarWatch.Counts()
            return Row(chapter: chapter.name, members: count.watched, listed: count.listed,
                       bySignal: labels.enumerated().map { t($1, String(count.byKind[$0])) }.joined(separator: " · "))
        })
    }
}

/// One's binômes: this month's (with "we met" / "skip this month"), the earlier ones, and the choice to take part.
struct BinomesPage: Encodable, Sendable {
    struct Binome: Encodable, Sendable {
        struct Partner: Encodable, Sendable {
            let name: String
            let url: String
            let messageURL: String
        }
        let month: String
        let partners: [Partner]
        let remote: Bool
        let outcome: String
        let metURL: String?
        let skipURL: String?
    }

    let heading: String
    let intro: String
    let optedIn: Bool
    let settingsURL: String
    let current: Binome?
    let earlier: [Binome]

    static func build(_ req: Request, user: User, profile: Profile) async throws -> BinomesPage {
        let t = req.t
        let userID = try user.requireID()
        let mine = try await PairingMember.query(on: req.db).filter(\.$user.$id == userID).sort(\.$month, .descending).limit(12).all()
        let pairingIDs = mine.map(\.$pairing.id)
        let pairings = Dictionary(try await (pairingIDs.isEmpty ? [] : Pairing.query(on: req.db).filter(\.$id ~~ pairingIDs).with(\.$members) { $0.with(\.$user) }.all())
            .map { ($0.id ?? UUID(), $0) }, uniquingKeysWith: { a, _ in a })
        let thisMonth = Month.key(req.now)
        let binomes = mine.compactMap { row -> Binome? in
            guard let pairing = pairings[row.$pairing.id], let pairingID = pairing.id else { return nil }
            let open = row.month == thisMonth && row.outcome == .pending
            return Binome(
                month: row.month,
                partners: pairing.members.filter { $0.$user.id != userID }.map {
                    .init(name: $0.user.name, url: SiteURL.member($0.$user.id), messageURL: SiteURL.writeTo($0.$user.id))
                },
                remote: pairing.$chapter.id == nil, outcome: t("binome.outcome.\(row.outcome.rawValue)"),
                metURL: open ? SiteURL.binome(pairingID, "met") : nil, skipURL: open ? SiteURL.binome(pairingID, "skipped") : nil)
        }
        let current = binomes.first { $0.month == thisMonth }
        return BinomesPage(heading: t("binome.heading"), intro: t(profile.pairingOptIn ? "binome.intro_in" : "binome.intro_out"), optedIn: profile.pairingOptIn,
                           settingsURL: SiteURL.communitySettings, current: current, earlier: binomes.filter { $0.month != thisMonth })
    }
}
