import Vial
import VialMiddleware

/// The settings the composition root itself reads; each plugin reads its own in `setUp`.
public struct CoreSettings: Sendable {
    /// `DATABASE_URL` (SQLAlchemy's form; in memory under testing by default).
    public var database: DatabaseLocation
    /// `DATABASE_POOL_SIZE`: PostgreSQL connections per process at most (default 10; every
    /// instance and worker has its own pool, and together they must stay under the server's
    /// `max_connections`, 100 by default).
    public var databasePoolSize: Int
    /// `SQLITE_INLINE_READS` (default true): a SQLite file's reads run on the request's own
    /// thread; false sends each to a GRDB reader queue and back (for apps with reads long
    /// enough to hold up an event loop's other connections).
    public var sqliteInlineReads: Bool
    /// `RATELIMIT_ENABLED` (off under testing).
    public var rateLimitEnabled: Bool
    /// `RATELIMIT_DEFAULT`: limits for every route without its own.
    public var rateLimitDefault: String
    /// `RATELIMIT_STORAGE_URI`: `memory://` (this process) or `redis://…` (shared by every instance).
    public var rateLimitStorage: String
    /// `RATELIMIT_FAIL_OPEN`: when the limit storage fails, let requests through (true) or answer 503.
    public var rateLimitFailOpen: Bool
    /// `RATELIMIT_STRATEGY`: fixed-window, moving-window or sliding-window-counter.
    public var rateLimitStrategy: RateLimitStrategy
    /// `CACHE_TYPE`: SimpleCache, NullCache or RedisCache.
    public var cacheType: String
    /// `CACHE_REDIS_URL` (required by RedisCache) and `CACHE_KEY_PREFIX` (default `vial_cache_`).
    public var cacheRedisURL: String?
    public var cacheKeyPrefix: String
    /// `CACHE_DEFAULT_TIMEOUT`, seconds.
    public var cacheDefaultTimeout: Int
    /// `CORS_ORIGINS`: comma-separated origins (`*` wildcards allowed); none means no CORS headers.
    public var corsOrigins: [String]
    /// `BROKER_URL`: where live events travel between instances — `memory://` (this process
    /// only) or `redis://…`. Unset, it is the Redis of the cache or of the rate limits when one
    /// is configured, else `memory://`.
    public var brokerURL: String
    /// Response compression (`COMPRESS_REGISTER`, on by default, as installing Flask-Compress
    /// turns it on; `COMPRESS_MIMETYPES`, `COMPRESS_LEVEL`, `COMPRESS_MIN_SIZE`,
    /// `COMPRESS_STREAMS`); nil when off.
    public var compression: CompressionSettings? = nil

    /// Reads the variables above; a bad value throws `ConfigError` naming it.
    public static func load(_ config: AppConfig) throws -> CoreSettings {
        let settings = config.settings
        let defaultURL = config.environment == .testing ? "sqlite:///:memory:" : DatabaseLocation.developmentDefault
        let storage = settings.string("RATELIMIT_STORAGE_URI", default: "memory://")
        if storage != "memory://" {
            do {
                _ = try RedisClient.Endpoint(url: storage)
            } catch {
                throw ConfigError(variable: "RATELIMIT_STORAGE_URI", reason: "must be memory:// or redis://[:password@]host[:port][/db]")
            }
        }
        let cacheType = try settings.string("CACHE_TYPE", default: "SimpleCache", oneOf: ["SimpleCache", "NullCache", "RedisCache"])
        let cacheRedisURL = settings["CACHE_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if cacheType == "RedisCache" {
            guard let url = cacheRedisURL, (try? RedisClient.Endpoint(url: url)) != nil else {
                throw ConfigError(variable: "CACHE_REDIS_URL", reason: "RedisCache needs redis://[:password@]host[:port][/db]")
            }
        }
        let sharedRedis = cacheType == "RedisCache" ? cacheRedisURL : storage != "memory://" ? storage : nil
        let brokerURL = settings["BROKER_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? sharedRedis ?? "memory://"
        if brokerURL != "memory://", (try? RedisClient.Endpoint(url: brokerURL)) == nil {
            throw ConfigError(variable: "BROKER_URL", reason: "must be memory:// or redis://[:password@]host[:port][/db]")
        }
        let rateLimitDefault = settings.string("RATELIMIT_DEFAULT", default: "200 per day;50 per hour")
        _ = try settings.parsed("RATELIMIT_DEFAULT", default: rateLimitDefault, RateLimitItem.parse)
        return CoreSettings(
            database: try DatabaseLocation(url: settings.string("DATABASE_URL", default: defaultURL)),
            databasePoolSize: try settings.integer("DATABASE_POOL_SIZE", default: 10, in: 1...1_000),
            sqliteInlineReads: try settings.flag("SQLITE_INLINE_READS", default: true),
            rateLimitEnabled: try settings.flag("RATELIMIT_ENABLED", default: config.environment != .testing),
            rateLimitDefault: rateLimitDefault,
            rateLimitStorage: storage,
            rateLimitFailOpen: try settings.flag("RATELIMIT_FAIL_OPEN", default: true),
            rateLimitStrategy: try settings.parsed("RATELIMIT_STRATEGY", default: RateLimitStrategy.fixedWindow.rawValue) {
                guard let strategy = RateLimitStrategy(rawValue: $0) else {
                    throw ConfigError(
                        variable: "RATELIMIT_STRATEGY",
                        reason: "must be one of \(RateLimitStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return strategy
            },
            cacheType: cacheType,
            cacheRedisURL: cacheRedisURL,
            cacheKeyPrefix: settings.string("CACHE_KEY_PREFIX", default: "vial_cache_"),
            cacheDefaultTimeout: try settings.seconds("CACHE_DEFAULT_TIMEOUT", default: 300),
            corsOrigins: settings.list("CORS_ORIGINS"),
            brokerURL: brokerURL,
            compression: try compressionSettings(settings))
    }

    static func compressionSettings(_ settings: SettingsReader) throws -> CompressionSettings? {
        guard try settings.flag("COMPRESS_REGISTER", default: true) else { return nil }
        var compression = CompressionSettings()
        let types = settings.list("COMPRESS_MIMETYPES")
        if !types.isEmpty { compression.mimeTypes = Set(types.map { $0.lowercased() }) }
        compression.level = try settings.integer("COMPRESS_LEVEL", default: compression.level, in: 1...9)
        compression.minSize = try settings.integer("COMPRESS_MIN_SIZE", default: compression.minSize, in: 0...(1 << 30))
        compression.streams = try settings.flag("COMPRESS_STREAMS", default: compression.streams)
        return compression
    }
}
