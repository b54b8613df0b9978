import Fluent
import Foundation
@testable import Maillon
import SQLKit
import Testing
import Vapor
import VaporTesting

/// Every value of every row of every table, as text, to look for a person's traces.
func everyStoredValue(_ db: any Database) async throws -> [String] {
    let sql = db as! any SQLDatabase
    let tables: [String]
    if sql.dialect.name == "sqlite" {
        tables = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'directory_fts_%'").all()
            .map { try $0.decode(column: "name", as: String.self) }
    } else {
        tables = try await sql.raw("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").all()
            .map { try $0.decode(column: "table_name", as: String.self) }
    }
    var values: [String] = []
    for table in tables {
        for row in try await sql.raw("SELECT * FROM \(ident: table)").all() {
            for column in row.allColumns {
                if let text = (try? row.decode(column: column, as: String?.self)) ?? nil { values.append(text) }
                if let id = (try? row.decode(column: column, as: UUID?.self)) ?? nil { values.append(id.uuidString) }
            }
        }
    }
    return values
}

@Suite("Privacy rights")
struct PrivacyTests {
    @Test("Download all my data: account, sessions, profile, applications, chapters, charter, notifications")
    func exportCompleteness() async throws {
        try await withMaillon { ctx in
            try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Amb")
            let (user, browser) = try await makeApplicant(ctx, to: lyon)
            let candidate = try #require(try await MembershipApplication.query(on: ctx.db).first())
            let reviewer = try #require(try await User.query(on: ctx.db).filter(\.$email == "amb@example.org").first())
            try await Admission(application: ctx.app, database: ctx.db, now: ctx.time.now()).decide(candidate, to: .accepted, by: reviewer, message: "Bienvenue")
            try await signIn(browser, email: user.email)
            try await browser.post("/charter")
            let response = try await browser.get("/account/export")
            #expect(response.status == .ok)
            #expect(response.headers.first(name: .contentDisposition)?.contains("attachment") == true)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            for section in PersonalData.sections { #expect(json[section.name] != nil, "\(section.name)") }
            #expect((json["account"] as? [String: Any])?["email"] as? String == "lea@example.org")
            #expect((json["account"] as? [String: Any])?["former_emails"] as? [String] == [], "former addresses are part of the account")
            #expect(((json["applications"] as? [[String: Any]])?.first?["history"] as? [Any])?.count == 2)
            #expect((json["profile"] as? [String: Any])?["headline"] as? String == "Développeuse web pour les associations")
            #expect(((json["sessions"] as? [Any])?.count ?? 0) >= 1)
            #expect(((json["charter_acceptances"] as? [Any])?.count ?? 0) == 1)
            #expect((((json["notifications"] as? [String: Any])?["items"] as? [Any])?.count ?? 0) >= 1)
            #expect(try await ctx.browser().get("/account/export").status == .seeOther, "anonymous: sign in first")
        }
    }

    @Test("Deleting my account erases every personal field and keeps others' contributions, unsigned")
    func erasure() async throws {
        try await withMaillon { ctx in
            let charter = try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            // The person to erase is an ambassador who decided an application, welcomed someone and has a profile.
            let leaving = try await makeMember(ctx, "Quentin Quitte", email: "quentin@example.org", chapter: lyon, headline: "Graphiste unique-xyz",
                                               skills: ["Typographie rare"], causes: ["sdg4"], bio: "Bio très personnelle")
            try await CharterController.recordAcceptance(leaving, charter, on: ctx.db, now: ctx.time.now())
            let ambassadorship = Ambassadorship()
            ambassadorship.$chapter.id = try lyon.requireID()
            ambassadorship.$user.id = try leaving.requireID()
            try await ambassadorship.create(on: ctx.db)
            let (newcomer, _) = try await makeApplicant(ctx, to: lyon, email: "new@example.org", name: "Nina Nouvelle")
            let candidate = try #require(try await MembershipApplication.query(on: ctx.db).first())
            try await Admission(application: ctx.app, database: ctx.db, now: ctx.time.now()).decide(candidate, to: .accepted, by: leaving, message: "Signé Quentin")
            let welcome = Welcome()
            welcome.$chapter.id = try lyon.requireID()
            welcome.$newcomer.id = try newcomer.requireID()
            welcome.$welcomedBy.id = try leaving.requireID()
            welcome.welcomedAt = ctx.time.now()
            try await welcome.create(on: ctx.db)

            let browser = ctx.browser()
            try await signIn(browser, email: "quentin@example.org")
            try await browser.get("/account/delete")
            let refused = try await browser.post("/account/delete", ["current_password": "wrong one", "confirm": "non"])
            #expect(refused.status == .unprocessableEntity)
            #expect(refused.html.contains("Le mot de passe actuel est incorrect."))
            #expect(try await User.find(leaving.id, on: ctx.db) != nil)
            let deleted = try await browser.post("/account/delete", ["current_password": goodPassword, "confirm": "supprimer"])
            #expect(deleted.status == .seeOther)

            let stored = try await everyStoredValue(ctx.db)
            let traces = ["quentin@example.org", "Quentin Quitte", "Graphiste unique-xyz", "Bio très personnelle", "typographie rare", "Typographie rare",
                          try leaving.requireID().uuidString]
            for trace in traces {
                #expect(!stored.contains { $0.localizedCaseInsensitiveContains(trace) }, "\(trace) remains")
            }
            // What others rely on stays: the decision and the welcome, without a name.
            #expect(try await ApplicationEvent.query(on: ctx.db).filter(\.$toStatus == .accepted).first()?.message == "Signé Quentin")
            #expect(try await ApplicationEvent.query(on: ctx.db).filter(\.$toStatus == .accepted).first()?.$actor.id == nil)
            #expect(try await Welcome.query(on: ctx.db).count() == 1)
            #expect(try await User.find(newcomer.id, on: ctx.db)?.role == .member)
            #expect(try await browser.get("/account").status == .seeOther, "signed out")
            var query = DirectoryQuery()
            query.text = "unique"
            #expect(try await query.run(on: ctx.db).total == 0)
        }
    }

    @Test("Erasure finds the person everywhere: others' notifications, sent mail jobs, every address they had, development mail files")
    func erasureLeavesNoTrace() async throws {
        let mailDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("maillon-erasure-\(UUID().uuidString.prefix(8))").path
        try await withMaillon(.init(mailDirectory: mailDirectory)) { ctx in
            let charter = try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            let ambassador = try await makeAmbassador(ctx, of: lyon, email: "amb@example.org", name: "Amb Assadeur")
            let (helene, browser) = try await makeApplicant(ctx, to: lyon, email: "helene@example.org", name: "Hélène Effacée")
            let candidate = try #require(try await MembershipApplication.query(on: ctx.db).first())
            try await Admission(application: ctx.app, database: ctx.db, now: ctx.time.now()).decide(candidate, to: .accepted, by: ambassador, message: nil)
            await ctx.runJobs()
            try await signIn(browser, email: "helene@example.org")
            try await browser.post("/charter")
            _ = charter
            // She moves to a new address: the old one was mailed a warning, the new one a link.
            try await browser.get("/account")
            #expect(try await browser.post("/account/email", ["email": "helene.new@example.org", "current_password": goodPassword]).status == .seeOther)
            let link = try #require(ctx.mailer.localLink(to: "helene.new@example.org", path: "/verify-email"))
            #expect(try await browser.get(link).status == .ok)
            // The ambassador's notifications name her; the mail jobs that carried them are done, with their payloads.
            let about = try await AppNotification.query(on: ctx.db).filter(\.$user.$id == ambassador.requireID()).all()
            #expect(about.contains { $0.argumentList.contains("Hélène Effacée") })
            #expect(try await JobRecord.query(on: ctx.db).filter(\.$status == .done).count() > 0)
            // Development mail files: one to her, one to the ambassador naming her, one that does not.
            let files = FileMailer(directory: mailDirectory, from: "Maillon <no-reply@localhost>")
            try await files.send(MailMessage(to: "helene@example.org", subject: "Old address", text: "Bonjour"), logger: ctx.app.logger)
            try await files.send(MailMessage(to: "amb@example.org", subject: "Newcomer", text: "Hélène Effacée vient de rejoindre Lyon"), logger: ctx.app.logger)
            try await files.send(MailMessage(to: "amb@example.org", subject: "Other", text: "Rien à voir"), logger: ctx.app.logger)

            try await browser.get("/account/delete")
            #expect(try await browser.post("/account/delete", ["current_password": goodPassword, "confirm": "SUPPRIMER"]).status == .seeOther)

            let stored = try await everyStoredValue(ctx.db)
            for trace in ["Hélène Effacée", "Hélène Effac&#233;e", "helene@example.org", "helene.new@example.org", try helene.requireID().uuidString] {
                #expect(!stored.contains { $0.localizedCaseInsensitiveContains(trace) }, "\(trace) remains")
            }
            // The ambassador keeps the notifications' sense, without her name.
            let texts = try await AppNotification.query(on: ctx.db).filter(\.$user.$id == ambassador.requireID()).all()
                .map { $0.text(Translator(catalogue: ctx.app.maillon.catalogue, locale: .fr)) }
            #expect(texts.contains { $0.contains("un·e ancien·ne membre vient de rejoindre") })
            let remaining = try FileManager.default.contentsOfDirectory(atPath: mailDirectory)
            #expect(remaining.count == 1)
        }
        try? FileManager.default.removeItem(atPath: mailDirectory)
    }

    @Test("A done job keeps its payload a day, then an empty one")
    func finishedJobsScrubbed() async throws {
        try await withMaillon { ctx in
            try await makeUser(ctx)
            _ = try await requestReset(ctx, ctx.browser())
            let done = try await JobRecord.query(on: ctx.db).filter(\.$status == .done).all()
            #expect(done.contains { $0.payload.contains("camille@example.org") })
            ctx.time.advance(by: JobQueue.payloadRetention + 60)
            try await JobQueue(database: ctx.db, now: ctx.time.now()).scrubFinished(olderThan: JobQueue.payloadRetention)
            let after = try await JobRecord.query(on: ctx.db).filter(\.$status == .done).all()
            #expect(!after.isEmpty && after.allSatisfy { $0.payload == "{}" })
        }
    }

    @Test("Declined applications are purged after the retention period")
    func purgeDeclined() async throws {
        try await withMaillon { ctx in
            try await publishCharter(ctx)
            let lyon = try await makeChapter(ctx, "Lyon")
            try await makeApplicant(ctx, to: lyon)
            try await makeApplicant(ctx, to: lyon, email: "b@example.org", name: "B")
            let applications = try await MembershipApplication.query(on: ctx.db).sort(\.$createdAt).all()
            try await Admission(application: ctx.app, database: ctx.db, now: ctx.time.now()).decide(applications[0], to: .declined, by: nil, message: nil)
            #expect(try await ApplicationRetention.purgeDeclined(olderThan: 180, on: ctx.db, now: ctx.time.now()) == 0)
            #expect(try await ApplicationRetention.purgeDeclined(olderThan: 180, on: ctx.db, now: ctx.time.now().addingTimeInterval(181 * 86400)) == 1)
            #expect(try await MembershipApplication.query(on: ctx.db).count() == 1)
        }
    }

    @Test("The privacy and delete pages render in French and English", arguments: ["fr", "en"])
    func pagesRender(language: String) async throws {
        try await withMaillon { ctx in
            let (_, browser) = try await signedInBrowser(ctx, locale: AppLocale(rawValue: language))
            for path in ["/privacy", "/account/delete"] {
                let page = try await browser.get(path)
                #expect(page.status == .ok, "\(path)")
                PageTests.expectWellFormedPage(page.html, lang: language, path: path)
            }
        }
    }
}
