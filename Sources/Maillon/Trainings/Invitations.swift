import Fluent
import Vapor

/// Someone from outside the community invited by an admin to one session: as a trainee (they may
/// then enrol in it, and in nothing else) or as a trainer (they run it, and nothing else). Their
/// account has the `guest` role; a member invited as a trainer keeps their own account.
public final class TrainingInvitation: Model, @unchecked Sendable {
    public static let schema = "training_invitations"

    public enum Kind: String, Codable, Sendable, CaseIterable { case trainee, trainer }

    @ID(key: .id) public var id: UUID?
    @Parent(key: "session_id") public var session: TrainingSession
    @Parent(key: "user_id") public var user: User
    @Field(key: "kind") public var kind: Kind
    @OptionalParent(key: "invited_by") public var invitedBy: User?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    /// Whether `userID` was invited to `sessionID` as `kind`.
    static func exists(session sessionID: UUID, user userID: UUID, _ kind: Kind, on db: any Database) async throws -> Bool {
        try await query(on: db).filter(\.$session.$id == sessionID).filter(\.$user.$id == userID).filter(\.$kind == kind).count() > 0
    }
}

/// The invitation form, read: a name, an address, and whether the person comes to learn or to teach.
struct InvitationInput {
    let name: String
    let email: String
    let kind: TrainingInvitation.Kind?
    var errors: FormErrors

    init(values: [String: String]) {
        var form = FormReader(values)
        name = form.text("name", max: PersonName.maximumLength, required: true)
        if let problem = PersonName.problem(name), form.errors["name"] == nil { form.errors.add("name", problem) }
        email = EmailAddress.normalise(values["email"] ?? "")
        if !EmailAddress.isPlausible(email) { form.errors.add("email", "email.invalid") }
        kind = form.choice("kind", as: TrainingInvitation.Kind.self)
        errors = form.errors
    }
}

/// Inviting someone to a session. The checks come first and write nothing; the writes then happen in
/// one transaction with the mail queued in it, so a refused or failed invitation leaves no trace.
struct TrainingInviting {
    let request: Request

    /// What stops `input` (already well formed) from becoming an invitation to `sessionID`, as form errors.
    func problems(_ input: InvitationInput, session sessionID: UUID, existing: User?) async throws -> FormErrors {
        var errors = FormErrors()
        guard let kind = input.kind else { return errors }
        if let existing {
            switch (existing.role, kind) {
            // A member enrols from the session's page like everyone else; only an outside person needs inviting.
            case (.member, .trainee), (.admin, .trainee): errors.add("email", "invitation.is_member")
            case (.applicant, _), (.organisationContact, _): errors.add("email", "invitation.other_account")
            default: break
            }
            let userID = try existing.requireID()
            let invited = try await TrainingInvitation.exists(session: sessionID, user: userID, kind, on: request.db)
            let trains = kind == .trainer
                ? try await TrainingTrainer.query(on: request.db).filter(\.$session.$id == sessionID).filter(\.$user.$id == userID).count() > 0 : false
            if invited || trains { errors.add("email", "invitation.already") }
        }
        return errors
    }

    /// Records the invitation (a trainer joins the session's trainers at once), creating a guest account
    /// for a new address with a week-long link to choose a password, and mails the person.
    func invite(_ input: InvitationInput, to session: TrainingSession, training: Training, existing: User?, by admin: User) async throws {
        guard let kind = input.kind else { return }
        let now = request.now
        let sessionID = try session.requireID()
        let event = try await Event.find(session.$event.id, on: request.db)
        try await request.db.transaction { db in
            let (person, secret) = try await InvitedAccount.open(existing: existing, email: input.email, name: input.name, role: .guest, request: request, on: db)
            let invitation = TrainingInvitation()
            invitation.$session.id = sessionID
            invitation.$user.id = try person.requireID()
            invitation.kind = kind
            invitation.$invitedBy.id = admin.id
            invitation.createdAt = now
            try await invitation.create(on: db)
            if kind == .trainer {
                let trainer = TrainingTrainer()
                trainer.$session.id = sessionID
                trainer.$user.id = try person.requireID()
                try await trainer.create(on: db)
            }
            try await AccountMail(request: request, database: db).trainingInvitation(
                person, kind: kind, training: training.title, starts: event?.startsAt ?? now, session: SiteURL.trainingSession(sessionID), token: secret)
        }
    }
}

extension SessionsController {
    /// The invitation form, on the trainees page, for admins.
    static func invitationForm(_ req: Request, session sessionID: UUID, values: [String: String], errors: FormErrors) -> FormModel {
        let t = req.t
        func error(_ name: String) -> String? { errors[name].map { t($0) } }
        let kind = values["kind"] ?? TrainingInvitation.Kind.trainee.rawValue
        return FormModel(id: "invitation", action: SiteURL.trainingSessionInvitations(sessionID), submitLabel: t("invitation.submit"), fields: [
            .init(name: "name", label: t("invitation.field.name"), value: values["name"] ?? "", error: error("name")),
            .init(name: "email", label: t("invitation.field.email"), type: "email", value: values["email"] ?? "", error: error("email"),
                  hint: t("invitation.field.email_hint")),
            .init(name: "kind", label: t("invitation.field.kind"), type: "select", value: kind, error: error("kind"),
                  options: TrainingInvitation.Kind.allCases.map { .init(value: $0.rawValue, label: t("invitation.kind.\($0.rawValue)"), selected: $0.rawValue == kind) }),
        ], errorSummary: errors.isEmpty ? nil : t("form.has_errors"))
    }

    @Sendable func invite(req: Request) async throws -> Response {
        try req.authorize(.manageTrainings)
        let admin = try req.requireUser()
        let (session, training, _) = try await req.runnableSession()
        let sessionID = try session.requireID()
        let values = try await req.formValues()
        let input = InvitationInput(values: values)
        let inviting = TrainingInviting(request: req)
        let existing = input.errors.isEmpty ? try await User.query(on: req.db).filter(\.$email == input.email).first() : nil
        var errors = input.errors
        if errors.isEmpty { errors = try await inviting.problems(input, session: sessionID, existing: existing) }
        if errors.isEmpty {
            do {
                try await inviting.invite(input, to: session, training: training, existing: existing, by: admin)
            } catch let error as any DatabaseError where error.isConstraintFailure {
                // Someone else invited the same person at the same moment.
                errors.add("email", "invitation.already")
            }
        }
        guard errors.isEmpty else { return try await traineesResponse(req, invitation: values, errors: errors, status: .unprocessableEntity) }
        try await req.flash(.success, "invitation.flash.sent")
        return req.redirect(to: SiteURL.trainingSessionTrainees(sessionID), redirectType: .normal)
    }
}
