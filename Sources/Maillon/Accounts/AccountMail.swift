import Foundation
import Vapor

/// The account messages, written in the recipient's language.
struct AccountMail {
    let request: Request

    private func link(_ path: String, token: String) -> String {
        "\(request.maillon.settings.baseURL.absoluteString)\(path)?token=\(token)"
    }

    private func translator(for user: User) -> Translator {
        Translator(catalogue: request.maillon.catalogue, locale: user.locale ?? request.locale)
    }

    private func send(to address: String, _ t: Translator, subject: String, body: String) async throws {
        let community = request.maillon.settings.communityName
        try await request.maillon.mailer.send(
            MailMessage(to: address, subject: t(subject, community), text: body + "\n\n— " + community + "\n"),
            logger: request.logger
        )
    }

    func verification(_ user: User, address: String, token: String) async throws {
        let t = translator(for: user)
        try await send(to: address, t, subject: "mail.verify.subject",
                       body: t("mail.verify.body", user.name, link(SiteURL.verifyEmail, token: token)))
    }

    func alreadyRegistered(_ user: User) async throws {
        let t = translator(for: user)
        let signIn = request.maillon.settings.baseURL.absoluteString + SiteURL.signIn
        let reset = request.maillon.settings.baseURL.absoluteString + SiteURL.forgotPassword
        try await send(to: user.email, t, subject: "mail.already_registered.subject",
                       body: t("mail.already_registered.body", user.name, signIn, reset))
    }

    func passwordReset(_ user: User, token: String) async throws {
        let t = translator(for: user)
        try await send(to: user.email, t, subject: "mail.reset.subject",
                       body: t("mail.reset.body", user.name, link(SiteURL.resetPassword, token: token)))
    }

    func passwordChanged(_ user: User) async throws {
        let t = translator(for: user)
        try await send(to: user.email, t, subject: "mail.password_changed.subject",
                       body: t("mail.password_changed.body", user.name))
    }

    func emailChangeRequested(_ user: User, newAddress: String) async throws {
        let t = translator(for: user)
        try await send(to: user.email, t, subject: "mail.email_change.subject",
                       body: t("mail.email_change.body", user.name, newAddress))
    }
}
