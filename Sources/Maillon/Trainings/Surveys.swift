import Fluent
import Foundation
import SQLKit
import Vapor

/// Someone asked to answer a session's survey: a trainee at the end (hot) and `COLD_SURVEY_DAYS`
/// later (cold), a trainer at the end. One per person, kind and session (a unique index: two
/// instances never both ask); reminded once, a week later, if still unanswered.
public final class SurveyRequest: Model, @unchecked Sendable {
    public static let schema = "training_survey_requests"

    public enum Kind: String, Codable, Sendable, CaseIterable { case hot, cold, trainer }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "session_id") public var session: TrainingSession
    @Field(key: "kind") public var kind: Kind
    @OptionalParent(key: "user_id") public var user: User?
    @Field(key: "sent_at") public var sentAt: Date
    @OptionalField(key: "reminded_at") public var remindedAt: Date?
    @OptionalField(key: "answered_at") public var answeredAt: Date?

    public init() {}
}

/// An answer to a survey, kept apart from who answered (the request says only that they did).
public final class SurveyResponse: Model, @unchecked Sendable {
    public static let schema = "training_survey_responses"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "session_id") public var session: TrainingSession
    @Field(key: "kind") public var kind: SurveyRequest.Kind
    /// Overall satisfaction, 1 to 5 (for a trainer: the session's conditions).
    @Field(key: "satisfaction") public var satisfaction: Int
    /// How far the objectives were met, 1 to 5 (trainees).
    @OptionalField(key: "objectives_met") public var objectivesMet: Int?
    /// Would recommend the training (hot survey).
    @OptionalField(key: "recommends") public var recommends: Bool?
    /// How much of it they have put to use, 1 to 5 (cold survey).
    @OptionalField(key: "applied") public var applied: Int?
    @Field(key: "comment") public var comment: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// The survey form, read and checked.
struct SurveyInput {
    var errors = FormErrors()
    var satisfaction = 0
    var objectivesMet: Int?
    var recommends: Bool?
    var applied: Int?
    var comment = ""

    init(values: [String: String], kind: SurveyRequest.Kind) {
        var form = FormReader(values)
        satisfaction = form.number("satisfaction", 1...5, required: true, invalid: "field.invalid_choice") ?? 0
        if kind != .trainer { objectivesMet = form.number("objectives_met", 1...5, required: true, invalid: "field.invalid_choice") }
        if kind == .hot {
            switch form.raw("recommends") {
            case "yes": recommends = true
            case "no": recommends = false
            default: form.errors.add("recommends", "field.required")
            }
        }
        if kind == .cold { applied = form.number("applied", 1...5, required: true, invalid: "field.invalid_choice") }
        comment = form.text("comment", max: 3000)
        errors = form.errors
    }
}

/// Hourly: asks for the surveys that are due (hot and trainers' when a session has ended, cold
/// `COLD_SURVEY_DAYS` later), and reminds once after a week.
struct SurveysJob: Job {
    static let kind = "training-surveys"
    static let reminderAfter: TimeInterval = 7 * 86400
    /// Sessions older than this are not asked about any more (a new install does not mail the past).
    static let window: TimeInterval = 14 * 86400

    func run(_ context: JobContext) async throws {
        let now = context.now
        let cold = Double(context.maillon.settings.coldSurveyDays) * 86400
        for (kind, endedBy) in [(SurveyRequest.Kind.hot, now), (.cold, now.addingTimeInterval(-cold))] {
            let sessions = try await TrainingSession.query(on: context.db).join(Event.self, on: \TrainingSession.$event.$id == \Event.$id)
                .filter(Event.self, \.$status == .scheduled).filter(Event.self, \.$endsAt <= endedBy)
                .filter(Event.self, \.$endsAt > endedBy.addingTimeInterval(-Self.window)).all()
            for session in sessions {
                let id = try session.requireID()
                let attended = try await Self.attendees(of: id, on: context.db)
                for userID in attended { try await ask(kind, session: session, userID: userID, context) }
                if kind == .hot {
                    for userID in try await TrainingTrainer.query(on: context.db).filter(\.$session.$id == id).all().compactMap(\.$user.id) {
                        try await ask(.trainer, session: session, userID: userID, context)
                    }
                }
            }
        }
        for request in try await SurveyRequest.query(on: context.db).filter(\.$answeredAt == nil).filter(\.$remindedAt == nil)
            .filter(\.$sentAt <= now.addingTimeInterval(-Self.reminderAfter)).filter(\.$sentAt > now.addingTimeInterval(-2 * Self.window)).all() {
            try await context.db.transaction { db in
                let claimed = try await (db as! any SQLDatabase).update(SurveyRequest.schema).set("reminded_at", to: now)
                    .where("id", .equal, request.requireID()).where("reminded_at", .is, SQLLiteral.null).returning("id").first()
                guard claimed != nil, let userID = request.$user.id, let user = try await User.find(userID, on: db) else { return }
                try await tell(user, request.kind, sessionID: request.$session.id, reminder: true, context, db)
            }
        }
    }

    /// Trainees with at least one half-day attended.
    static func attendees(of sessionID: UUID, on db: any Database) async throws -> [UUID] {
        let enrolments = try await Enrolment.query(on: db).filter(\.$session.$id == sessionID).all()
        let present = Set(try await Attendance.query(on: db).filter(\.$enrolment.$id ~~ enrolments.compactMap(\.id)).filter(\.$status == .present).all()
            .map { $0.$enrolment.id })
        return enrolments.filter { present.contains($0.id ?? UUID()) }.compactMap(\.$user.id)
    }

    private func ask(_ kind: SurveyRequest.Kind, session: TrainingSession, userID: UUID, _ context: JobContext) async throws {
        let sessionID = try session.requireID()
        guard try await SurveyRequest.query(on: context.db).filter(\.$session.$id == sessionID).filter(\.$kind == kind).filter(\.$user.$id == userID).count() == 0,
              let user = try await User.find(userID, on: context.db) else { return }
        do {
            try await context.db.transaction { db in
                let request = SurveyRequest()
                request.$session.id = sessionID
                request.kind = kind
                request.$user.id = userID
                request.sentAt = context.now
                try await request.create(on: db)
                try await tell(user, kind, sessionID: sessionID, reminder: false, context, db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Another instance asked first.
        }
    }

    private func tell(_ user: User, _ kind: SurveyRequest.Kind, sessionID: UUID, reminder: Bool, _ context: JobContext, _ db: any Database) async throws {
        guard let session = try await TrainingSession.find(sessionID, on: db), let training = try await Training.find(session.$training.id, on: db) else { return }
        try await Notifier(application: context.application, database: db, now: context.now).notify(user, .init(
            kind: .trainingSurvey, textKey: reminder ? "notify.survey_reminder" : "notify.survey.\(kind.rawValue)", arguments: [training.title],
            link: SiteURL.trainingSurvey(sessionID, kind)))
    }
}

/// The results of sessions that ended: people trained (attended at least a half-day), completion
/// (attended every half-day), satisfaction (the hot surveys' mean).
extension TrainingResults {
    static func compute(sessions: [UUID], on db: any Database) async throws -> TrainingResults {
        guard !sessions.isEmpty else { return TrainingResults() }
        let enrolments = try await Enrolment.query(on: db).filter(\.$session.$id ~~ sessions).all()
        let halfDays = try await TrainingHalfDay.query(on: db).filter(\.$session.$id ~~ sessions).all()
        let present = try await Attendance.query(on: db).filter(\.$enrolment.$id ~~ enrolments.compactMap(\.id)).filter(\.$status == .present).all()
        var halfDaysPerSession: [UUID: Int] = [:]
        for halfDay in halfDays { halfDaysPerSession[halfDay.$session.id, default: 0] += 1 }
        let attended = Attended(present, halfDays: halfDays).halfDays
        let trained = enrolments.filter { (attended[$0.id ?? UUID()] ?? 0) > 0 }
        let completed = trained.filter { attended[$0.id ?? UUID()] == halfDaysPerSession[$0.$session.id] }
        let ratings = try await SurveyResponse.query(on: db).filter(\.$session.$id ~~ sessions).filter(\.$kind == .hot).all(\.$satisfaction)
        return TrainingResults(trained: trained.count, completion: trained.isEmpty ? nil : Double(completed.count) / Double(trained.count),
                               satisfaction: ratings.isEmpty ? nil : Double(ratings.reduce(0, +)) / Double(ratings.count))
    }

    /// A training's sessions that have ended, together.
    static func compute(for training: Training, now: Date, on db: any Database) async throws -> TrainingResults {
        let ended = try await TrainingSession.query(on: db).filter(\.$training.$id == training.requireID())
            .join(Event.self, on: \TrainingSession.$event.$id == \Event.$id).filter(Event.self, \.$status == .scheduled)
            .filter(Event.self, \.$endsAt <= now).all().compactMap(\.id)
        return try await compute(sessions: ended, on: db)
    }
}
