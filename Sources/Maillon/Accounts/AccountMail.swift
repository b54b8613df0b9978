import Fluent
import Foundation
import Vapor

/// The account messages, written in the recipient's language. Essential mail: it cannot be turned off,
/// so it carries no unsubscribe link. Each is enqueued on `database` (pass a transaction to tie it to a change).
struct AccountMail {
    let application: Application
    let database: any Database
    let now: Date
    /// The language of a person who has not chosen one: the reader's of the request that caused the mail.
    let fallbackLocale: AppLocale

    init(application: Application, database: any Database, now: Date, fallbackLocale: AppLocale) {
        self.application = application
        self.database = database
        self.now = now
        self.fallbackLocale = fallbackLocale
    }

    init(request: Request, database: (any Database)? = nil) {
        self.init(application: request.application, database: database ?? request.db, now: request.now, fallbackLocale: request.locale)
    }

    private var settings: Settings { application.maillon.settings }
    private var base: String { settings.baseURL.absoluteString }

    private func link(_ path: String, token: String) -> String { "\(base)\(path)?token=\(token)" }

    private func send(_ user: User, to address: String? = nil, _ build: (Translator) -> MailContent) async throws {
        let locale = user.locale ?? fallbackLocale
        let t = Translator(catalogue: application.maillon.catalogue, locale: locale)
        try await Outbox(application: application, database: database, now: now).send(build(t), to: address ?? user.email, locale: locale)
    }

    private func subject(_ t: Translator, _ key: String) -> String { t(key, settings.communityName) }

    /// The address is not proven yet: the mail carries nothing its sender typed (not even the name),
    /// so it cannot be used to send words of one's choosing to a stranger.
    func verification(_ user: User, address: String, token: String) async throws {
        try await send(user, to: address) { t in
            MailContent(subject: subject(t, "mail.verify.subject"), greeting: t("mail.greeting_plain"),
                        paragraphs: [t("mail.verify.body")],
                        action: .init(label: t("mail.verify.action"), url: link(SiteURL.verifyEmail, token: token)),
                        closing: [t("mail.not_you")])
        }
    }

    func alreadyRegistered(_ user: User) async throws {
        try await send(user) { t in
            MailContent(subject: subject(t, "mail.already_registered.subject"), greeting: t("mail.greeting", user.name),
                        paragraphs: [t("mail.already_registered.body"), t("mail.already_registered.forgot", base + SiteURL.forgotPassword)],
                        action: .init(label: t("nav.sign_in"), url: base + SiteURL.signIn),
                        closing: [t("mail.not_you")])
        }
    }

    func passwordReset(_ user: User, token: String) async throws {
        try await send(user) { t in
            MailContent(subject: subject(t, "mail.reset.subject"), greeting: t("mail.greeting", user.name),
                        paragraphs: [t("mail.reset.body")],
                        action: .init(label: t("mail.reset.action"), url: link(SiteURL.resetPassword, token: token)),
                        closing: [t("mail.reset.not_you")])
        }
    }

    /// An imported member: welcome, and a link (valid a week) to choose a password.
    func invitation(_ user: User, token: String) async throws {
        try await send(user) { t in
            MailContent(subject: subject(t, "mail.invitation.subject"), greeting: t("mail.greeting", user.name),
                        paragraphs: [t("mail.invitation.body", settings.communityName)],
                        action: .init(label: t("mail.invitation.action"), url: link(SiteURL.resetPassword, token: token)))
        }
    }

    /// A colleague made someone a contact of their organisation: a new account gets a link (a week) to
    /// choose a password; an existing one is told it now acts for the organisation too.
    func organisationInvitation(_ user: User, organisation: String, token: String?) async throws {
        try await send(user) { t in
            MailContent(subject: subject(t, "mail.organisation_invitation.subject"), greeting: t("mail.greeting", user.name),
                        paragraphs: [t("mail.organisation_invitation.body", organisation, settings.communityName)],
                        action: token.map { .init(label: t("mail.invitation.action"), url: link(SiteURL.resetPassword, token: $0)) }
                            ?? .init(label: t("nav.sign_in"), url: base + SiteURL.signIn))
        }
    }

    /// An admin invited someone to a training session, to learn or to teach. A new account gets a link
    /// (a week) to choose a password; an existing one signs in.
    func trainingInvitation(_ user: User, kind: TrainingInvitation.Kind, training: String, starts: Date, session: String, token: String?) async throws {
        try await send(user) { t in
            MailContent(subject: subject(t, "mail.training_invitation.\(kind.rawValue).subject"), greeting: t("mail.greeting", user.name),
                        paragraphs: [t("mail.training_invitation.\(kind.rawValue).body", training, DateFormatting.date(starts, t.locale), settings.communityName),
                                     t("mail.training_invitation.session", base + session)]
                            + (token == nil ? [] : [t("mail.training_invitation.password")]),
                        action: token.map { .init(label: t("mail.invitation.action"), url: link(SiteURL.resetPassword, token: $0)) }
                            ?? .init(label: t("nav.sign_in"), url: base + SiteURL.signIn))
        }
    }

    func passwordChanged(_ user: User, cancelledChange: String? = nil) async throws {
        try await send(user) { t in
            MailContent(subject: subject(t, "mail.password_changed.subject"), greeting: t("mail.greeting", user.name),
                        paragraphs: [t("mail.password_changed.body"), t("mail.password_changed.links_revoked")]
                            + (cancelledChange.map { [t("mail.password_changed.email_change_cancelled", $0)] } ?? []),
                        action: .init(label: t("signin.forgot"), url: base + SiteURL.forgotPassword))
        }
    }

    func emailChangeRequested(_ user: User, newAddress: String) async throws {
        try await send(user) { t in
            MailContent(subject: subject(t, "mail.email_change.subject"), greeting: t("mail.greeting", user.name),
                        paragraphs: [t("mail.email_change.body", newAddress)])
        }
    }
}
