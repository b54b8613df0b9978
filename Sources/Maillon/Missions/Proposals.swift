import Fluent
import Foundation
import SQLKit
import Vapor

/// The shares of a team's price: whole percents, each at least 1, adding up to exactly 100.
enum TeamShares {
    static func problem(_ shares: [Int]) -> String? {
        guard shares.count >= 2 else { return "proposal.team_too_small" }
        guard shares.allSatisfy({ (1...99).contains($0) }) else { return "proposal.share_range" }
        return shares.reduce(0, +) == 100 ? nil : "proposal.shares_not_100"
    }
}

/// Answering missions and deciding on the answers: the only code that writes proposals. Each call
/// runs in the caller's transaction. The database holds the invariants (one open proposal per member
/// and mission, one awarded proposal per mission: partial unique indexes), the code says why.
struct Proposals {
    let application: Application
    /// A transaction.
    let database: any Database
    let now: Date

    enum Refusal: Error, Equatable {
        case missionClosed, notMember, alreadyAnswered, notAllowed, invalid(String), changed

        var key: String {
            switch self {
            case .missionClosed: "proposal.refused.closed"
            case .notMember: "proposal.refused.not_member"
            case .alreadyAnswered: "proposal.refused.already"
            case .notAllowed: "proposal.refused.not_allowed"
            case let .invalid(key): key
            case .changed: "proposal.refused.changed"
            }
        }
    }

    struct Terms: Sendable {
        var message: String
        var approach: String
        var availability: String
        var price: Proposal.Price
        var dayRate: Int?
        var days: Int?
        var total: Int?
    }

    struct Teammate: Sendable, Equatable {
        let userID: UUID
        let role: String
        let share: Int
    }

    private var notifier: Notifier { Notifier(application: application, database: database, now: now) }

    /// Locks the proposal (a no-op update) and reads it as it now is.
    func lock(_ id: UUID) async throws -> Proposal {
        try await database.lockRow(of: Proposal.schema, id: id, touching: "updated_at")
        guard let proposal = try await Proposal.find(id, on: database) else { throw Refusal.changed }
        return proposal
    }

    /// The mission's row lock comes first, always: answers and decisions on one mission happen one at a time.
    private func lockMission(_ id: UUID) async throws {
        try await database.lockRow(of: Mission.schema, id: id, touching: "updated_at")
    }

    private func requireOpen(_ mission: Mission) throws {
        guard mission.status == .published, now <= mission.applicationDeadline else { throw Refusal.missionClosed }
    }

    /// Alone: submitted at once. With teammates: forming, until each has confirmed their share.
    func answer(_ mission: Mission, lead: User, terms: Terms, leadRole: String = "", leadShare: Int = 100, team: [Teammate] = []) async throws -> Proposal {
        try await lockMission(try mission.requireID())
        try requireOpen(mission)
        guard lead.isMember else { throw Refusal.notMember }
        let leadID = try lead.requireID()
        let isTeam = !team.isEmpty
        if isTeam {
            if let problem = TeamShares.problem([leadShare] + team.map(\.share)) { throw Refusal.invalid(problem) }
            guard !team.contains(where: { $0.userID == leadID }), Set(team.map(\.userID)).count == team.count else { throw Refusal.invalid("proposal.team_duplicate") }
            let members = try await User.query(on: database).filter(\.$id ~~ team.map(\.userID)).all()
            guard members.count == team.count, members.allSatisfy(\.isMember) else { throw Refusal.invalid("proposal.team_not_members") }
        }
        let proposal = Proposal()
        proposal.$mission.id = try mission.requireID()
        proposal.$lead.id = leadID
        proposal.isTeam = isTeam
        apply(terms, to: proposal)
        proposal.status = isTeam ? .forming : .submitted
        proposal.createdAt = now
        proposal.updatedAt = now
        do {
            try await proposal.create(on: database)
            try await addMember(proposal, leadID, role: leadRole, share: isTeam ? leadShare : 100, confirmed: true)
            for mate in team { try await addMember(proposal, mate.userID, role: mate.role, share: mate.share, confirmed: false) }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw Refusal.alreadyAnswered
        }
        if isTeam {
            for mate in try await User.query(on: database).filter(\.$id ~~ team.map(\.userID)).all() {
                try await notifier.notify(mate, .init(kind: .proposalTeam, textKey: "notify.proposal_team_invited",
                                                      arguments: [lead.name, mission.title], link: SiteURL.proposal(try proposal.requireID())))
            }
        } else {
            try await tellOrganisation(mission, proposal, key: "notify.proposal_received", about: lead.name)
        }
        return proposal
    }

    func apply(_ terms: Terms, to proposal: Proposal) {
        proposal.message = terms.message
        proposal.approach = terms.approach
        proposal.availability = terms.availability
        proposal.price = terms.price
        proposal.dayRate = terms.price == .dayRate ? terms.dayRate : nil
        proposal.days = terms.price == .dayRate ? terms.days : nil
        proposal.total = terms.price == .total ? terms.total : nil
    }

    private func addMember(_ proposal: Proposal, _ userID: UUID, role: String, share: Int, confirmed: Bool) async throws {
        let member = ProposalMember()
        member.$proposal.id = try proposal.requireID()
        member.missionID = proposal.$mission.id
        member.$user.id = userID
        member.role = role
        member.share = share
        member.confirmedAt = confirmed ? now : nil
        member.active = true
        try await member.create(on: database)
    }

    /// A team member confirms their role and share; the last confirmation sends the proposal to the organisation.
    func confirm(_ proposalID: UUID, by user: User) async throws {
        let proposal = try await lock(proposalID)
        guard proposal.status == .forming else { throw Refusal.changed }
        guard let member = try await ProposalMember.query(on: database).filter(\.$proposal.$id == proposalID).filter(\.$user.$id == user.requireID()).first()
        else { throw Refusal.notAllowed }
        member.confirmedAt = now
        try await member.save(on: database)
        let members = try await ProposalMember.query(on: database).filter(\.$proposal.$id == proposalID).all()
        guard members.allSatisfy({ $0.confirmedAt != nil }), TeamShares.problem(members.map(\.share)) == nil else { return }
        guard let mission = try await Mission.find(proposal.$mission.id, on: database) else { throw Refusal.changed }
        try requireOpen(mission)
        proposal.status = .submitted
        proposal.updatedAt = now
        try await proposal.save(on: database)
        let lead = try await proposal.$lead.get(on: database)
        try await tellOrganisation(mission, proposal, key: "notify.proposal_received", about: lead?.name ?? "")
    }

    /// The lead changes the team (members, roles, shares): everyone but the lead confirms again.
    func changeTeam(_ proposalID: UUID, by lead: User, leadShare: Int, leadRole: String, team: [Teammate]) async throws {
        let proposal = try await lock(proposalID)
        guard proposal.isTeam, proposal.$lead.id == lead.id else { throw Refusal.notAllowed }
        guard proposal.status == .forming else { throw Refusal.changed }
        if let problem = TeamShares.problem([leadShare] + team.map(\.share)) { throw Refusal.invalid(problem) }
        let leadID = try lead.requireID()
        guard !team.contains(where: { $0.userID == leadID }), Set(team.map(\.userID)).count == team.count else { throw Refusal.invalid("proposal.team_duplicate") }
        let users = try await User.query(on: database).filter(\.$id ~~ team.map(\.userID)).all()
        guard users.count == team.count, users.allSatisfy(\.isMember) else { throw Refusal.invalid("proposal.team_not_members") }
        let before = Set(try await ProposalMember.query(on: database).filter(\.$proposal.$id == proposalID).all(\.$user.$id))
        try await ProposalMember.query(on: database).filter(\.$proposal.$id == proposalID).filter(\.$user.$id != leadID).delete()
        try await ProposalMember.query(on: database).filter(\.$proposal.$id == proposalID).filter(\.$user.$id == leadID)
            .set(\.$share, to: leadShare).set(\.$role, to: leadRole).set(\.$confirmedAt, to: now).update()
        do {
            for mate in team { try await addMember(proposal, mate.userID, role: mate.role, share: mate.share, confirmed: false) }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw Refusal.invalid("proposal.team_member_busy")
        }
        proposal.updatedAt = now
        try await proposal.save(on: database)
        let mission = try await Mission.find(proposal.$mission.id, on: database)
        for mate in users {
            let key = before.contains(mate.id ?? UUID()) ? "notify.proposal_team_changed" : "notify.proposal_team_invited"
            try await notifier.notify(mate, .init(kind: .proposalTeam, textKey: key, arguments: [lead.name, mission?.title ?? ""], link: SiteURL.proposal(proposalID)))
        }
    }

    /// A team member leaves a forming team: the lead is told to share again.
    func leave(_ proposalID: UUID, by user: User) async throws {
        let proposal = try await lock(proposalID)
        guard proposal.status == .forming, proposal.$lead.id != user.id else { throw Refusal.notAllowed }
        guard let member = try await ProposalMember.query(on: database).filter(\.$proposal.$id == proposalID).filter(\.$user.$id == user.requireID()).first()
        else { throw Refusal.notAllowed }
        try await member.delete(on: database)
        try await ProposalMember.query(on: database).filter(\.$proposal.$id == proposalID).set(\.$confirmedAt, to: nil).update()
        if let lead = try await proposal.$lead.get(on: database) {
            try await notifier.notify(lead, .init(kind: .proposalTeam, textKey: "notify.proposal_team_left", arguments: [user.name], link: SiteURL.proposal(proposalID)))
        }
    }

    /// The lead withdraws, with a reason (kept for the organisation if it had the proposal).
    func withdraw(_ proposalID: UUID, by user: User, reason: String) async throws {
        let proposal = try await lock(proposalID)
        guard proposal.$lead.id == user.id else { throw Refusal.notAllowed }
        guard [.forming, .submitted, .shortlisted].contains(proposal.status) else { throw Refusal.changed }
        let wasVisible = proposal.status.reachedOrganisation
        try await close(proposal, as: .withdrawn, reason: reason)
        if wasVisible, let mission = try await Mission.find(proposal.$mission.id, on: database) {
            try await tellOrganisation(mission, proposal, key: "notify.proposal_withdrawn", about: user.name)
        }
    }

    /// The organisation shortlists or declines one proposal, or chooses it: the mission is awarded
    /// (once: a conditional move, and the database accepts one awarded proposal) and every other
    /// open proposal is declined with a kind word. Locks the mission before the proposal, as answers
    /// do: two decisions on one mission wait for each other instead of deadlocking.
    func decide(_ proposalID: UUID, of missionID: UUID, to status: Proposal.Status, by contact: User, reason: String?) async throws {
        try await lockMission(missionID)
        let proposal = try await lock(proposalID)
        guard proposal.$mission.id == missionID, [.submitted, .shortlisted].contains(proposal.status) else { throw Refusal.changed }
        guard let mission = try await Mission.find(missionID, on: database) else { throw Refusal.changed }
        switch status {
        case .shortlisted:
            proposal.status = .shortlisted
            proposal.updatedAt = now
            try await proposal.save(on: database)
        case .declined:
            try await close(proposal, as: .declined, reason: reason)
            try await tellTeam(proposal, key: "notify.proposal_declined", arguments: [mission.title, reason ?? "—"])
        case .awarded:
            do {
                try await MissionWorkflow(application: application, database: database, now: now).move(mission, to: .awarded, as: .organisation, by: contact, reason: nil)
            } catch is MissionWorkflow.Conflict { throw Refusal.changed }
            proposal.status = .awarded
            proposal.updatedAt = now
            try await proposal.save(on: database)
            try await tellTeam(proposal, key: "notify.proposal_awarded", arguments: [mission.title])
            let others = try await Proposal.query(on: database).filter(\.$mission.$id == mission.requireID()).filter(\.$id != proposalID)
                .filter(\.$status ~~ [.forming, .submitted, .shortlisted]).all()
            for other in others {
                try await close(other, as: .declined, reason: nil)
                try await tellTeam(other, key: "notify.proposal_not_chosen", arguments: [mission.title])
            }
        default:
            throw Refusal.notAllowed
        }
    }

    private func close(_ proposal: Proposal, as status: Proposal.Status, reason: String?) async throws {
        proposal.status = status
        proposal.statusReason = reason
        proposal.updatedAt = now
        try await proposal.save(on: database)
        try await ProposalMember.query(on: database).filter(\.$proposal.$id == proposal.requireID()).set(\.$active, to: false).update()
    }

    private func tellTeam(_ proposal: Proposal, key: String, arguments: [String]) async throws {
        let ids = try await ProposalMember.query(on: database).filter(\.$proposal.$id == proposal.requireID()).all(\.$user.$id)
        for user in try await User.query(on: database).filter(\.$id ~~ ids).all() {
            try await notifier.notify(user, .init(kind: .proposalDecision, textKey: key, arguments: arguments, link: SiteURL.proposal(try proposal.requireID())))
        }
    }

    private func tellOrganisation(_ mission: Mission, _ proposal: Proposal, key: String, about name: String) async throws {
        let contacts = try await OrganisationContact.query(on: database).filter(\.$organisation.$id == mission.$organisation.id).with(\.$user).all()
        for contact in contacts {
            try await notifier.notify(contact.user, .init(kind: .proposalReceived, textKey: key, arguments: [name, mission.title],
                                                          link: SiteURL.proposal(try proposal.requireID())))
        }
    }
}
