import Fluent
import Foundation
import Vapor

/// A part of the weekly digest. Features add theirs (upcoming events, missions that fit…) in `registerDigestSections`.
protocol DigestSection: Sendable {
    /// Catalogue key of the section's heading.
    var titleKey: String { get }
    /// The section's lines for `user` about the week since `since`; empty means the section is left out.
    func lines(for user: User, since: Date, context: JobContext, t: Translator) async throws -> [String]
}

/// New members of the week: of the person's home chapter when they have one, else of the community.
struct NewMembersSection: DigestSection {
    let titleKey = "digest.new_members"

    func lines(for user: User, since: Date, context: JobContext, t: Translator) async throws -> [String] {
        let userID = try user.requireID()
        if let chapterID = try await Profile.query(on: context.db).filter(\.$user.$id == userID).first()?.$homeChapter.id {
            return try await Profile.query(on: context.db)
                .filter(\.$homeChapter.$id == chapterID)
                .filter(\.$joinedAt >= since)
                .filter(\.$user.$id != userID)
                .filter(\.$visibility != .hidden)
                .sort(\.$joinedAt, .descending).limit(20).with(\.$user).all()
                .map { "\($0.user.name) — \($0.headline)" }
        }
        return try await User.query(on: context.db)
            .filter(\.$role == .member)
            .filter(\.$createdAt >= since)
            .filter(\.$id != userID)
            .sort(\.$createdAt, .descending)
            .limit(20)
            .all()
            .map(\.name)
    }
}

extension Application {
    private struct DigestSectionsKey: StorageKey { typealias Value = [any DigestSection] }

    var digestSections: [any DigestSection] {
        get { storage[DigestSectionsKey.self] ?? [] }
        set { storage[DigestSectionsKey.self] = newValue }
    }
}

/// Monday 08:00 (Europe/Paris): one digest job per person who gets the digest by email.
struct WeeklyDigestJob: Job {
    static let kind = "weekly-digest"

    func run(_ context: JobContext) async throws {
        let week = Schedule.weekly(weekday: 2, hour: 8, minute: 0).latestOccurrence(atOrBefore: context.now)
        let optedOut = try await NotificationPreference.query(on: context.db)
            .filter(\.$kind == NotificationKind.weeklyDigest.id).filter(\.$channel == .off).all().map { $0.$user.id }
        let recipients = try await User.query(on: context.db)
            .filter(\.$role ~~ [.member, .admin])
            .filter(\.$emailVerifiedAt != nil)
            .filter(\.$id !~ optedOut)
            .all(\.$id)
        let queue = JobQueue(database: context.db, now: context.now)
        for userID in recipients {
            // The key makes a re-run of this job (after a crash) harmless.
            try await queue.enqueue(SendDigestJob(userID: userID, weekStart: week), uniqueKey: "digest:\(userID.uuidString):\(Int(week.timeIntervalSince1970))")
        }
    }
}

/// One person's digest: their waiting notifications, then each section; nothing is sent when all are empty.
struct SendDigestJob: Job {
    static let kind = "send-digest"
    let userID: UUID
    let weekStart: Date

    func run(_ context: JobContext) async throws {
        guard let user = try await User.find(userID, on: context.db), user.isEmailVerified else { return }
        guard try await Notifier.channel(for: .weeklyDigest, userID: userID, on: context.db) != .off else { return }
        let locale = user.locale ?? .default
        let t = Translator(catalogue: context.maillon.catalogue, locale: locale)
        let pending = try await AppNotification.query(on: context.db)
            .filter(\.$user.$id == userID).filter(\.$inDigest == true).filter(\.$digestedAt == nil)
            .sort(\.$createdAt).limit(50).all()

        var paragraphs: [String] = []
        if !pending.isEmpty {
            paragraphs.append(t("digest.notifications") + "\n" + pending.map { "• " + $0.text(t) }.joined(separator: "\n"))
        }
        for section in context.application.digestSections {
            let lines = try await section.lines(for: user, since: weekStart.addingTimeInterval(-7 * 86400), context: context, t: t)
            if !lines.isEmpty { paragraphs.append(t(section.titleKey) + "\n" + lines.map { "• " + $0 }.joined(separator: "\n")) }
        }
        guard !paragraphs.isEmpty else { return }

        let base = context.maillon.settings.baseURL.absoluteString
        let content = MailContent(
            subject: t("digest.subject", context.maillon.settings.communityName),
            greeting: t("mail.greeting", user.name),
            paragraphs: [t("digest.intro")] + paragraphs,
            action: .init(label: t("notifications.open_all"), url: base + SiteURL.notifications)
        )
        try await context.db.transaction { db in
            let unsubscribe = try await Unsubscribe(database: db).url(base: base, userID: userID, kind: .weeklyDigest)
            try await Outbox(application: context.application, database: db, now: context.now)
                .send(content, to: user.email, locale: locale, unsubscribeURL: unsubscribe)
            for notification in pending {
                notification.digestedAt = context.now
                try await notification.save(on: db)
            }
        }
    }
}
