import Fluent
import Foundation
import Vapor

/// What a message says, before it is dressed as text and HTML in the recipient's language.
struct MailContent: Sendable {
    struct Action: Sendable {
        let label: String
        let url: String
    }

    var subject: String
    var greeting: String
    var paragraphs: [String]
    var action: Action?
    var closing: [String] = []
    var attachments: [MailAttachment] = []
    var replyTo: String? = nil
}

/// The job that hands a composed message to the mailer. Retried with backoff when the relay fails.
struct SendMailJob: Job {
    static let kind = "send-mail"
    let message: MailMessage

    func run(_ context: JobContext) async throws {
        do {
            try await context.maillon.mailer.send(message, logger: context.logger)
            MaillonMetrics.mail(sent: true)
        } catch {
            MaillonMetrics.mail(sent: false)
            throw error
        }
    }
}

/// Composes messages and enqueues them on the caller's database (its transaction, if any), so mail
/// leaves only if the change that caused it is committed.
struct Outbox {
    let application: Application
    let database: any Database
    let now: Date

    struct HTMLModel: Encodable, Sendable {
        let locale: String
        let communityName: String
        let subject: String
        let greeting: String
        let paragraphs: [String]
        let actionLabel: String?
        let actionURL: String?
        let closing: [String]
        let unsubscribeURL: String?
    }

    func compose(_ content: MailContent, to address: String, locale: AppLocale, unsubscribeURL: String? = nil) async throws -> MailMessage {
        let community = application.maillon.settings.communityName
        let t = Translator(catalogue: application.maillon.catalogue, locale: locale)
        var text = [content.greeting] + content.paragraphs
        if let action = content.action { text.append("\(action.label)\(locale == .fr ? " :" : ":")\n\(action.url)") }
        text += content.closing
        text.append("— \(community)")
        if let unsubscribeURL { text.append(t("mail.unsubscribe", unsubscribeURL)) }
        let model = HTMLModel(
            locale: locale.rawValue, communityName: community, subject: content.subject, greeting: content.greeting,
            paragraphs: content.paragraphs, actionLabel: content.action?.label, actionURL: content.action?.url,
            closing: content.closing, unsubscribeURL: unsubscribeURL
        )
        let view = try await application.view.render("mail/message", model).get()
        let html = String(buffer: view.data)
        return MailMessage(to: address, subject: content.subject, text: text.joined(separator: "\n\n") + "\n", html: html, unsubscribeURL: unsubscribeURL,
                           attachments: content.attachments, replyTo: content.replyTo)
    }

    func send(_ content: MailContent, to address: String, locale: AppLocale, unsubscribeURL: String? = nil) async throws {
        let message = try await compose(content, to: address, locale: locale, unsubscribeURL: unsubscribeURL)
        try await JobQueue(database: database, now: now).enqueue(SendMailJob(message: message))
    }
}

extension Request {
    /// The outbox on this request's database; pass `on:` a transaction to tie the mail to it.
    func outbox(on database: (any Database)? = nil) -> Outbox {
        Outbox(application: application, database: database ?? db, now: now)
    }
}
