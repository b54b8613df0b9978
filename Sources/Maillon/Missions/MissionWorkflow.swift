import Fluent
import Foundation
import SQLKit
import Vapor

/// Creating and editing missions, and moving them from state to state: one transaction each, a
/// history line for every move, and the people concerned told. Two people moving the same mission
/// at once: the first move wins (the update is conditional on the state seen).
struct MissionWorkflow {
    let application: Application
    /// A transaction.
    let database: any Database
    let now: Date

    struct Conflict: Error {}

    func create(_ input: MissionInput, for organisation: UUID, by user: User) async throws -> Mission {
        let mission = Mission()
        mission.$organisation.id = organisation
        mission.$createdBy.id = user.id
        mission.status = .draft
        mission.createdAt = now
        mission.updatedAt = now
        input.apply(to: mission)
        try await mission.create(on: database)
        try await replaceDetails(of: mission, with: input)
        try await record(mission, from: nil, to: .draft, actor: user, reason: nil)
        return mission
    }

    func update(_ mission: Mission, with input: MissionInput) async throws {
        input.apply(to: mission)
        mission.updatedAt = now
        try await mission.save(on: database)
        try await replaceDetails(of: mission, with: input)
    }

    private func replaceDetails(of mission: Mission, with input: MissionInput) async throws {
        let id = try mission.requireID()
        try await MissionSkill.query(on: database).filter(\.$mission.$id == id).delete()
        try await MissionSkill.create(for: id, required: input.required, niceToHave: input.niceToHave, on: database)
        try await MissionRole.query(on: database).filter(\.$mission.$id == id).delete()
        for (index, role) in input.roles.enumerated() {
            let row = MissionRole()
            row.$mission.id = id
            row.position = index + 1
            row.title = role.title
            row.skills = role.skills
            row.days = role.days
            try await row.create(on: database)
        }
    }

    /// Moves `mission` to `status` if `actor` may and nobody moved it first; records and tells.
    func move(_ mission: Mission, to status: Mission.Status, as actor: MissionRules.Actor, by user: User?, reason: String?) async throws {
        let from = mission.status
        guard MissionRules.canMove(from: from, to: status, by: actor) else { throw Conflict() }
        let moved = try await (database as! any SQLDatabase).raw("""
            UPDATE \(ident: Mission.schema) SET status = \(bind: status.rawValue), updated_at = \(bind: now)
            WHERE id = \(bind: mission.requireID()) AND status = \(bind: from.rawValue) RETURNING id
            """).all()
        guard moved.count == 1 else { throw Conflict() }
        mission.status = status
        mission.updatedAt = now
        if MissionRules.needsReason(status) { mission.statusReason = reason }
        if status == .published { mission.publishedAt = now }
        try await mission.save(on: database)
        try await record(mission, from: from, to: status, actor: user, reason: reason)
        try await tell(mission, moved: status, reason: reason)
        if status == .published {
            try await JobQueue(database: database, now: now).enqueue(TellMissionSuggestionsJob(missionID: try mission.requireID()),
                                                                     uniqueKey: "mission-suggestions:\(try mission.requireID())")
        }
    }

    private func record(_ mission: Mission, from: Mission.Status?, to: Mission.Status, actor: User?, reason: String?) async throws {
        let event = MissionEvent()
        event.$mission.id = try mission.requireID()
        event.$actor.id = actor?.id
        event.fromStatus = from
        event.toStatus = to
        event.reason = reason
        event.createdAt = now
        try await event.create(on: database)
    }

    /// Staff learn of a mission to review; the organisation's contacts of what became of theirs.
    private func tell(_ mission: Mission, moved status: Mission.Status, reason: String?) async throws {
        let notifier = Notifier(application: application, database: database, now: now)
        let link = SiteURL.mission(try mission.requireID())
        switch status {
        case .submitted:
            var staff = try await User.query(on: database).filter(\.$role == .admin).all()
            if let chapter = mission.$chapter.id {
                staff += try await Ambassadorship.query(on: database).filter(\.$chapter.$id == chapter).with(\.$user).all().map(\.user)
            }
            var seen = Set<UUID>()
            for person in staff where seen.insert(person.id ?? UUID()).inserted {
                try await notifier.notify(person, .init(kind: .missionSubmitted, textKey: "notify.mission_submitted", arguments: [mission.title], link: link))
            }
        case .published, .declined, .expired, .completed:
            let contacts = try await OrganisationContact.query(on: database).filter(\.$organisation.$id == mission.$organisation.id).with(\.$user).all()
            for contact in contacts {
                try await notifier.notify(contact.user, .init(kind: .missionStatus, textKey: "notify.mission_\(status.rawValue)",
                                                              arguments: [mission.title, reason ?? "—"], link: link))
            }
        default:
            break
        }
        if status == .completed {
            // Those who did the work review the organisation (and are reviewed) within 14 days.
            for freelancer in try await Reviewing(database: database, now: now).freelancers(of: mission) {
                try await notifier.notify(freelancer, .init(kind: .proposalDecision, textKey: "notify.mission_review_invite", arguments: [mission.title],
                                                            link: "\(link)/reviews"))
            }
        }
    }
}

/// Daily: published missions past their deadline with nobody chosen expire; delivered missions the
/// organisation did not answer for 30 days complete. Each move is conditional, so instances agree.
struct MissionDeadlinesJob: Job {
    static let kind = "mission-deadlines"

    func run(_ context: JobContext) async throws {
        let now = context.now
        let expired = try await Mission.query(on: context.db).filter(\.$status == .published).filter(\.$applicationDeadline < now).all()
        let delivered = try await Mission.query(on: context.db).filter(\.$status == .delivered)
            .filter(\.$updatedAt < now.addingTimeInterval(-MissionRules.autoCompleteAfter)).all()
        for (missions, status) in [(expired, Mission.Status.expired), (delivered, .completed)] {
            for mission in missions {
                do {
                    try await context.db.transaction { db in
                        try await MissionWorkflow(application: context.application, database: db, now: now).move(mission, to: status, as: .system, by: nil, reason: nil)
                    }
                } catch is MissionWorkflow.Conflict {
                    // Another instance (or a person) moved it first.
                }
            }
        }
    }
}
