import ConsoleKit
import Fluent
import Vapor

/// `maillon admin create --email … --name …`: the bootstrap admin. No password is chosen here:
/// the command prints a single-use link (valid one hour) where the admin sets it.
struct AdminCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "create")
        var action: String
        @Option(name: "email", help: "The admin's email address")
        var email: String?
        @Option(name: "name", help: "The admin's name")
        var name: String?
    }

    var help: String { "Manage admins: `admin create --email you@example.org --name \"Your Name\"`" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard signature.action == "create" else { throw CommandError.unknownAction(signature.action) }
        let email = EmailAddress.normalise(signature.email ?? "")
        let name = (signature.name ?? "").trimmingCharacters(in: .whitespaces)
        guard EmailAddress.isPlausible(email) else { throw CommandError.invalid("--email") }
        guard !name.isEmpty else { throw CommandError.invalid("--name") }
        try await app.autoMigrate()

        let now = app.maillon.time.now()
        let user: User
        if let existing = try await User.query(on: app.db).filter(\.$email == email).first() {
            existing.role = .admin
            existing.emailVerifiedAt = existing.emailVerifiedAt ?? now
            try await existing.save(on: app.db)
            // A privilege change ends the account's sessions.
            try await UserSession.query(on: app.db).filter(\.$user.$id == existing.requireID()).delete()
            user = existing
        } else {
            // An unguessable password nobody knows until the link sets one.
            let hash = try await app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next()).hash(Secret.generate())
            user = User(email: email, passwordHash: hash, name: name, role: .admin)
            user.emailVerifiedAt = now
            try await user.create(on: app.db)
        }
        let secret = try await Tokens(database: app.db, now: now).issue(.resetPassword, for: user, lifetime: Tokens.resetLifetime)
        let link = "\(app.maillon.settings.baseURL.absoluteString)\(SiteURL.resetPassword)?token=\(secret)"
        context.console.print("Admin \(email) is ready. Choose the password within the hour at:")
        context.console.print(link)
    }

    enum CommandError: Error, CustomStringConvertible {
        case unknownAction(String)
        case invalid(String)
        var description: String {
            switch self {
            case let .unknownAction(action): "Unknown action \(action); try `admin create`."
            case let .invalid(option): "\(option) is missing or invalid."
            }
        }
    }
}

/// `serve` that migrates first and says how to begin.
struct Banner: LifecycleHandler {
    func didBootAsync(_ app: Application) async throws {
        let settings = app.maillon.settings
        let admins = try await User.query(on: app.db).filter(\.$role == .admin).count()
        var lines = ["Maillon is running at \(settings.baseURL.absoluteString)"]
        if settings.mailTransport == "file" {
            lines.append("Mail goes to \(settings.mailDirectory)/ and its links are logged (development only; admins read it at \(SiteURL.adminMail)).")
        }
        if admins == 0 {
            lines.append("No admin yet. Create the first one (it prints a link to choose the password):")
            lines.append("  swift run maillon admin create --email you@example.org --name \"Your Name\"")
        }
        print(lines.joined(separator: "\n"))
    }
}

public enum MaillonEntry {
    /// Wires commands and lifecycle for the executable; tests call `configure` directly.
    public static func prepareCommands(_ app: Application) {
        app.asyncCommands.use(AdminCommand(), as: "admin")
        app.asyncCommands.use(CleanupCommand(), as: "cleanup")
        app.asyncCommands.use(WorkerCommand(), as: "worker")
        app.asyncCommands.use(SeedCommand(), as: "seed")
        app.asyncCommands.use(PurgeApplicationsCommand(), as: "purge-applications")
        app.asyncCommands.use(SimulateMatchingCommand(), as: "simulate-matching")
        app.asyncCommands.use(BenchMatchingCommand(), as: "bench-matching")
        app.asyncCommands.use(BackupCommand(), as: "backup")
        app.asyncCommands.use(RestoreCommand(), as: "restore")
        // Log lines are buffered (`LogOutput`): out within a second, whatever the command.
        app.eventLoopGroup.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in LogOutput.flush() }
    }

    public static func migrateBeforeServing(_ app: Application) async throws {
        try await DatabaseSetup.prepare(app)
        try await app.autoMigrate()
    }

    public static func prepareServing(_ app: Application) {
        app.lifecycle.use(Banner())
        // Workers run inside `serve` unless JOB_WORKERS=0 (then run `maillon worker` beside it).
        if app.maillon.settings.jobWorkers > 0 {
            app.lifecycle.use(JobWorkersLifecycle(workers: JobWorkers(application: app, count: app.maillon.settings.jobWorkers)))
        }
    }
}
