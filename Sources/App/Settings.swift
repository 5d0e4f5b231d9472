import Vial
import VialBlueprints
import VialMiddleware

/// The bundled app's own settings (SPEC section 4), read from the loaded configuration.
public struct AppSettings: Sendable {
    /// The development fallback; production refuses to start with it.
    static let developmentSecret = "dev-secret-change-me-0123456789abcdef"

    public var database: DatabaseLocation
    public var jwtSecret: String
    /// Whether `jwtSecret` is the built-in development value (start-up warns).
    public var usesDevelopmentSecret: Bool
    public var accessTokenLifetime: Int
    public var refreshTokenLifetime: Int
    /// `RATELIMIT_ENABLED` (off under testing).
    public var rateLimitEnabled: Bool
    /// `RATELIMIT_DEFAULT`, checked at start-up.
    public var rateLimitDefault: String
    /// `RATELIMIT_FAIL_OPEN`: when the limit storage fails, let requests through (true) or answer 503.
    public var rateLimitFailOpen: Bool
    /// `RATELIMIT_STRATEGY`: fixed-window, moving-window or sliding-window-counter.
    public var rateLimitStrategy: RateLimitStrategy
    /// `CACHE_TYPE`: SimpleCache or NullCache.
    public var cacheType: String
    /// `CACHE_DEFAULT_TIMEOUT`, seconds.
    public var cacheDefaultTimeout: Int
    /// `CORS_ORIGINS`: comma-separated origins (`*` wildcards allowed); none means no CORS headers.
    public var corsOrigins: [String]
    /// `JOBS_CONCURRENCY`: background workers inside `App serve` (0 = none; run `App worker`).
    public var jobsConcurrency: Int
    /// `JOBS_RESULT_EXPIRES`: seconds a finished job's result stays readable (Celery's `result_expires`).
    public var jobsResultExpires: Int
    /// `JOBS_VISIBILITY_TIMEOUT`: seconds before a job whose worker vanished runs again (running jobs renew it).
    public var jobsVisibilityTimeout: Int

    /// Reads `DATABASE_URL`, `JWT_SECRET_KEY`, `JWT_ACCESS_TOKEN_EXPIRES`, `JWT_REFRESH_TOKEN_EXPIRES`;
    /// a bad value throws `ConfigError` naming the variable.
    public static func load(_ config: AppConfig) throws -> AppSettings {
        let values = config.values
        let defaultURL = config.environment == .testing ? "sqlite:///:memory:" : DatabaseLocation.developmentDefault
        let database = try DatabaseLocation(url: values["DATABASE_URL"] ?? defaultURL)
        let secret = values["JWT_SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if config.environment == .production, secret == nil {
            throw ConfigError(variable: "JWT_SECRET_KEY", reason: "must be set in production")
        }
        if let secret, secret.utf8.count < 16 {
            throw ConfigError(variable: "JWT_SECRET_KEY", reason: "must be at least 16 characters")
        }
        func seconds(_ name: String, _ fallback: Int) throws -> Int {
            guard let text = values[name] else { return fallback }
            guard let value = Int(text), value > 0 else {
                throw ConfigError(variable: name, reason: "must be a positive number of seconds (got '\(text)')")
            }
            return value
        }
        func flag(_ name: String, _ fallback: Bool) throws -> Bool {
            guard let text = values[name] else { return fallback }
            guard let value = Bool(parameter: text) else {
                throw ConfigError(variable: name, reason: "must be true or false (got '\(text)')")
            }
            return value
        }
        let rateLimitDefault = values["RATELIMIT_DEFAULT"] ?? "200 per day;50 per hour"
        do {
            _ = try RateLimitItem.parse(rateLimitDefault)
        } catch {
            throw ConfigError(variable: "RATELIMIT_DEFAULT", reason: "is not a limit string: \(error)")
        }
        let storage = values["RATELIMIT_STORAGE_URI"] ?? "memory://"
        guard storage == "memory://" else {
            throw ConfigError(
                variable: "RATELIMIT_STORAGE_URI", reason: "supports memory:// only for now (got '\(storage)'); Redis comes later")
        }
        let strategyName = values["RATELIMIT_STRATEGY"] ?? RateLimitStrategy.fixedWindow.rawValue
        guard let strategy = RateLimitStrategy(rawValue: strategyName) else {
            throw ConfigError(
                variable: "RATELIMIT_STRATEGY",
                reason: "must be one of \(RateLimitStrategy.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(strategyName)')")
        }
        let cacheType = values["CACHE_TYPE"] ?? "SimpleCache"
        guard ["SimpleCache", "NullCache"].contains(cacheType) else {
            throw ConfigError(variable: "CACHE_TYPE", reason: "must be SimpleCache or NullCache (got '\(cacheType)'); RedisCache comes later")
        }
        let concurrencyText = values["JOBS_CONCURRENCY"] ?? "1"
        guard let jobsConcurrency = Int(concurrencyText), (0...64).contains(jobsConcurrency) else {
            throw ConfigError(variable: "JOBS_CONCURRENCY", reason: "must be a whole number from 0 to 64 (got '\(concurrencyText)')")
        }
        let corsOrigins = (values["CORS_ORIGINS"] ?? "").split(separator: ",").map(\.trimmedSpaces).filter { !$0.isEmpty }
        return AppSettings(
            database: database, jwtSecret: secret ?? developmentSecret, usesDevelopmentSecret: secret == nil,
            accessTokenLifetime: try seconds("JWT_ACCESS_TOKEN_EXPIRES", 3600),
            refreshTokenLifetime: try seconds("JWT_REFRESH_TOKEN_EXPIRES", 604_800),
            rateLimitEnabled: try flag("RATELIMIT_ENABLED", config.environment != .testing),
            rateLimitDefault: rateLimitDefault, rateLimitFailOpen: try flag("RATELIMIT_FAIL_OPEN", true),
            rateLimitStrategy: strategy, cacheType: cacheType,
            cacheDefaultTimeout: try seconds("CACHE_DEFAULT_TIMEOUT", 300), corsOrigins: corsOrigins,
            jobsConcurrency: jobsConcurrency, jobsResultExpires: try seconds("JOBS_RESULT_EXPIRES", 3600),
            jobsVisibilityTimeout: try seconds("JOBS_VISIBILITY_TIMEOUT", 60))
    }
}
