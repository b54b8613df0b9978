import Fluent
import Vapor

/// The admins' view of background work: counts by status, failed and dead jobs with their last
/// error and a retry button; in development, the mail the file transport wrote.
struct AdminJobsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.adminJobs), use: list)
        routes.post(SiteURL.route(SiteURL.adminJobs) + [":id", "retry"], use: retry)
        routes.get(SiteURL.route(SiteURL.adminMail), use: mailList)
        routes.get(SiteURL.route(SiteURL.adminMail) + [":name"], use: mailShow)
    }

    struct Page: Encodable, Sendable {
        struct Count: Encodable, Sendable {
            let label: String
            let count: Int
        }

        struct Row: Encodable, Sendable {
            let id: String
            let kind: String
            let status: String
            let attempts: String
            let runAt: String
            let lastError: String
            let canRetry: Bool
        }

        let heading: String
        let counts: [Count]
        let rows: [Row]
        let mailViewer: Bool
    }

    private var mailViewerEnabled: @Sendable (Request) -> Bool {
        // Development mail holds live links: never readable on a public (https) address.
        { req in req.maillon.settings.mailTransport == "file" && !req.maillon.settings.isHTTPS && req.application.environment != .production }
    }

    @Sendable func list(req: Request) async throws -> Response {
        try req.authorize(.manageJobs)
        let t = req.t
        let counts = try await JobQueue(database: req.db, now: req.now).counts()
        let shown: [JobRecord.Status] = [.queued, .running, .failed, .dead]
        let jobs = try await JobRecord.query(on: req.db)
            .filter(\.$status ~~ [.failed, .dead, .running])
            .sort(\.$runAt, .descending).limit(100).all()
        let rows = jobs.map { job in
            Page.Row(id: job.id?.uuidString ?? "", kind: job.kind, status: t("job.status.\(job.status.rawValue)"),
                     attempts: "\(job.attempts)/\(job.maxAttempts)", runAt: DateFormatting.dateTime(job.runAt, req.locale),
                     lastError: job.lastError ?? "—", canRetry: job.status == .dead || job.status == .failed)
        }
        return try await req.renderPage("admin-jobs", title: t("admin.jobs.heading"), Page(
            heading: t("admin.jobs.heading"),
            counts: shown.map { .init(label: t("job.status.\($0.rawValue)"), count: counts[$0] ?? 0) },
            rows: rows, mailViewer: mailViewerEnabled(req)))
    }

    @Sendable func retry(req: Request) async throws -> Response {
        try req.authorize(.manageJobs)
        guard let id = req.parameters.get("id", as: UUID.self), try await JobQueue(database: req.db, now: req.now).retry(id) else {
            throw PageError.notFound
        }
        try await req.flash(.success, "flash.job_retried")
        return req.redirect(to: SiteURL.adminJobs, redirectType: .normal)
    }

    struct MailListPage: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let name: String
            let url: String
        }
        let heading: String
        let rows: [Row]
    }

    struct MailPage: Encodable, Sendable {
        let heading: String
        let source: String
    }

    private func mailFiles(_ req: Request) -> [String] {
        let directory = req.maillon.settings.mailDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".eml") }.sorted(by: >)
    }

    @Sendable func mailList(req: Request) async throws -> Response {
        try req.authorize(.manageJobs)
        guard mailViewerEnabled(req) else { throw PageError.notFound }
        let rows = mailFiles(req).prefix(100).map { MailListPage.Row(name: $0, url: "\(SiteURL.adminMail)/\($0)") }
        return try await req.renderPage("admin-mail", title: req.t("admin.mail.heading"), MailListPage(heading: req.t("admin.mail.heading"), rows: Array(rows)))
    }

    @Sendable func mailShow(req: Request) async throws -> Response {
        try req.authorize(.manageJobs)
        // Only a name the listing itself returned: no path can be smuggled in.
        guard mailViewerEnabled(req), let name = req.parameters.get("name"), mailFiles(req).contains(name) else { throw PageError.notFound }
        let source = (try? String(contentsOfFile: "\(req.maillon.settings.mailDirectory)/\(name)", encoding: .utf8)) ?? ""
        return try await req.renderPage("admin-mail-show", title: name, MailPage(heading: name, source: MailFormat.readable(source)))
    }
}
