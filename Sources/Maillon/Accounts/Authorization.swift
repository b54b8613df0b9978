import Foundation
import Vapor

/// Who is acting, as far as permissions go. `ambassadorOf` is filled from the chapters'
/// ambassadorships once chapters exist; an ambassador's rights reach those chapters only.
public struct Principal: Sendable, Equatable {
    public let userID: UUID
    public let role: Role
    public let ambassadorOf: Set<UUID>
    /// The organisations an organisation contact acts for.
    public let contactOf: Set<UUID>
    /// The training organisation's disability referent (`DISABILITY_REFERENT_EMAIL`): reads trainees' adaptations.
    public let isDisabilityReferent: Bool

    public init(userID: UUID, role: Role, ambassadorOf: Set<UUID> = [], contactOf: Set<UUID> = [], isDisabilityReferent: Bool = false) {
        self.userID = userID
        self.role = role
        self.ambassadorOf = ambassadorOf
        self.contactOf = contactOf
        self.isDisabilityReferent = isDisabilityReferent
    }
}

/// Everything a person may try to do. New features add cases here and a rule in `AccessPolicy`.
public enum Permission: Sendable, Equatable {
    /// Change the account (name, email, password, sessions) of `owner`.
    case manageAccount(owner: UUID)
    case enableTwoStep
    case viewAdminArea
    case listUsers
    /// See and retry background jobs, read development mail.
    case manageJobs
    /// Run a chapter: its events, check-in, welcoming, reviewing its applications.
    case runChapter(UUID)
    /// See the review queue at all (admins, and ambassadors of at least one chapter).
    case reviewApplications
    /// Create, edit and archive chapters; appoint ambassadors; publish the charter.
    case manageChapters
    /// Create events at all (admins, and ambassadors of at least one chapter).
    case createEvents
    /// Run one event: edit, cancel, attendees, check-in, messages. Nil chapter: a national or
    /// online event, which only admins run.
    case organiseEvent(chapter: UUID?)
    /// Post missions: organisation contacts with an organisation.
    case postMissions
    /// Act for one organisation: its page, its missions, its contacts.
    case manageOrganisation(UUID)
    /// Review (publish or decline) a submitted mission of this chapter; nil: a mission of no chapter (admins).
    case reviewMission(chapter: UUID?)
    /// See the missions waiting for review at all (admins, and ambassadors of at least one chapter).
    case reviewMissions
    /// Write, publish and withdraw trainings in the catalogue; read their past versions; schedule sessions.
    case manageTrainings
    /// Run one training session (its trainees, their attendance): its trainers and the admins.
    case runTrainingSession(trainers: Set<UUID>)
    /// Read the adaptations trainees asked for because of a disability: admins and the disability referent.
    case readAdaptations
    /// Handle complaints and improvement actions: admins only.
    case handleComplaints
    /// Read and write in a space: a theme space (`chapter` nil) is any member's; a chapter's space is
    /// its members' (`homeChapter`, the reader's), its ambassadors' and the admins'.
    case takePartInSpace(chapter: UUID?, homeChapter: UUID?)
    /// Moderate a space: the admins everywhere, a chapter's ambassadors in its space.
    case moderateSpace(chapter: UUID?)
    /// Create and describe theme spaces: admins.
    case manageSpaces
    /// See the moderation queue and log at all: admins, and ambassadors of at least one chapter.
    case moderate
    /// Read a chapter's isolation radar, with names: its ambassadors only (admins see counts).
    case readRadar(chapter: UUID)
    /// The radar's counts for every chapter, never names: admins.
    case radarCounts
}

/// The one authorisation rule book. Deny by default: a permission with no rule is refused.
public enum AccessPolicy {
    public static func allows(_ principal: Principal?, _ permission: Permission) -> Bool {
        guard let principal else { return false }
        switch permission {
        case let .manageAccount(owner):
            return principal.userID == owner
        case .enableTwoStep, .viewAdminArea, .listUsers, .manageJobs, .manageChapters, .manageTrainings, .handleComplaints, .manageSpaces, .radarCounts:
            return principal.role == .admin
        case .readAdaptations:
            return principal.role == .admin || (principal.isDisabilityReferent && [.member, .guest].contains(principal.role))
        case .reviewApplications, .createEvents:
            return principal.role == .admin || (principal.role == .member && !principal.ambassadorOf.isEmpty)
        case let .runChapter(chapter):
            return principal.role == .admin || (principal.role == .member && principal.ambassadorOf.contains(chapter))
        case let .organiseEvent(chapter), let .reviewMission(chapter):
            guard let chapter else { return principal.role == .admin }
            return allows(principal, .runChapter(chapter))
        case .reviewMissions, .moderate:
            return allows(principal, .reviewApplications)
        case .postMissions:
            return principal.role == .organisationContact && !principal.contactOf.isEmpty
        case let .runTrainingSession(trainers):
            // Outside trainers (guests) run the sessions they were invited to, and nothing else.
            return principal.role == .admin || ([.member, .guest].contains(principal.role) && trainers.contains(principal.userID))
        case let .takePartInSpace(chapter, homeChapter):
            guard principal.role == .member || principal.role == .admin else { return false }
            guard let chapter else { return true }
            return principal.role == .admin || homeChapter == chapter || principal.ambassadorOf.contains(chapter)
        case let .moderateSpace(chapter):
            guard let chapter else { return principal.role == .admin }
            return allows(principal, .runChapter(chapter))
        case let .readRadar(chapter):
            // Names are for the people who know them: an admin who is not the chapter's ambassador sees counts only.
            return [.member, .admin].contains(principal.role) && principal.ambassadorOf.contains(chapter)
        case let .manageOrganisation(organisation):
            return principal.role == .admin || (principal.role == .organisationContact && principal.contactOf.contains(organisation))
        }
    }
}

extension Request {
    var principal: Principal? {
        guard let user = currentUser, let id = user.id else { return nil }
        return Principal(userID: id, role: user.role, ambassadorOf: sessionContext.ambassadorOf, contactOf: sessionContext.contactOf,
                         isDisabilityReferent: maillon.settings.disabilityReferentEmail == user.email)
    }

    /// The signed-in person, or a redirect to sign in.
    func requireUser() throws -> User {
        guard let user = currentUser else { throw Abort(.unauthorized) }
        return user
    }

    /// The signed-in member (or admin); anyone else signed in is refused.
    func requireMember() throws -> User {
        let user = try requireUser()
        guard user.isMember else { throw PageError.forbidden }
        return user
    }

    /// The signed-in person, allowed to manage their own account (sign in first otherwise).
    func requireAccountOwner() throws -> User {
        let user = try requireUser()
        try authorize(.manageAccount(owner: user.requireID()))
        return user
    }

    /// Every handler that acts calls this first: anonymous → sign in, not allowed → 403 page.
    func authorize(_ permission: Permission) throws {
        guard let principal else { throw Abort(.unauthorized) }
        guard AccessPolicy.allows(principal, permission) else { throw PageError.forbidden }
    }
}
