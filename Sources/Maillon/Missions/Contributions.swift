import Fluent
import Foundation
import SQLKit
import Vapor

/// A pay-what-you-want contribution ("contribution volontaire") an organisation gives the community
/// after a completed mission: pledged (with a reference to quote on the transfer), then received.
/// Never a condition for anything.
public final class Contribution: Model, @unchecked Sendable {
    public static let schema = "contributions"

    public enum Status: String, Codable, Sendable { case pledged, received }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "mission_id") public var mission: Mission
    @Parent(key: "organisation_id") public var organisation: Organisation
    /// What was suggested (none for pro bono), in euros.
    @OptionalField(key: "suggested") public var suggested: Int?
    @Field(key: "amount") public var amount: Int
    @Field(key: "reference") public var reference: String
    @Field(key: "status") public var status: Status
    @OptionalParent(key: "pledged_by_id") public var pledgedBy: User?
    @Field(key: "pledged_at") public var pledgedAt: Date
    @OptionalField(key: "received_at") public var receivedAt: Date?

    public init() {}
}

/// The suggested amount, the reference, and the yearly totals: plain rules.
enum ContributionRules {
    /// The price of the chosen proposal (a total, or a day rate times days), or nil (pro bono, none chosen).
    static func price(of proposal: Proposal?) -> Int? {
        guard let proposal else { return nil }
        switch proposal.price {
        case .total: return proposal.total
        case .dayRate: return proposal.dayRate.flatMap { rate in proposal.days.map { rate * $0 } }
        case .none: return nil
        }
    }

    /// `percent` of the price, rounded to the euro; nothing suggested for pro bono.
    static func suggested(price: Int?, percent: Int) -> Int? {
        guard let price, price > 0 else { return nil }
        return Int((Double(price) * Double(percent) / 100).rounded())
    }

    /// What the organisation quotes on its transfer: short, unambiguous, tied to the mission.
    static func reference(for missionID: UUID) -> String {
        "CV-" + missionID.uuidString.replacingOccurrences(of: "-", with: "").prefix(8).uppercased()
    }
}

/// The organisation's side: `/missions/<id>/contribution`; the admins': `/admin/contributions`.
struct ContributionsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.missions) + [":id", "contribution"], use: show)
        routes.post(SiteURL.route(SiteURL.missions) + [":id", "contribution"], use: pledge)
        routes.get(SiteURL.route(SiteURL.adminContributions), use: admin)
        routes.post(SiteURL.route(SiteURL.adminContributions) + [":id", "received"], use: received)
    }

    struct Page: Encodable, Sendable {
        let heading: String
        let missionURL: String
        let paragraphs: [String]
        let forms: [FormModel]
        let bankDetails: [String]
    }

    private func completed(_ req: Request) async throws -> (Mission, suggested: Int?) {
        guard let id = req.parameters.get("id", as: UUID.self), let mission = try await Mission.find(id, on: req.db) else { throw PageError.notFound }
        guard AccessPolicy.allows(req.principal, .manageOrganisation(mission.$organisation.id)), mission.status == .completed else { throw PageError.notFound }
        let chosen = try await Proposal.query(on: req.db).filter(\.$mission.$id == id).filter(\.$status == .awarded).first()
        return (mission, ContributionRules.suggested(price: ContributionRules.price(of: chosen), percent: req.maillon.settings.contributionPercent))
    }

    private func render(_ req: Request, values: [String: String] = [:], errors: FormErrors = .init(), status: HTTPStatus = .ok) async throws -> Response {
        let (mission, suggested) = try await completed(req)
        let t = req.t
        let id = try mission.requireID()
        let community = req.maillon.settings.communityName
        var paragraphs = [t("contribution.intro", community)]
        var forms: [FormModel] = []
        var bank: [String] = []
        if let existing = try await Contribution.query(on: req.db).filter(\.$mission.$id == id).first() {
            paragraphs.append(existing.amount == 0 ? t("contribution.thanks_zero")
                              : t(existing.status == .received ? "contribution.received" : "contribution.pledged", String(existing.amount), existing.reference))
            if existing.status == .pledged, existing.amount > 0 {
                bank = req.maillon.settings.contributionBankDetails.map { $0.components(separatedBy: "\\n") } ?? [t("contribution.details_by_mail")]
            }
        } else {
            paragraphs.append(suggested.map { t("contribution.suggested", String($0), String(req.maillon.settings.contributionPercent)) } ?? t("contribution.pro_bono"))
            forms = [FormModel(id: "contribution", action: "\(SiteURL.mission(id))/contribution", submitLabel: t("contribution.submit"), fields: [
                .init(name: "amount", label: t("contribution.amount"), value: values["amount"] ?? suggested.map(String.init) ?? "",
                      error: errors["amount"].map { t($0) }, hint: t("contribution.amount_hint"), inputmode: "numeric"),
            ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))]
        }
        return try await req.renderPage("contribution", title: t("contribution.heading"), Page(
            heading: t("contribution.heading"), missionURL: SiteURL.mission(id), paragraphs: paragraphs, forms: forms, bankDetails: bank), status: status)
    }

    @Sendable func show(req: Request) async throws -> Response { try await render(req) }

    @Sendable func pledge(req: Request) async throws -> Response {
        let (mission, suggested) = try await completed(req)
        let values = try await req.formValues()
        var form = FormReader(values)
        let amount = form.number("amount", 0...1_000_000, required: true, invalid: "contribution.amount_invalid")
        guard form.errors.isEmpty, let amount else { return try await render(req, values: values, errors: form.errors, status: .unprocessableEntity) }
        let contribution = Contribution()
        contribution.$mission.id = try mission.requireID()
        contribution.$organisation.id = mission.$organisation.id
        contribution.suggested = suggested
        contribution.amount = amount
        contribution.reference = ContributionRules.reference(for: try mission.requireID())
        contribution.status = .pledged
        contribution.$pledgedBy.id = req.currentUser?.id
        contribution.pledgedAt = req.now
        do {
            try await contribution.create(on: req.db)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // A colleague pledged a moment ago: theirs stands, shown below.
        }
        return try await render(req)
    }

    struct AdminPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let organisation: String
            let mission: String
            let amount: String
            let reference: String
            let pledged: String
            let receivedURL: String?
        }

        struct Year: Encodable, Sendable {
            let year: String
            let pledged: String
            let received: String
        }

        let heading: String
        let rows: [Row]
        let years: [Year]
    }

    @Sendable func admin(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let t = req.t
        let all = try await Contribution.query(on: req.db).filter(\.$amount > 0).with(\.$organisation).with(\.$mission).sort(\.$pledgedAt, .descending).all()
        let calendar = Recurrence.calendar
        var years: [Int: (pledged: Int, received: Int)] = [:]
        for contribution in all {
            years[calendar.component(.year, from: contribution.pledgedAt), default: (0, 0)].pledged += contribution.amount
            if let received = contribution.receivedAt { years[calendar.component(.year, from: received), default: (0, 0)].received += contribution.amount }
        }
        return try await req.renderPage("admin-contributions", title: t("contribution.admin_heading"), AdminPage(
            heading: t("contribution.admin_heading"),
            rows: all.prefix(200).map {
                .init(organisation: $0.organisation.name, mission: $0.mission.title, amount: t("contribution.euros", String($0.amount)), reference: $0.reference,
                      pledged: DateFormatting.date($0.pledgedAt, req.locale),
                      receivedURL: $0.status == .pledged ? "\(SiteURL.adminContributions)/\($0.id?.uuidString ?? "")/received" : nil)
            },
            years: years.keys.sorted(by: >).map { year in
                .init(year: String(year), pledged: t("contribution.euros", String(years[year]?.pledged ?? 0)), received: t("contribution.euros", String(years[year]?.received ?? 0)))
            }))
    }

    /// An admin saw the transfer: the contribution is received (once), and the organisation gets a receipt.
    @Sendable func received(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        guard let id = req.parameters.get("id", as: UUID.self), let contribution = try await Contribution.find(id, on: req.db) else { throw PageError.notFound }
        let now = req.now
        try await req.db.transaction { db in
            let moved = try await (db as! any SQLDatabase).raw("""
                UPDATE \(ident: Contribution.schema) SET status = 'received', received_at = \(bind: now) WHERE id = \(bind: id) AND status = 'pledged' RETURNING id
                """).all()
            guard moved.count == 1, let mission = try await Mission.find(contribution.$mission.id, on: db) else { return }
            let notifier = Notifier(application: req.application, database: db, now: now)
            for contact in try await OrganisationContact.query(on: db).filter(\.$organisation.$id == contribution.$organisation.id).with(\.$user).all() {
                try await notifier.notify(contact.user, .init(kind: .missionStatus, textKey: "notify.contribution_received",
                                                              arguments: [String(contribution.amount), mission.title, contribution.reference,
                                                                          DateFormatting.date(now, contact.user.locale ?? .default)],
                                                              link: "\(SiteURL.mission(try mission.requireID()))/contribution"))
            }
        }
        try await req.flash(.success, "contribution.flash.received")
        return req.redirect(to: SiteURL.adminContributions, redirectType: .normal)
    }
}
