import Fluent
import Foundation

/// The way in for someone new: apply → accept the charter → complete the profile → a first event.
/// Plain rules over what is known of the person; the home page shows the steps until all are done.
struct NextSteps: Equatable, Sendable {
    enum Step: String, CaseIterable, Sendable { case apply, charter, profile, event }
    enum State: String, Sendable { case done, current, later }

    struct Facts: Sendable {
        var isMember: Bool
        var applied: Bool
        var owesCharter: Bool
        /// A headline and a few words about oneself, and at least one skill.
        var profileComplete: Bool
        var registeredOnce: Bool
    }

    let states: [Step: State]
    /// Applied, not yet admitted: nothing to do but follow the application.
    let waitingForDecision: Bool

    init(_ facts: Facts) {
        waitingForDecision = !facts.isMember && facts.applied
        var done: [Step: Bool] = [
            .apply: facts.isMember || facts.applied,
            // Applying includes accepting the charter; afterwards, a new version is owed again.
            .charter: (facts.isMember || facts.applied) && !facts.owesCharter,
            .profile: facts.isMember && facts.profileComplete,
            .event: facts.isMember && facts.registeredOnce,
        ]
        if !facts.isMember { done[.event] = false }
        var states: [Step: State] = [:]
        var current = false
        for step in Step.allCases {
            if done[step] == true { states[step] = .done } else if !current { states[step] = .current; current = true } else { states[step] = .later }
        }
        // Before admission, the profile and events wait for the decision, whatever comes first.
        if !facts.isMember, facts.applied {
            states[.profile] = .later
            states[.event] = .later
        }
        self.states = states
    }

    var allDone: Bool { states.values.allSatisfy { $0 == .done } }

    /// What the home page knows of `user`, in three small queries; whether a charter waits for them
    /// was read with their account (`SessionMiddleware.loadAccount`).
    static func facts(for user: User, owesCharter: Bool, on db: any Database) async throws -> Facts {
        let userID = try user.requireID()
        let applied = try await MembershipApplication.query(on: db).filter(\.$user.$id == userID).count() > 0
        var complete = false
        if user.isMember, let profile = try await Profile.query(on: db).filter(\.$user.$id == userID).first() {
            let skills = try await ProfileSkill.query(on: db).filter(\.$user.$id == userID).count()
            complete = !profile.headline.isEmpty && !profile.bio.isEmpty && skills > 0
        }
        let registered = user.isMember ? try await Registration.query(on: db).filter(\.$user.$id == userID).count() > 0 : false
        return Facts(isMember: user.isMember, applied: applied, owesCharter: user.isMember && owesCharter, profileComplete: complete, registeredOnce: registered)
    }
}
