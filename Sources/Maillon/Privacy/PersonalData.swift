import Fluent
import Foundation
import SQLKit
import Vapor

/// One feature's part of "download all my data". Features add theirs to `PersonalData.sections`.
protocol PersonalDataSection: Sendable {
    var name: String { get }
    /// JSON-compatible values (dictionaries, arrays, strings, numbers, booleans).
    func export(userID: UUID, on db: any Database) async throws -> Any
    /// What must happen for others before the person's rows go (a seat handed to the next in line).
    func beforeErase(userID: UUID, application: Application, on db: any Database, now: Date) async throws
}

extension PersonalDataSection {
    func beforeErase(userID: UUID, application: Application, on db: any Database, now: Date) async throws {}
}

enum PersonalData {
    static let sections: [any PersonalDataSection] = [
        AccountSection(), SessionsSection(), ProfileSection(), ApplicationsSection(), ChaptersSection(), CharterSection(), NotificationsSection(),
        EventRegistrationsSection(), OrganisationsSection(), ProposalsSection(), TrainingEnrolmentsSection(), ComplaintsSection(), DiscussionsSection(), DirectMessagesSection(), CommunitySection(),
    ]

    static func stamp(_ date: Date?) -> Any { date.map { ISO8601DateFormatter().string(from: $0) } ?? NSNull() }

    static func export(userID: UUID, on db: any Database) async throws -> Data {
        var document: [String: Any] = ["exported_at": stamp(Date())]
        for section in sections { document[section.name] = try await section.export(userID: userID, on: db) }
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    }

    /// Erases a person: their rows go (cascading), while what others rely on stays, unsigned:
    /// decisions they took, members they welcomed, charter versions they published.
    static func erase(userID: UUID, application: Application, on db: any Database, now: Date) async throws {
        for section in sections { try await section.beforeErase(userID: userID, application: application, on: db, now: now) }
        try await DirectoryIndexes.forDatabase(db as! any SQLDatabase).remove(userID: userID, on: db as! any SQLDatabase)
        try await ApplicationEvent.query(on: db).filter(\.$actor.$id == userID).set(\.$actor.$id, to: nil).update()
        try await Welcome.query(on: db).filter(\.$welcomedBy.$id == userID).set(\.$welcomedBy.$id, to: nil).update()
        try await Charter.query(on: db).filter(\.$publishedBy.$id == userID).set(\.$publishedBy.$id, to: nil).update()
        // Pending two-step sign-ins reference the person too.
        try await UserSession.query(on: db).filter(\.$pendingUserID == userID).delete()
        if let user = try await User.find(userID, on: db) {
            let traces = PersonalTraces(user: user)
            try await traces.scrubNotifications(on: db)
            // Jobs about them (mail to them or naming them, their digest), sent or not, carry their name, an address or their id.
            try await traces.deleteJobs(on: db)
            // Development mail files (the `file` transport) are copies too.
            if application.maillon.settings.mailTransport == "file" { traces.deleteMailFiles(in: application.maillon.settings.mailDirectory) }
        }
        try await User.query(on: db).filter(\.$id == userID).delete()
    }
}

struct AccountSection: PersonalDataSection {
    let name = "account"
    func export(userID: UUID, on db: any Database) async throws -> Any {
        guard let user = try await User.find(userID, on: db) else { return NSNull() }
        return ["email": user.email, "pending_email": user.pendingEmail ?? NSNull(), "former_emails": user.formerEmails,
                "name": user.name, "role": user.role.rawValue, "language": user.locale?.rawValue ?? NSNull(),
                "email_verified_at": PersonalData.stamp(user.emailVerifiedAt), "two_step_enabled": user.hasTwoStep,
                "created_at": PersonalData.stamp(user.createdAt)] as [String: Any]
    }
}

struct SessionsSection: PersonalDataSection {
    let name = "sessions"
    func export(userID: UUID, on db: any Database) async throws -> Any {
        try await UserSession.query(on: db).filter(\.$user.$id == userID).all().map {
            ["created_at": PersonalData.stamp($0.createdAt), "last_seen_at": PersonalData.stamp($0.lastSeenAt),
             "user_agent": $0.userAgent ?? NSNull(), "ip_address": $0.ipAddress ?? NSNull()] as [String: Any]
        }
    }
}

struct ProfileSection: PersonalDataSection {
    let name = "profile"
    func export(userID: UUID, on db: any Database) async throws -> Any {
        guard let profile = try await Profile.query(on: db).filter(\.$user.$id == userID).first() else { return NSNull() }
        let skills = try await ProfileSkill.query(on: db).filter(\.$user.$id == userID).all(\.$label)
        let causes = try await ProfileCause.query(on: db).filter(\.$user.$id == userID).all(\.$cause)
        return ["headline": profile.headline, "bio": profile.bio, "city": profile.city, "profession": profile.profession,
                "home_chapter_id": profile.$homeChapter.id?.uuidString ?? NSNull(), "visibility": profile.visibility.rawValue,
                "availability": profile.availability, "available_from": PersonalData.stamp(profile.availableFrom),
                "days_per_week": profile.daysPerWeek ?? NSNull(), "work_mode": profile.workMode, "languages": profile.languages,
                "years_experience": profile.yearsExperience ?? NSNull(), "day_rate_min": profile.dayRateMin ?? NSNull(),
                "day_rate_max": profile.dayRateMax ?? NSNull(), "website": profile.website ?? NSNull(), "linkedin": profile.linkedin ?? NSNull(),
                "joined_at": PersonalData.stamp(profile.joinedAt), "skills": skills, "causes": causes] as [String: Any]
    }
}

struct ApplicationsSection: PersonalDataSection {
    let name = "applications"
    func export(userID: UUID, on db: any Database) async throws -> Any {
        var items: [[String: Any]] = []
        for candidate in try await MembershipApplication.query(on: db).filter(\.$user.$id == userID).all() {
            let history = try await ApplicationEvent.query(on: db).filter(\.$application.$id == candidate.requireID()).sort(\.$createdAt).all().map {
                ["status": $0.toStatus.rawValue, "at": PersonalData.stamp($0.createdAt), "message": $0.message ?? NSNull()] as [String: Any]
            }
            items.append(["chapter_id": candidate.$chapter.id.uuidString, "headline": candidate.headline, "city": candidate.city,
                          "profession": candidate.profession, "motivation": candidate.motivation, "status": candidate.status.rawValue,
                          "decision_message": candidate.decisionMessage ?? NSNull(), "created_at": PersonalData.stamp(candidate.createdAt),
                          "history": history])
        }
        return items
    }
}

struct ChaptersSection: PersonalDataSection {
    let name = "chapters"
    func export(userID: UUID, on db: any Database) async throws -> Any {
        let follows = try await ChapterFollow.query(on: db).filter(\.$user.$id == userID).with(\.$chapter).all().map(\.chapter.name)
        let runs = try await Ambassadorship.query(on: db).filter(\.$user.$id == userID).with(\.$chapter).all().map(\.chapter.name)
        let welcomes = try await Welcome.query(on: db).filter(\.$newcomer.$id == userID).all().map {
            ["welcomed_at": PersonalData.stamp($0.welcomedAt), "note": $0.note ?? NSNull()] as [String: Any]
        }
        return ["follows": follows, "ambassador_of": runs, "welcomed": welcomes] as [String: Any]
    }
}

struct CharterSection: PersonalDataSection {
    let name = "charter_acceptances"
    func export(userID: UUID, on db: any Database) async throws -> Any {
        try await CharterAcceptance.query(on: db).filter(\.$user.$id == userID).with(\.$charter).all().map {
            ["version": $0.charter.version, "accepted_at": PersonalData.stamp($0.acceptedAt)] as [String: Any]
        }
    }
}

struct NotificationsSection: PersonalDataSection {
    let name = "notifications"
    func export(userID: UUID, on db: any Database) async throws -> Any {
        let items = try await AppNotification.query(on: db).filter(\.$user.$id == userID).sort(\.$createdAt).all().map {
            ["kind": $0.kind, "text_key": $0.textKey, "arguments": $0.argumentList, "created_at": PersonalData.stamp($0.createdAt),
             "read_at": PersonalData.stamp($0.readAt)] as [String: Any]
        }
        let preferences = try await NotificationPreference.query(on: db).filter(\.$user.$id == userID).all().map {
            ["kind": $0.kind, "channel": $0.channel.rawValue]
        }
        return ["items": items, "preferences": preferences] as [String: Any]
    }
}

/// Declined applications are kept for a while (to answer questions), then purged.
enum ApplicationRetention {
    static func purgeDeclined(olderThan days: Int, on db: any Database, now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-Double(days) * 86400)
        let old = MembershipApplication.query(on: db).filter(\.$status == .declined).filter(\.$decidedAt < cutoff)
        let count = try await old.count()
        try await old.delete()
        return count
    }
}

/// `maillon purge-applications [--days N]`: deletes declined applications decided more than N days ago.
struct PurgeApplicationsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "days", help: "Keep declined applications this many days (default: DECLINED_RETENTION_DAYS, else 180)")
        var days: Int?
    }
    var help: String { "Delete declined applications past their retention period" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let days = signature.days ?? app.maillon.settings.declinedRetentionDays
        let count = try await ApplicationRetention.purgeDeclined(olderThan: days, on: app.db, now: app.maillon.time.now())
        context.console.print("Purged \(count) declined applications older than \(days) days.")
    }
}

/// Where a person's name or addresses were copied outside their own rows, and how erasure removes them.
struct PersonalTraces {
    let user: User

    /// Strings that identify the person: their name (as typed and as HTML shows it), every address they
    /// ever had, and their id.
    var needles: [String] {
        let id = user.id?.uuidString ?? ""
        let escapedName = user.name.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "'", with: "&#39;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        return Array(Set([user.name, escapedName] + user.everyEmail + [id, id.lowercased()])).filter { $0.scalarLength >= 3 }
    }

    static func likePattern(_ needle: String) -> String {
        "%" + needle.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    /// Notifications sent to others that name the person keep their sense, not the name: "a former member".
    func scrubNotifications(on db: any Database) async throws {
        let userID = try user.requireID()
        let named = try await AppNotification.query(on: db).group(.or) {
            $0.filter(\.$subjectUserID == userID).filter(\.$arguments, .custom("LIKE"), Self.likePattern(user.name))
        }.all()
        for notification in named {
            let scrubbed = notification.argumentList.map { $0.replacingOccurrences(of: user.name, with: AppNotification.erasedPerson) }
            notification.arguments = String(decoding: try JSONEncoder().encode(scrubbed), as: UTF8.self)
            notification.subjectUserID = nil
            // A link to their profile would lead nowhere, and carries their id.
            if notification.link?.contains(userID.uuidString) == true { notification.link = nil }
            try await notification.save(on: db)
        }
    }

    func deleteJobs(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        for needle in needles {
            let pattern = Self.likePattern(needle)
            try await sql.raw("DELETE FROM jobs WHERE status <> 'running' AND (payload LIKE \(bind: pattern) ESCAPE '\\' OR unique_key LIKE \(bind: pattern) ESCAPE '\\')").run()
        }
    }

    /// `.eml` files whose headers or decoded text name the person.
    func deleteMailFiles(in directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix(".eml") {
            let path = "\(directory)/\(name)"
            guard let source = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let readable = MailFormat.readable(source)
            if needles.contains(where: { source.contains($0) || readable.contains($0) }) { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}

/// An organisation contact's part: the organisations they act for and the missions they wrote.
/// Erasing them keeps the organisation and its missions (they are the organisation's), unsigned.
struct OrganisationsSection: PersonalDataSection {
    let name = "organisations"
    func export(userID: UUID, on db: any Database) async throws -> Any {
        let organisations = try await OrganisationContact.query(on: db).filter(\.$user.$id == userID).with(\.$organisation).all().map(\.organisation.name)
        let missions = try await Mission.query(on: db).filter(\.$createdBy.$id == userID).all().map {
            ["title": $0.title, "status": $0.status.rawValue, "created_at": PersonalData.stamp($0.createdAt)] as [String: Any]
        }
        return ["contact_of": organisations, "missions_written": missions] as [String: Any]
    }
}

/// A member's answers to missions (alone or in a team) and the messages they wrote about them.
/// Erasing them removes their place in teams; what they wrote to an organisation stays, unsigned.
struct ProposalsSection: PersonalDataSection {
    let name = "proposals"
    func export(userID: UUID, on db: any Database) async throws -> Any {
        var items: [[String: Any]] = []
        for member in try await ProposalMember.query(on: db).filter(\.$user.$id == userID).with(\.$proposal).all() {
            let proposal = member.proposal
            let mission = try await Mission.find(proposal.$mission.id, on: db)
            items.append(["mission": mission?.title ?? NSNull(), "status": proposal.status.rawValue, "led": proposal.$lead.id == userID,
                          "role": member.role, "share": member.share, "message": proposal.$lead.id == userID ? proposal.message : NSNull(),
                          "created_at": PersonalData.stamp(proposal.createdAt)])
        }
        let messages = try await ProposalMessage.query(on: db).filter(\.$author.$id == userID).sort(\.$createdAt).all().map {
            ["body": $0.body, "at": PersonalData.stamp($0.createdAt)] as [String: Any]
        }
        return ["proposals": items, "messages": messages] as [String: Any]
    }
}
