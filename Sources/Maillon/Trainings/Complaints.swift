import Fluent
import Foundation
import SQLKit
import Vapor

/// A complaint (réclamation) about the training organisation, from anyone (Qualiopi indicator 31):
/// received, analysed, answered, closed — each step dated, with an owner among the admins.
public final class Complaint: Model, @unchecked Sendable {
    public static let schema = "complaints"

    public enum Status: String, Codable, Sendable, CaseIterable { case received, analysed, answered, closed }

    @ID(key: .id) public var id: UUID?
    /// What the complainant quotes: "R-" and eight characters.
    @Field(key: "reference") public var reference: String
    /// The account it came from, if signed in; emptied on erasure.
    @OptionalParent(key: "user_id") public var user: User?
    @Field(key: "name") public var name: String
    @Field(key: "email") public var email: String
    @OptionalParent(key: "training_id") public var training: Training?
    @Field(key: "body") public var body: String
    @Field(key: "status") public var status: Status
    @OptionalParent(key: "owner_id") public var owner: User?
    @OptionalField(key: "answer") public var answer: String?
    @Field(key: "received_at") public var receivedAt: Date
    @OptionalField(key: "analysed_at") public var analysedAt: Date?
    @OptionalField(key: "answered_at") public var answeredAt: Date?
    @OptionalField(key: "closed_at") public var closedAt: Date?

    public init() {}
}

/// An improvement action (indicator 32), opened from a complaint or on its own.
public final class ImprovementAction: Model, @unchecked Sendable {
    public static let schema = "improvement_actions"

    public enum Status: String, Codable, Sendable, CaseIterable { case open, done }

    @ID(key: .id) public var id: UUID?
    @OptionalParent(key: "complaint_id") public var complaint: Complaint?
    @Field(key: "title") public var title: String
    @Field(key: "description") public var description: String
    @Field(key: "status") public var status: Status
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "done_at") public var doneAt: Date?

    public init() {}
}

/// The steps of a complaint: forward only, one at a time; answering needs the answer's text.
enum ComplaintRules {
    static func next(after status: Complaint.Status) -> Complaint.Status? {
        switch status {
        case .received: .analysed
        case .analysed: .answered
        case .answered: .closed
        case .closed: nil
        }
    }

    static func reference(for id: UUID) -> String {
        "R-" + id.uuidString.replacingOccurrences(of: "-", with: "").prefix(8).uppercased()
    }
}

/// Receiving and handling complaints. Call it on a transaction.
struct ComplaintDesk {
    let application: Application
    let database: any Database
    let now: Date

    enum Refusal: Error { case alreadyMoved, answerNeeded }

    /// Records a complaint and acknowledges it by mail. The acknowledgement repeats nothing the sender
    /// typed but the reference, so the form cannot carry a stranger's words to any address.
    func receive(name: String, email: String, trainingID: UUID?, body: String, user: User?, locale: AppLocale) async throws -> Complaint {
        let complaint = Complaint()
        complaint.id = UUID()
        complaint.reference = ComplaintRules.reference(for: complaint.id!)
        complaint.$user.id = user?.id
        complaint.name = name
        complaint.email = email
        complaint.$training.id = trainingID
        complaint.body = body
        complaint.status = .received
        complaint.receivedAt = now
        try await complaint.create(on: database)
        let t = Translator(catalogue: application.maillon.catalogue, locale: user?.locale ?? locale)
        let community = application.maillon.settings.communityName
        try await Outbox(application: application, database: database, now: now).send(MailContent(
            subject: t("complaint.mail.ack.subject", complaint.reference), greeting: t("mail.greeting_plain"),
            paragraphs: [t("complaint.mail.ack.body", complaint.reference, DateFormatting.date(now, t.locale), community)],
            closing: [t("mail.not_you")]), to: email, locale: t.locale)
        return complaint
    }

    /// Moves a complaint one step on, if it is still where the admin saw it. Answering mails the answer.
    func move(_ id: UUID, from status: Complaint.Status, answer: String?, owner: UUID?) async throws {
        guard let to = ComplaintRules.next(after: status) else { throw Refusal.alreadyMoved }
        if to == .answered, (answer ?? "").isEmpty { throw Refusal.answerNeeded }
        let sql = database as! any SQLDatabase
        var update = sql.update(Complaint.schema).set("status", to: to.rawValue).where("id", .equal, id).where("status", .equal, status.rawValue)
        switch to {
        case .analysed: update = update.set("analysed_at", to: now)
        case .answered: update = update.set("answered_at", to: now).set("answer", to: answer ?? "")
        case .closed: update = update.set("closed_at", to: now)
        case .received: break
        }
        if let owner { update = update.set("owner_id", to: owner) }
        let moved = try await update.returning("id").first()
        guard moved != nil else { throw Refusal.alreadyMoved }
        if to == .answered, let complaint = try await Complaint.find(id, on: database) {
            var locale = AppLocale.default
            if let userID = complaint.$user.id, let user = try await User.find(userID, on: database) { locale = user.locale ?? .default }
            let t = Translator(catalogue: application.maillon.catalogue, locale: locale)
            try await Outbox(application: application, database: database, now: now).send(MailContent(
                subject: t("complaint.mail.answer.subject", complaint.reference), greeting: t("mail.greeting", complaint.name),
                paragraphs: TrainingContent.lines(answer ?? "")), to: complaint.email, locale: locale)
        }
    }
}

/// "Download my data": the complaints one made while signed in. On erasure they stay (the training
/// organisation keeps them as evidence) without the name and address.
struct ComplaintsSection: PersonalDataSection {
    let name = "complaints"

    func export(userID: UUID, on db: any Database) async throws -> Any {
        try await Complaint.query(on: db).filter(\.$user.$id == userID).sort(\.$receivedAt).all().map {
            ["reference": $0.reference, "name": $0.name, "email": $0.email, "complaint": $0.body, "status": $0.status.rawValue,
             "answer": $0.answer ?? NSNull(), "received_at": PersonalData.stamp($0.receivedAt)] as [String: Any]
        }
    }

    func beforeErase(userID: UUID, application: Application, on db: any Database, now: Date) async throws {
        try await Complaint.query(on: db).filter(\.$user.$id == userID).set(\.$name, to: "").set(\.$email, to: "").update()
    }
}
