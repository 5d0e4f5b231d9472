import Foundation
import Vial
import VialBlueprints
import VialMiddleware

/// What the app is assembled from: the database and the stores and JWT settings over it.
public struct Services: Sendable {
    public let database: AppDatabase
    public let users: any UserStore
    public let tasks: any TaskStore
    public let jwt: JWTManager
    public let limiter: RateLimiter
    public let cache: Cache
    /// The background job queue, with the tasks API's jobs registered.
    public let jobs: JobQueue
    public let outbox: Outbox
    public let settings: AppSettings
    /// Seconds since 1970: token lifetimes, revocation expiry, rate-limit windows, job timing and
    /// the timestamps the blueprints write all read this one clock.
    public let clock: @Sendable () -> Int

    /// Services over `database` with `settings`' JWT configuration, all on `clock`.
    public init(
        database: AppDatabase, settings: AppSettings,
        clock: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) {
        self.database = database
        self.settings = settings
        self.clock = clock
        users = SQLiteUserStore(database)
        tasks = SQLiteTaskStore(database)
        let codec = JWTCodec(secret: settings.jwtSecret, clock: clock)
        jwt = JWTManager(
            issuer: TokenIssuer(
                codec: codec, accessLifetime: settings.accessTokenLifetime, refreshLifetime: settings.refreshTokenLifetime),
            revocations: SQLiteRevocationStore(database, clock: clock))
        // The settings were checked when loaded, so the default limit string parses.
        limiter = try! RateLimiter(
            strategy: settings.rateLimitStrategy, defaults: settings.rateLimitDefault, enabled: settings.rateLimitEnabled,
            failOpen: settings.rateLimitFailOpen, exempt: ["health.check"], clock: { Double(clock()) })
        cache = Cache(
            backend: settings.cacheType == "NullCache" ? NullCache() : SimpleCache(),
            defaultTimeout: Double(settings.cacheDefaultTimeout))
        outbox = Outbox(database)
        jobs = JobQueue(
            store: SQLiteJobStore(database), visibility: Double(settings.jobsVisibilityTimeout),
            resultExpiry: Double(settings.jobsResultExpires), clock: { Double(clock()) })
        TaskJobs.register(on: jobs, tasks: tasks, users: users, outbox: outbox, cache: cache, now: now)
    }

    /// `clock` as a `Date`, for the timestamps stores and blueprints write.
    public var now: @Sendable () -> Date {
        { [clock] in Date(timeIntervalSince1970: Double(clock())) }
    }

    /// The in-process workers `App serve` runs next to the server (`JOBS_CONCURRENCY`), or nil for none.
    public var inProcessWorkers: JobWorkers? {
        settings.jobsConcurrency > 0 ? JobWorkers(queue: jobs, concurrency: settings.jobsConcurrency) : nil
    }

    /// Services on a migrated in-memory database (tests, `App routes`).
    public static func inMemory(
        settings: AppSettings, clock: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) throws -> Services {
        let database = try AppDatabase.inMemory()
        try database.writer.writeWithoutTransaction { db in _ = try Migrator().upgrade(db) }
        return Services(database: database, settings: settings, clock: clock)
    }
}

/// The application factory, Flask's `create_app`: the bundled blueprints, each registered separately.
public func makeApp(config: AppConfig, services: Services) -> App {
    let app = App("tasks-api", config: config)
    if config.environment == .production { app.use(SecurityHeaders()) }
    if !services.settings.corsOrigins.isEmpty {
        app.use(CORS(origins: services.settings.corsOrigins.map { $0 == "*" ? .any : $0.contains("*") ? .pattern($0) : .exact($0) }))
    }
    services.limiter.install(on: app)
    app.use(services.cache)
    app.use(services.jwt)
    let database = services.database
    app.register(HealthBlueprint.make(databaseCheck: { try await database.ping() }))
    app.register(AuthBlueprint.make(users: services.users, jwt: services.jwt, now: services.now), urlPrefix: "/auth")
    app.register(
        TasksBlueprint.make(tasks: services.tasks, cache: services.cache, jobs: services.jobs, now: services.now),
        urlPrefix: "/api/tasks")
    app.register(JobsBlueprint.make(jobs: services.jobs), urlPrefix: "/api/jobs")
    app.mountAPIDocs(title: "Vial Tasks API", version: "1.0.0", description: "Users, JWT authentication and tasks.")
    return app
}
