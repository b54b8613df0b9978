import Fluent
import Foundation
import Vapor

/// One dated run of a training (session de formation). Its seats are an `Event` of kind `training`
/// (so `Seats` counts them, waitlist included, as for meetups); the session adds what a training
/// organisation must record: the programme version it runs, its half-days, its trainers, its price,
/// and the internal rules in force.
public final class TrainingSession: Model, @unchecked Sendable {
    public static let schema = "training_sessions"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "training_id") public var training: Training
    /// The programme's version this session runs with.
    @Field(key: "training_version") public var trainingVersion: Int
    /// The seats (capacity, registrations, waitlist), the place and the times overall.
    @Parent(key: "event_id") public var event: Event
    /// Euros per trainee.
    @Field(key: "price") public var price: Int
    /// The internal rules' version in force when it was scheduled (nil: none published yet).
    @OptionalField(key: "rules_version") public var rulesVersion: Int?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// A half-day (demi-journée) of a session: what attendance is signed for.
public final class TrainingHalfDay: Model, @unchecked Sendable {
    public static let schema = "training_half_days"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "session_id") public var session: TrainingSession
    @Field(key: "starts_at") public var startsAt: Date
    @Field(key: "ends_at") public var endsAt: Date
    /// What trainees type or scan to sign, valid during the half-day only.
    @Field(key: "code") public var code: String
    /// Closed by the trainer's countersignature (the only way to close it).
    @OptionalField(key: "closed_at") public var closedAt: Date?
    @OptionalParent(key: "trainer_id") public var trainer: User?
    @OptionalField(key: "trainer_signature_kind") public var trainerSignatureKind: Attendance.SignatureKind?
    @Field(key: "trainer_signature") public var trainerSignature: String

    public init() {}

    /// Morning when it starts before noon, Paris time.
    var isMorning: Bool { Recurrence.calendar.component(.hour, from: startsAt) < 12 }
}

/// Someone who trains on a session: a member (or an admin).
public final class TrainingTrainer: Model, @unchecked Sendable {
    public static let schema = "training_trainers"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "session_id") public var session: TrainingSession
    @OptionalParent(key: "user_id") public var user: User?

    public init() {}
}

/// A trainee's enrolment: the seat is the event registration; this keeps the needs analysis and
/// positioning, the trainee's status and funding (for the BPF), what they acknowledged, and when
/// their convocation went out.
public final class Enrolment: Model, @unchecked Sendable {
    public static let schema = "training_enrolments"

    /// As the BPF counts trainees.
    public enum TraineeStatus: String, Codable, Sendable, CaseIterable { case employee, jobSeeker = "job_seeker", selfFunded = "self_funded", other }
    public enum Funding: String, Codable, Sendable, CaseIterable { case company, opco, cpf, person, publicBody = "public_body", other }
    /// Where the trainee places themself before the training (positionnement).
    public enum Level: String, Codable, Sendable, CaseIterable { case discovering, practising, confident }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "session_id") public var session: TrainingSession
    @OptionalParent(key: "registration_id") public var registration: Registration?
    @OptionalParent(key: "user_id") public var user: User?
    @Field(key: "expectations") public var expectations: String
    @Field(key: "level") public var level: Level
    /// An adaptation needed for a disability: seen by admins (and the disability referent) only.
    @Field(key: "adaptation") public var adaptation: String
    @Field(key: "trainee_status") public var traineeStatus: TraineeStatus
    @Field(key: "funding") public var funding: Funding
    @Field(key: "programme_version") public var programmeVersion: Int
    @OptionalField(key: "rules_version") public var rulesVersion: Int?
    @Field(key: "acknowledged_at") public var acknowledgedAt: Date
    /// When the convocation was sent (evidence); nil until then.
    @OptionalField(key: "convocation_sent_at") public var convocationSentAt: Date?
    /// Set when the trainee's account is erased while the law still requires their attendance and
    /// certificate to be kept (three years, six when co-funded): the name those records carry, until then.
    @OptionalField(key: "retained_name") public var retainedName: String?
    @OptionalField(key: "retained_until") public var retainedUntil: Date?
    /// When the certificate of completion was mailed (once the session ended).
    @OptionalField(key: "certificate_sent_at") public var certificateSentAt: Date?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}
}

/// The internal rules (règlement intérieur) of the training organisation, versioned: trainees
/// acknowledge a version when they enrol.
public final class TrainingRulesText: Model, @unchecked Sendable {
    public static let schema = "training_rules"

    @ID(key: .id) public var id: UUID?
    @Field(key: "version") public var version: Int
    @Field(key: "body") public var body: String
    @OptionalParent(key: "author_id") public var author: User?
    @Field(key: "published_at") public var publishedAt: Date

    public init() {}

    static func current(on db: any Database) async throws -> TrainingRulesText? {
        try await TrainingRulesText.query(on: db).sort(\.$version, .descending).first()
    }
}

extension TrainingSession {
    /// Who trains on it.
    func trainerIDs(on db: any Database) async throws -> Set<UUID> {
        Set(try await TrainingTrainer.query(on: db).filter(\.$session.$id == requireID()).all().compactMap(\.$user.id))
    }

    /// The enrolments holding a seat.
    func confirmedEnrolments(on db: any Database) async throws -> [Enrolment] {
        try await Enrolment.query(on: db).filter(\.$session.$id == requireID())
            .join(Registration.self, on: \Enrolment.$registration.$id == \Registration.$id).filter(Registration.self, \.$status == .confirmed)
            .sort(\.$createdAt).all()
    }
}

extension Request {
    /// The `:session` of the path with its training and seats, once the reader may run it (its trainers, the admins).
    func runnableSession() async throws -> (TrainingSession, Training, Event) {
        guard let id = parameters.get("session", as: UUID.self), let session = try await TrainingSession.find(id, on: db),
              let training = try await Training.find(session.$training.id, on: db), let event = try await Event.find(session.$event.id, on: db)
        else { throw PageError.notFound }
        try authorize(.runTrainingSession(trainers: try await session.trainerIDs(on: db)))
        return (session, training, event)
    }
}
