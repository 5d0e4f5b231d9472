import Foundation
import Synchronization
import Vial
import VialMiddleware

/// An application made of plugins — the composition root Flask calls `create_app`, as a library.
/// It loads settings (`.env` under the real environment), opens the database, sets up the shared
/// cache, rate limiter, CORS and security headers, sets up each plugin in dependency order, and
/// serves the API docs. `main()` gives it the whole command line.
///
/// ```swift
/// import VialApp
/// import VialBlueprints
///
/// let application = Application("notes-app", title: "Notes API", plugins: Bundled.plugins + [NotesPlugin()])
/// await application.main()        // notes-app serve | worker | routes | openapi | db … | init-db | create-user
/// ```
public struct Application: Sendable {
    /// The app's name: the command's name and the name `serve` prints.
    public let name: String
    /// The API document's title, version and description.
    public let title: String
    public let version: String
    public let description: String?
    /// The installed plugins, as given.
    public let plugins: [any Plugin]

    public init(
        _ name: String, title: String? = nil, version: String = "1.0.0", description: String? = nil, plugins: [any Plugin]
    ) {
        self.name = name
        self.title = title ?? name
        self.version = version
        self.description = description
        self.plugins = plugins
    }

    /// The configuration from `.env` and the process environment (the real environment wins),
    /// with `overrides` on top.
    public func loadConfig(overrides: [String: String] = [:]) throws -> AppConfig {
        try AppConfig.load(from: try DotEnv.environment().merging(overrides) { _, override in override })
    }

    /// Every installed plugin's migrations, in dependency order.
    public func migrator() throws -> Migrator {
        Migrator(
            try plugins.inDependencyOrder().map {
                MigrationChain(plugin: $0.name, dependencies: $0.dependencies, revisions: $0.migrations, legacyVersions: $0.legacyVersions)
            })
    }

    /// The database `config` names, opened (not migrated).
    public func openDatabase(_ config: AppConfig) throws -> AppDatabase {
        let core = try CoreSettings.load(config)
        return try AppDatabase(core.database, poolSize: core.databasePoolSize, sqliteInlineReads: core.sqliteInlineReads)
    }

    /// Builds the app on `database` (default: the one `config` names; it is not migrated here).
    /// Throws `ConfigError` for a bad setting and `PluginError` for plugins that do not fit.
    public func assemble(config: AppConfig, database: AppDatabase? = nil, clock: any WallClock = SystemClock()) throws -> Assembly {
        let ordered = try plugins.inDependencyOrder()
        let core = try CoreSettings.load(config)
        let database = try database ?? AppDatabase(core.database, poolSize: core.databasePoolSize, sqliteInlineReads: core.sqliteInlineReads)
        let app = App(name, config: config)
        // Applied last, outside every middleware: the cache's hits are compressed too.
        if let compression = core.compression { app.compressResponses(compression) }
        if config.environment == .production { app.use(SecurityHeaders()) }
        if !core.corsOrigins.isEmpty {
            app.use(CORS(origins: core.corsOrigins.map(CORS.Origin.init(parsing:))))
        }
        // The database down (PostgreSQL refusing or not answering): 503, never a 500, and a log
        // line for the operator (without the URL, which may carry a password).
        let logger = app.logger
        app.errorHandler(for: DatabaseUnavailable.self) { _, error in
            logger.error("\(error)")
            return .error(HTTPError(.serviceUnavailable, "The database is unavailable; try again shortly", code: "database_unavailable"))
        }
        app.errorHandler(for: UnstorableText.self) { _, error in
            .error(HTTPError(.badRequest, error.description, code: "invalid_text"))
        }
        let readiness = ReadinessChecks()
        readiness.add("database") { try await database.ping() }
        /// A Redis client for `url` whose reachability `/health/ready` reports as `check`.
        func redis(_ url: String, check: String) throws -> RedisClient {
            let redis = try RedisClient(url: url)
            readiness.add(check) { try await redis.send(["PING"]) }
            return redis
        }
        // The settings were checked when loaded, so the default limit string parses.
        let storage: any RateLimitStorage
        if core.rateLimitStorage == "memory://" {
            storage = MemoryRateLimitStorage()
        } else {
            storage = RedisRateLimitStorage(redis: try redis(core.rateLimitStorage, check: "rate_limits"))
        }
        let limiter = try RateLimiter(
            storage: storage, strategy: core.rateLimitStrategy, defaults: core.rateLimitDefault, enabled: core.rateLimitEnabled,
            failOpen: core.rateLimitFailOpen, clock: clock)
        limiter.install(on: app)
        let backend: any CacheBackend
        switch core.cacheType {
        case "NullCache": backend = NullCache()
        case "RedisCache":
            backend = RedisCache(redis: try redis(core.cacheRedisURL!, check: "cache"), keyPrefix: core.cacheKeyPrefix)
        default: backend = SimpleCache()
        }
        let cache = Cache(backend: backend, defaultTimeout: Double(core.cacheDefaultTimeout))
        app.use(cache)

        let broker: any MessageBroker
        if core.brokerURL == "memory://" {
            broker = LocalBroker()
        } else {
            broker = RedisBroker(redis: try redis(core.brokerURL, check: "broker"), logger: app.logger)
        }
        let shared = PluginContext.SharedState()
        if let service = broker as? RedisBroker { shared.state.withLock { $0.services.append(service) } }
        for plugin in ordered {
            try plugin.setUp(
                PluginContext(
                    plugin: plugin.name, app: app, config: config, database: database, clock: clock, cache: cache,
                    limiter: limiter, broker: broker, readiness: readiness, shared: shared))
        }
        app.mountAPIDocs(title: title, version: version, description: description, tags: Self.tags(of: ordered))
        let state = shared.state.withLock { $0 }
        return Assembly(
            app: app, config: config, database: database, clock: clock, cache: cache, limiter: limiter, broker: broker,
            readiness: readiness,
            plugins: ordered,
            migrator: try migrator(), services: state.services, announcements: state.announcements, exports: state.exports)
    }

    /// The app on a migrated in-memory database: tests, `routes` and `openapi` (routes do not depend on data).
    public func assembleInMemory(config: AppConfig, clock: any WallClock = SystemClock()) throws -> Assembly {
        let database = try AppDatabase.inMemory()
        let migrator = try migrator()
        try migrator.upgradeNew(database)
        return try assemble(config: config, database: database, clock: clock)
    }

    /// The OpenAPI document `/openapi.json` serves.
    public func apiDocument(_ assembly: Assembly) throws -> String {
        try OpenAPIGenerator.json(
            for: assembly.app.routes(), title: title, version: version, description: description,
            tags: Self.tags(of: assembly.plugins))
    }

    /// Every plugin's tag descriptions (the first plugin to describe a tag wins).
    static func tags(of plugins: [any Plugin]) -> [String: String] {
        plugins.reduce(into: [:]) { tags, plugin in tags.merge(plugin.tags) { first, _ in first } }
    }
}

extension Application {
    /// The application `main()` is running (read by subcommands, including plugins' own).
    public static var current: Application {
        guard let application = running.withLock({ $0 }) else {
            preconditionFailure("Application.current is read before Application.main() started")
        }
        return application
    }

    static let running = Mutex<Application?>(nil)
}

