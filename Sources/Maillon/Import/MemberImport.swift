import Fluent
import Foundation
import SwiftCSV
import Vapor

/// Members from the spreadsheet a community starts from. Read and checked row by row (a preview),
/// then imported in one transaction. An address that already has an account is left as it is,
/// so importing the same file twice changes nothing.
struct MemberImport: Sendable {
    struct Row: Sendable {
        let line: Int
        let email: String
        let name: String
        let chapterSlug: String
        let headline: String
        let city: String
        let profession: String
        let skills: String
        var errors: [String] = []
        var exists = false
    }

    let rows: [Row]
    /// A problem with the whole file (no header, missing columns), as a catalogue key.
    let fileError: String?

    /// Column names accepted in the header, French or English, any case or accents.
    static let columns: [String: [String]] = [
        "email": ["email", "e-mail", "courriel", "adresse e-mail", "mail"],
        "name": ["name", "nom", "prenom nom", "nom complet"],
        "chapter": ["chapter", "antenne"],
        "headline": ["headline", "accroche", "titre"],
        "city": ["city", "ville"],
        "profession": ["profession", "metier", "famille de metier"],
        "skills": ["skills", "competences"],
    ]

    static func parse(_ text: String, chapters: [String: Chapter], existingEmails: Set<String>) -> MemberImport {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, let csv = try? EnumeratedCSV(string: trimmed, loadColumns: false) else {
            return MemberImport(rows: [], fileError: "import.unreadable")
        }
        var index: [String: Int] = [:]
        for (position, raw) in csv.header.enumerated() {
            let key = Taxonomy.fold(raw).trimmingCharacters(in: .whitespaces)
            if let column = columns.first(where: { $0.value.contains(key) })?.key, index[column] == nil { index[column] = position }
        }
        guard index["email"] != nil, index["name"] != nil, index["chapter"] != nil else {
            return MemberImport(rows: [], fileError: "import.missing_columns")
        }
        var seen = Set<String>()
        var rows: [Row] = []
        for (offset, cells) in csv.rows.enumerated() {
            func cell(_ column: String) -> String {
                guard let position = index[column], position < cells.count else { return "" }
                return cells[position].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if cells.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            let chapterValue = cell("chapter")
            let slug = chapters[Slug.make(chapterValue)] != nil ? Slug.make(chapterValue)
                : chapters.first { Taxonomy.fold($0.value.name) == Taxonomy.fold(chapterValue) }?.key ?? ""
            let professionRaw = Taxonomy.fold(cell("profession"))
            let profession = professionRaw.isEmpty ? "other"
                : Profession.all.first { $0 == professionRaw || Taxonomy.fold(Self.professionNames[$0] ?? "") == professionRaw } ?? ""
            var row = Row(line: offset + 2, email: EmailAddress.normalise(cell("email")), name: cell("name"), chapterSlug: slug,
                          headline: cell("headline"), city: cell("city"), profession: profession, skills: cell("skills"))
            if !EmailAddress.isPlausible(row.email) { row.errors.append("email.invalid") }
            else if !seen.insert(row.email).inserted { row.errors.append("import.duplicate") }
            if PersonName.problem(row.name) != nil { row.errors.append("import.name") }
            if slug.isEmpty { row.errors.append("import.chapter") }
            if profession.isEmpty { row.errors.append("import.profession") }
            if row.headline.scalarLength > 120 || row.city.scalarLength > 80 { row.errors.append("field.too_long") }
            row.exists = existingEmails.contains(row.email)
            rows.append(row)
            if rows.count >= 5000 { break }
        }
        return MemberImport(rows: rows, fileError: rows.isEmpty ? "import.empty" : nil)
    }

    static let professionNames = ["tech": "tech", "communication": "communication", "marketing": "marketing", "csr": "rse",
                                  "hr": "rh", "administration": "administration", "design": "design", "finance": "finance",
                                  "legal": "juridique", "other": "autre"]

    var importable: [Row] { rows.filter { $0.errors.isEmpty && !$0.exists } }

    /// Each row counted once: a row in error is in error, whether or not its address exists.
    var tally: (new: Int, existing: Int, errors: Int) {
        (importable.count, rows.filter { $0.errors.isEmpty && $0.exists }.count, rows.filter { !$0.errors.isEmpty }.count)
    }

    /// Creates the new members (verified by the admin's word; they choose a password through the
    /// invitation link) and returns them, so the caller can invite them.
    func run(on db: any Database, chapters: [String: Chapter], passwordHash: String, now: Date) async throws -> [User] {
        var created: [User] = []
        for row in importable {
            guard let chapter = chapters[row.chapterSlug] else { continue }
            let user = User(email: row.email, passwordHash: passwordHash, name: row.name, role: .member)
            user.emailVerifiedAt = now
            try await user.create(on: db)
            let profile = Profile.newMember(userID: try user.requireID(), chapterID: try chapter.requireID(), headline: row.headline,
                                            city: row.city.isEmpty ? chapter.name : row.city, profession: row.profession, now: now)
            try await profile.create(on: db)
            for skill in Taxonomy.normaliseSkills(row.skills) {
                let record = ProfileSkill()
                record.$user.id = try user.requireID()
                record.slug = skill.slug
                record.label = skill.label
                try await record.create(on: db)
            }
            try await DirectoryIndexes.reindex(userID: user.requireID(), on: db)
            created.append(user)
        }
        return created
    }
}

/// The admins' import: paste the spreadsheet, see each row checked, then import.
struct AdminImportController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(SiteURL.route(SiteURL.adminImport), use: form)
        routes.post(SiteURL.route(SiteURL.adminImport), use: preview)
        routes.post(SiteURL.route(SiteURL.adminImport) + ["run"], use: run)
    }

    struct Page: Encodable, Sendable {
        struct Row: Encodable, Sendable {
            let line: Int
            let email: String
            let name: String
            let chapter: String
            let status: String
            let ok: Bool
        }
        let heading: String
        let intro: String
        let forms: [FormModel]
        let rows: [Row]
        let summary: String?
        let csv: String?
        let canImport: Bool
    }

    static let invitationLifetime: TimeInterval = 7 * 86400

    private func page(_ req: Request, csv: String, result: MemberImport?, fileError: String? = nil) -> Page {
        let t = req.t
        let form = FormModel(id: "import", action: SiteURL.adminImport, submitLabel: t("import.preview"), fields: [
            .init(name: "csv", label: t("import.csv"), type: "textarea", value: csv, error: fileError.map { t($0) }, hint: t("import.csv_hint")),
        ], errorSummary: fileError == nil ? nil : t("form.has_errors"))
        let rows = (result?.rows ?? []).map { row in
            Page.Row(line: row.line, email: row.email, name: row.name, chapter: row.chapterSlug,
                     status: !row.errors.isEmpty ? row.errors.map { t($0) }.joined(separator: " ") : (row.exists ? t("import.exists") : t("import.new")),
                     ok: row.errors.isEmpty)
        }
        let summary = result.map { result in
            let tally = result.tally
            return [t.count("import.summary.new", tally.new), t.count("import.summary.existing", tally.existing),
                    t.count("import.summary.errors", tally.errors)].joined(separator: " · ")
        }
        return Page(heading: t("import.heading"), intro: t("import.intro"), forms: [form], rows: rows, summary: summary,
                    csv: result == nil ? nil : csv, canImport: !(result?.importable.isEmpty ?? true))
    }

    private func context(_ req: Request) async throws -> ([String: Chapter], Set<String>) {
        let chapters = Dictionary(try await Chapter.query(on: req.db).filter(\.$status == .active).all().map { ($0.slug, $0) }, uniquingKeysWith: { a, _ in a })
        let emails = Set(try await User.query(on: req.db).all(\.$email))
        return (chapters, emails)
    }

    @Sendable func form(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        return try await req.renderPage("admin-import", title: req.t("import.heading"), page(req, csv: "", result: nil))
    }

    @Sendable func preview(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let csv = try await req.formValues()["csv"] ?? ""
        let (chapters, emails) = try await context(req)
        let result = MemberImport.parse(csv, chapters: chapters, existingEmails: emails)
        if let error = result.fileError {
            return try await req.renderPage("admin-import", title: req.t("import.heading"), page(req, csv: csv, result: nil, fileError: error), status: .unprocessableEntity)
        }
        return try await req.renderPage("admin-import", title: req.t("import.heading"), page(req, csv: csv, result: result))
    }

    @Sendable func run(req: Request) async throws -> Response {
        try req.authorize(.manageChapters)
        let csv = try await req.formValues()["csv"] ?? ""
        let (chapters, emails) = try await context(req)
        let result = MemberImport.parse(csv, chapters: chapters, existingEmails: emails)
        if let error = result.fileError {
            return try await req.renderPage("admin-import", title: req.t("import.heading"), page(req, csv: csv, result: nil, fileError: error), status: .unprocessableEntity)
        }
        let hash = try await req.password.async.hash(Secret.generate())
        let now = req.now
        let created = try await req.db.transaction { db in
            let users = try await result.run(on: db, chapters: chapters, passwordHash: hash, now: now)
            // Each new member gets a link to choose their password, sent only if the import commits.
            for user in users {
                let secret = try await Tokens(database: db, now: now).issue(.resetPassword, for: user, lifetime: Self.invitationLifetime)
                try await AccountMail(request: req, database: db).invitation(user, token: secret)
            }
            return users.count
        }
        req.logger.info("Members imported", metadata: ["created": "\(created)"])
        try await req.flash(.success, "flash.imported")
        return req.redirect(to: SiteURL.adminImport, redirectType: .normal)
    }
}
