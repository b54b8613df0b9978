import Fluent
import SQLKit
import Foundation
import Vapor

/// What happens when an application is decided: the history line, the applicant told by mail and
/// on their page, and on acceptance the member, their profile, and the chapter's ambassadors told.
/// All on one transaction.
struct Admission {
    let application: Vapor.Application?
    let database: any Database
    let now: Date

    /// Another reviewer decided first: the application is no longer in the state this decision saw.
    struct AlreadyDecided: Error {}

    func decide(_ candidate: MembershipApplication, to status: MembershipApplication.Status, by actor: User?, message: String?) async throws {
        let from = candidate.status
        // Only one decision wins when two reviewers act at once: the move is conditional on the state seen.
        let moved = try await (database as! any SQLDatabase).raw("""
            UPDATE applications SET status = \(bind: status.rawValue) WHERE id = \(bind: candidate.requireID()) AND status = \(bind: from.rawValue) RETURNING id
            """).all()
        guard moved.count == 1 else { throw AlreadyDecided() }
        candidate.status = status
        candidate.updatedAt = now
        if status == .accepted || status == .declined {
            candidate.decidedAt = now
            candidate.decisionMessage = message
        }
        try await candidate.save(on: database)
        try await record(candidate, from: from, to: status, actor: actor, message: message)

        guard let applicant = try await User.find(candidate.$user.id, on: database) else { return }
        if status == .accepted {
            try await admit(applicant, candidate)
        }
        guard let application else { return }
        let key: String
        switch status {
        case .accepted: key = "notify.application_accepted"
        case .declined: key = "notify.application_declined"
        case .inReview: key = "notify.application_in_review"
        default: return
        }
        // Accepted: the next step is the profile, so the message leads there.
        try await Notifier(application: application, database: database, now: now).notify(applicant, .init(
            kind: .applicationDecided, textKey: key,
            arguments: [message?.isEmpty == false ? message! : "—"], link: status == .accepted ? SiteURL.myProfile : SiteURL.myApplication))
    }

    /// The history line alone (the demo community's pending applications).
    func recordOnly(_ candidate: MembershipApplication, to status: MembershipApplication.Status, actor: User?) async throws {
        try await record(candidate, from: nil, to: status, actor: actor, message: nil)
    }

    func record(_ candidate: MembershipApplication, from: MembershipApplication.Status?, to: MembershipApplication.Status, actor: User?, message: String?) async throws {
        let event = ApplicationEvent()
        event.$application.id = try candidate.requireID()
        event.$actor.id = actor?.id
        event.fromStatus = from
        event.toStatus = to
        event.message = message
        event.createdAt = now
        try await event.create(on: database)
    }

    private func admit(_ applicant: User, _ candidate: MembershipApplication) async throws {
        applicant.role = .member
        try await applicant.save(on: database)
        // Their sessions stay: the role is read afresh on every request, so the next page is a member's
        // (being signed out without a word at the moment of joining was the first thing a newcomer saw).
        if try await Profile.query(on: database).filter(\.$user.$id == applicant.requireID()).count() == 0 {
            let profile = Profile.newMember(userID: try applicant.requireID(), chapterID: candidate.$chapter.id, headline: candidate.headline,
                                            city: candidate.city, profession: candidate.profession, now: now)
            try await profile.create(on: database)
            try await DirectoryIndexes.reindex(userID: applicant.requireID(), on: database)
        }
        // The chapter's ambassadors learn of the newcomer, who joins their "to welcome" list.
        let chapter = try await Chapter.find(candidate.$chapter.id, on: database)
        let ambassadors = try await Ambassadorship.query(on: database).filter(\.$chapter.$id == candidate.$chapter.id).with(\.$user).all()
        guard let application else { return }
        let notifier = Notifier(application: application, database: database, now: now)
        for ambassador in ambassadors {
            try await notifier.notify(ambassador.user, .init(kind: .chapterNewcomer, textKey: "notify.chapter_newcomer",
                                                             arguments: [applicant.name, chapter?.name ?? ""],
                                                             link: SiteURL.chapterWelcome(chapter?.slug ?? ""), subject: applicant.id))
        }
    }
}
