import Fluent
import Foundation
import Vapor

/// The account messages, written in the recipient's language. Essential mail: it cannot be turned off,
/// so it carries no unsubscribe link. Each is enqueued on `database` (pass a transaction to tie it to a change).
struct AccountMail {
    let request: Request
    var database: (any Database)? = nil

    private var base: String { request.maillon.settings.baseURL.absoluteString }

    private func link(_ path: String, token: String) -> String { "\(base)\(path)?token=\(token)" }

    private func send(_ user: User, to address: String? = nil, _ build: (Translator) -> MailContent) async throws {
        let locale = user.locale ?? request.locale
        let t = Translator(catalogue: request.maillon.catalogue, locale: locale)
        try await request.outbox(on: database).send(build(t), to: address ?? user.email, locale: locale)
    }

    private func subject(_ t: Translator, _ key: String) -> String { t(key, request.maillon.settings.communityName) }

    func verification(_ user: User, address: String, token: String) async throws {
        try await send(user, to: address) { t in
            MailContent(subject: subject(t, "mail.verify.subject"), greeting: t("mail.greeting", user.name),
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
                        paragraphs: [t("mail.invitation.body", request.maillon.settings.communityName)],
                        action: .init(label: t("mail.invitation.action"), url: link(SiteURL.resetPassword, token: token)))
        }
    }

    func passwordChanged(_ user: User) async throws {
        try await send(user) { t in
            MailContent(subject: subject(t, "mail.password_changed.subject"), greeting: t("mail.greeting", user.name),
                        paragraphs: [t("mail.password_changed.body")],
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
