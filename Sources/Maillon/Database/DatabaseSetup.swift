import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import SQLKit
import Vapor

enum DatabaseSetup {
    /// How long a request waits for a free connection: a burst (registrations opening for the monthly
    /// meal) queues rather than failing.
    static let poolTimeout: TimeAmount = .seconds(30)

    static func configure(_ app: Application, _ kind: Settings.DatabaseKind, poolSize: Int) throws {
        switch kind {
        case let .sqlite(path):
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            // SQL (with its values) is logged only at trace level, never at the usual levels.
            // One connection per event loop: SQLite queries run on the thread pool (one thread per core), so
            // more would not read faster, and fewer writers means fewer lock waits.
            // Writers take turns in the process rather than spinning on SQLite's lock (see `DatabaseGate`).
            let sqlite = DatabaseConfigurationFactory.sqlite(.file(path), connectionPoolTimeout: poolTimeout, sqlLogLevel: .trace)
            app.databases.use(DatabaseConfigurationFactory { DatabaseGateConfiguration(inner: sqlite.make(), serialWrites: true, timesWaits: false) }, as: .sqlite)
        case let .postgres(url, searchPath):
            var configuration = try SQLPostgresConfiguration(url: url)
            if let searchPath { configuration.searchPath = [searchPath] }
            // No JIT compilation: it starts above a planner cost that the ranking of a mission among
            // 100,000 members and the directory's counts reach, and compiling costs more than it saves
            // on queries of a few tens of milliseconds (ranking for a common skill: 237 ms with, 119–154 without).
            configuration.coreConfiguration.options.additionalStartupParameters.append(("jit", "off"))
            let postgres = DatabaseConfigurationFactory.postgres(configuration: configuration, maxConnectionsPerEventLoop: poolSize,
                                                                 connectionPoolTimeout: poolTimeout, sqlLogLevel: .trace)
            app.databases.use(DatabaseConfigurationFactory { DatabaseGateConfiguration(inner: postgres.make(), serialWrites: false, timesWaits: true) }, as: .psql)
        }
        app.databases.middleware.use(Profile.CityKey())
        app.databases.middleware.use(User.UniqueHandle())
        app.databases.middleware.use(Space.ForEveryChapter())
    }

    /// SQLite: write-ahead logging (readers never wait for the writer); the mode is kept in the file.
    /// Each connection also reads the file through a memory map of up to `mmapBytes`, rather than copying
    /// each page with a system call (a fifth of the directory search's time went to those copies). The
    /// map is the kernel's page cache, shared and reclaimable, not the process's own memory. The setting
    /// lasts as long as the connection, and the SQLite driver keeps exactly one per event loop for the
    /// life of the application: so it is set once on each loop's connection.
    static func prepare(_ app: Application) async throws {
        guard let sql = app.db as? any SQLDatabase, sql.dialect.name == "sqlite" else { return }
        try await sql.raw("PRAGMA journal_mode=WAL").run()
        for loop in app.eventLoopGroup.makeIterator() {
            guard let connection = app.databases.database(logger: app.logger, on: loop) as? any SQLDatabase else { continue }
            try await connection.raw("PRAGMA mmap_size = \(unsafeRaw: String(mmapBytes))").run()
        }
    }

    static let mmapBytes = 256 << 20

    static func register(_ migrations: Migrations) {
        migrations.add(Migrations001.CreateAccounts())
        migrations.add(Migrations002.CreateJobsAndNotifications())
        migrations.add(Migrations003.CreateMembership())
        migrations.add(Migrations004.CreateDirectory())
        migrations.add(Migrations005.CreateProfilePhotos())
        migrations.add(Migrations006.CreateDirectoryOrderIndexes())
        migrations.add(Migrations007.CreateEvents())
        migrations.add(Migrations008.CreateProfessionOrderIndex())
        migrations.add(Migrations009.AddHardeningColumns())
        migrations.add(Migrations010.CreateMissions())
        migrations.add(Migrations011.CreateProposals())
        migrations.add(Migrations012.CreateMissionSuggestions())
        migrations.add(Migrations013.CreateMissionReviews())
        migrations.add(Migrations014.CreateContributions())
        migrations.add(Migrations015.AddProfileCityKey())
        migrations.add(Migrations016.CreateTrainings())
        migrations.add(Migrations017.CreateTrainingSessions())
        migrations.add(Migrations018.CreateComplaints())
        migrations.add(Migrations019.CreateAttendance())
        migrations.add(Migrations020.CreateAssessments())
        migrations.add(Migrations021.CreateSurveys())
        migrations.add(Migrations022.AddTrainingRetention())
        migrations.add(Migrations023.CreateTrainingInvitations())
        migrations.add(Migrations024.CreateDiscussions())
        migrations.add(Migrations025.CreateModeration())
        migrations.add(Migrations026.AddHelpRequestTags())
        migrations.add(Migrations027.CreatePostSearch())
        migrations.add(Migrations028.AddUserHandles())
        migrations.add(Migrations029.CreateDirectMessages())
        migrations.add(Migrations030.CreateMessageReports())
        migrations.add(Migrations031.CreateCommunityHealth())
        migrations.add(Migrations032.AddCommunityHealthIndexes())
        migrations.add(Migrations033.CommunityHealthAtScale())
        migrations.add(Migrations034.DropSessionFlash())
    }
}
