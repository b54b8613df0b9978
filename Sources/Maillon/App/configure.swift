import Fluent
import Leaf
import Vapor

/// The composition root: every piece of Maillon is wired here, in plain sight.
public func configure(_ app: Application, settings: Settings, mailer: (any Mailer)? = nil, time: any TimeSource = SystemTime(),
                      throttling: ThrottlePolicy = .standard) async throws {
    let resources = app.directory.resourcesDirectory
    let catalogue = try Catalogue.load(from: resources + "Locales")
    let passwords = try PasswordPolicy.load(from: resources + "common-passwords.txt")
    let transport: any Mailer = if let smtp = settings.smtp {
        SMTPMailer(settings: smtp, from: settings.mailFrom, eventLoopGroup: app.eventLoopGroup)
    } else {
        FileMailer(directory: settings.mailDirectory, from: settings.mailFrom)
    }
    app.maillon = MaillonServices(
        settings: settings,
        catalogue: catalogue,
        mailer: mailer ?? transport,
        time: time,
        passwords: passwords,
        throttling: throttling
    )

    app.http.server.configuration.hostname = settings.host
    app.http.server.configuration.port = settings.port
    app.routes.defaultMaxBodySize = settings.maxBodySize
    app.logger.logLevel = settings.logLevel

    // Our own pool for blocking work (SQLite queries, password hashing) instead of the process-wide
    // singleton: SQLite's driver waits for a lock by spinning on a pool thread, so the pool must have
    // threads left for the connection holding the lock (several apps in one process share the singleton).
    app.threadPool = NIOThreadPool(numberOfThreads: max(4, System.coreCount * 2))
    try DatabaseSetup.configure(app, settings.database, poolSize: settings.databasePoolSize)
    app.appKeyCache = AppKeyCache()
    app.directorySummaries = TimedCache(lifetime: TimeInterval(settings.directoryCacheSeconds))
    app.directoryFilters = TimedCache(lifetime: TimeInterval(settings.directoryCacheSeconds))
    app.directoryCards = TimedCache(lifetime: TimeInterval(settings.directoryCacheSeconds), capacity: 200)
    app.visitorPages = VisitorPageCache(lifetime: TimeInterval(settings.visitorPageSeconds))
    DatabaseSetup.register(app.migrations)

    app.passwords.use(.bcrypt(cost: settings.bcryptCost))
    app.dummyPasswordHash = try await app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next()).hash(Secret.generate())

    app.views.use(.leaf)
    app.leaf.tags["t"] = TranslateTag(catalogue: catalogue)
    // Templates are re-read on every render while developing, parsed once otherwise.
    app.leaf.cache.isEnabled = app.environment != .development

    // Outermost first. Errors become pages inside the session middleware (so they know the reader);
    // the outer error middleware catches what happens before it.
    app.middleware = Middlewares()
    // First: stopping waits for every request it counts (see `InFlightRequests`).
    let inFlight = InFlightRequests()
    app.middleware.use(inFlight)
    app.lifecycle.use(inFlight)
    app.middleware.use(RequestLogMiddleware())
    app.middleware.use(SecurityHeadersMiddleware(isHTTPS: settings.isHTTPS))
    app.middleware.use(ErrorPageMiddleware())
    app.middleware.use(StaticFiles(publicDirectory: app.directory.publicDirectory))
    app.middleware.use(BodyLimitMiddleware(maxBytes: settings.maxBodySize.value, larger: [SiteURL.myPhoto: PhotoController.uploadLimit]))
    app.middleware.use(SessionMiddleware())
    app.middleware.use(CSRFMiddleware())
    app.middleware.use(CharterGateMiddleware())

    try registerJobs(app)
    try routes(app)
}

/// Every kind of background job, and the periodic ones with their schedules (Europe/Paris).
func registerJobs(_ app: Application) throws {
    var registry = JobRegistry()
    registry.register(SendMailJob.self)
    registry.register(SendDigestJob.self)
    registry.register(PasswordResetRequestJob.self)
    registry.register(TellMissionSuggestionsJob.self)
    registry.register(RegistrationNewsJob.self)
    try registry.schedule(EventRemindersJob(), .every(3600))
    try registry.schedule(ConvocationsJob(), .every(3600))
    try registry.schedule(SurveysJob(), .every(3600))
    try registry.schedule(CertificatesJob(), .every(3600))
    try registry.schedule(HelpRequestsJob(), .every(3600))
    try registry.schedule(ExtendSeriesJob(), .daily(hour: 3, minute: 30))
    try registry.schedule(MissionDeadlinesJob(), .daily(hour: 0, minute: 15))
    try registry.schedule(HousekeepingJob(), .every(15 * 60))
    try registry.schedule(WeeklyDigestJob(), .weekly(weekday: 2, hour: 8, minute: 0))
    try registry.schedule(MonthlyPairingJob(), .monthly(day: 1, hour: 9, minute: 0))
    try registry.schedule(RadarLookJob(), .every(3600))
    app.jobRegistry = registry
    // The weekly digest's sections; later features add theirs here.
    app.digestSections = [UpcomingEventsSection(), MissionsForYouSection(), MissedDiscussionsSection(), HelpYouCouldGiveSection(), NewMembersSection()]
}

func routes(_ app: Application) throws {
    try app.register(collection: HealthController())
    try app.register(collection: MetricsController())
    try app.register(collection: HomeController())
    try app.register(collection: SignUpController())
    try app.register(collection: SignInController())
    try app.register(collection: PasswordResetController())
    try app.register(collection: AccountController())
    try app.register(collection: TwoStepController())
    try app.register(collection: AdminUsersController())
    try app.register(collection: AdminJobsController())
    try app.register(collection: NotificationsController())
    try app.register(collection: ChaptersController())
    try app.register(collection: AdminChaptersController())
    try app.register(collection: EventsController())
    try app.register(collection: OrganiserController())
    try app.register(collection: SeriesController())
    try app.register(collection: CalendarController())
    try app.register(collection: CharterController())
    try app.register(collection: ApplicationsController())
    try app.register(collection: ReviewController())
    try app.register(collection: ProfileController())
    try app.register(collection: DirectoryController())
    try app.register(collection: PrivacyController())
    try app.register(collection: PhotoController())
    try app.register(collection: AdminImportController())
    try app.register(collection: OrganisationsController())
    try app.register(collection: MissionsController())
    try app.register(collection: ProposalsController())
    try app.register(collection: ReviewsController())
    try app.register(collection: ContributionsController())
    try app.register(collection: TrainingsController())
    try app.register(collection: SessionsController())
    try app.register(collection: ComplaintsController())
    try app.register(collection: AttendanceController())
    try app.register(collection: AssessmentController())
    try app.register(collection: SurveysController())
    try app.register(collection: BPFController())
    try app.register(collection: DiscussionsController())
    try app.register(collection: ModerationController())
    try app.register(collection: MessagesController())
    try app.register(collection: CommunityController())
}
