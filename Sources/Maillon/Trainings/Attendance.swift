import Fluent
import Foundation
import SQLKit
import Vapor

/// A trainee's signature for one half-day (émargement), or the trainer's word that they were absent,
/// or, for a remote half-day, their connection times. The time, address and device of a signature
/// are kept as evidence.
public final class Attendance: Model, @unchecked Sendable {
    public static let schema = "training_attendances"

    public enum Status: String, Codable, Sendable, CaseIterable { case present, absent }
    public enum SignatureKind: String, Codable, Sendable { case drawn, typed, connection }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "half_day_id") public var halfDay: TrainingHalfDay
    @Parent(key: "enrolment_id") public var enrolment: Enrolment
    @Field(key: "status") public var status: Status
    @OptionalField(key: "signature_kind") public var signatureKind: SignatureKind?
    /// The drawn signature as SVG path data, or the typed name.
    @Field(key: "signature") public var signature: String
    @OptionalField(key: "signed_at") public var signedAt: Date?
    @Field(key: "ip") public var ip: String
    @Field(key: "device") public var device: String
    /// For a remote half-day proven by connection: from and until when.
    @OptionalField(key: "connected_from") public var connectedFrom: Date?
    @OptionalField(key: "connected_until") public var connectedUntil: Date?
    /// The trainer who marked it (absent, connection times); nil when the trainee signed.
    @OptionalParent(key: "marked_by_id") public var markedBy: User?
    @Field(key: "updated_at") public var updatedAt: Date

    public init() {}
}

/// What the half-days attended (signed, or proven by connection) add up to, per enrolment: how many,
/// and how many hours. The one count behind certificates, results and the BPF.
struct Attended {
    private(set) var halfDays: [UUID: Int] = [:]
    private(set) var hours: [UUID: Double] = [:]

    init(_ attendances: [Attendance], halfDays: [TrainingHalfDay]) {
        let length = Dictionary(halfDays.map { ($0.id ?? UUID(), $0.endsAt.timeIntervalSince($0.startsAt) / 3600) }, uniquingKeysWith: { a, _ in a })
        for attendance in attendances where attendance.status == .present {
            self.halfDays[attendance.$enrolment.id, default: 0] += 1
            hours[attendance.$enrolment.id, default: 0] += length[attendance.$halfDay.id] ?? 0
        }
    }
}

/// Signatures: what a valid one looks like, when a half-day's code works.
enum Signatures {
    /// Codes read aloud or typed: no 0/O, 1/I/L.
    static let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")

    static func newCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<6).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// A half-day's code works from 30 minutes before it starts until it ends.
    static func codeWorks(_ halfDay: TrainingHalfDay, now: Date) -> Bool {
        now >= halfDay.startsAt.addingTimeInterval(-30 * 60) && now <= halfDay.endsAt
    }

    /// A drawn signature is SVG path data: moves and lines with numbers, nothing else (it is drawn back
    /// into the attendance sheet, so nothing else may pass), and not too long.
    static func isDrawing(_ path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count <= 20_000 else { return false }
        return path.unicodeScalars.allSatisfy { "ML0123456789.- ,".unicodeScalars.contains($0) } && path.hasPrefix("M")
    }

    /// What a trainee gave to sign: a drawing if it is one, else the typed name, else nothing.
    static func read(drawing: String, typed: String) -> (Attendance.SignatureKind, String)? {
        let drawing = drawing.trimmingCharacters(in: .whitespacesAndNewlines)
        if isDrawing(drawing) { return (.drawn, drawing) }
        let typed = typed.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !typed.isEmpty, typed.scalarLength <= 120 else { return nil }
        return (.typed, typed)
    }
}

/// Signing and countersigning. Call it on a transaction.
struct Attending {
    let database: any Database
    let now: Date

    enum Refusal: Error, Equatable {
        case codeUnknown, codeExpired, notEnrolled, alreadySigned, closed, signatureMissing

        var key: String {
            switch self {
            case .codeUnknown: "attendance.refused.code_unknown"
            case .codeExpired: "attendance.refused.code_expired"
            case .notEnrolled: "attendance.refused.not_enrolled"
            case .alreadySigned: "attendance.refused.already_signed"
            case .closed: "attendance.refused.closed"
            case .signatureMissing: "attendance.refused.signature_missing"
            }
        }
    }

    /// The half-day a code opens now, and the person's confirmed enrolment in its session.
    func open(code: String, userID: UUID) async throws -> (TrainingHalfDay, Enrolment) {
        let code = code.uppercased()
        guard code.count == 6, code.allSatisfy({ Signatures.alphabet.contains($0) }) else { throw Refusal.codeUnknown }
        let candidates = try await TrainingHalfDay.query(on: database).filter(\.$code == code).all()
        guard !candidates.isEmpty else { throw Refusal.codeUnknown }
        guard let halfDay = candidates.first(where: { Signatures.codeWorks($0, now: now) }) else { throw Refusal.codeExpired }
        guard halfDay.closedAt == nil else { throw Refusal.closed }
        guard let enrolment = try await Enrolment.query(on: database).filter(\.$session.$id == halfDay.$session.id).filter(\.$user.$id == userID)
            .join(Registration.self, on: \Enrolment.$registration.$id == \Registration.$id).filter(Registration.self, \.$status == .confirmed).first()
        else { throw Refusal.notEnrolled }
        return (halfDay, enrolment)
    }

    /// The trainee signs the half-day `open` found (read before the transaction); once per half-day.
    /// Signatures of one half-day are written one at a time: the half-day's row is locked before
    /// anything is read (on SQLite that takes the write lock first, so two at once never both read
    /// "not signed" and then collide), and the trainer may have closed it meanwhile.
    func sign(_ found: TrainingHalfDay, _ enrolment: Enrolment, drawing: String, typed: String, ip: String, device: String) async throws -> Attendance {
        guard let (kind, signature) = Signatures.read(drawing: drawing, typed: typed) else { throw Refusal.signatureMissing }
        try await database.lockRow(of: TrainingHalfDay.schema, id: found.requireID(), touching: "code")
        guard let halfDay = try await TrainingHalfDay.find(found.requireID(), on: database), halfDay.closedAt == nil else { throw Refusal.closed }
        if let existing = try await Attendance.query(on: database).filter(\.$halfDay.$id == halfDay.requireID())
            .filter(\.$enrolment.$id == enrolment.requireID()).first(), existing.status == .present { throw Refusal.alreadySigned }
        let attendance = try await Attendance.query(on: database).filter(\.$halfDay.$id == halfDay.requireID())
            .filter(\.$enrolment.$id == enrolment.requireID()).first() ?? Attendance()
        attendance.$halfDay.id = try halfDay.requireID()
        attendance.$enrolment.id = try enrolment.requireID()
        attendance.status = .present
        attendance.signatureKind = kind
        attendance.signature = signature
        attendance.signedAt = now
        attendance.ip = String(ip.prefix(64))
        attendance.device = String(device.prefix(300))
        attendance.$markedBy.id = nil
        attendance.updatedAt = now
        do {
            try await attendance.save(on: database)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw Refusal.alreadySigned
        }
        return attendance
    }

    /// The trainer marks a trainee absent, or proves a remote half-day by connection times.
    func mark(_ found: TrainingHalfDay, enrolment: Enrolment, absent: Bool, connected: (Date, Date)?, by trainer: User) async throws {
        try await database.lockRow(of: TrainingHalfDay.schema, id: found.requireID(), touching: "code")
        guard let halfDay = try await TrainingHalfDay.find(found.requireID(), on: database), halfDay.closedAt == nil else { throw Refusal.closed }
        let attendance = try await Attendance.query(on: database).filter(\.$halfDay.$id == halfDay.requireID())
            .filter(\.$enrolment.$id == enrolment.requireID()).first() ?? Attendance()
        attendance.$halfDay.id = try halfDay.requireID()
        attendance.$enrolment.id = try enrolment.requireID()
        attendance.status = absent ? .absent : .present
        if absent {
            attendance.signatureKind = nil
            attendance.signature = ""
            attendance.signedAt = nil
        } else if let connected {
            attendance.signatureKind = .connection
            attendance.signature = ""
            attendance.connectedFrom = connected.0
            attendance.connectedUntil = connected.1
            attendance.signedAt = now
        }
        if attendance.id == nil { attendance.ip = ""; attendance.device = "" }
        attendance.$markedBy.id = trainer.id
        attendance.updatedAt = now
        try await attendance.save(on: database)
    }

    /// The trainer countersigns: that closes the half-day (no one signs it after). A half-day is closed
    /// only this way, so never without the trainer's signature.
    func countersign(_ halfDayID: UUID, by trainer: User, drawing: String, typed: String) async throws {
        guard let (kind, signature) = Signatures.read(drawing: drawing, typed: typed) else { throw Refusal.signatureMissing }
        let closed = try await (database as! any SQLDatabase).update(TrainingHalfDay.schema)
            .set("closed_at", to: now).set("trainer_signature", to: signature).set("trainer_signature_kind", to: kind.rawValue)
            .set("trainer_id", to: trainer.id)
            .where("id", .equal, halfDayID).where("closed_at", .is, SQLLiteral.null).returning("id").first()
        guard closed != nil else { throw Refusal.closed }
    }
}
