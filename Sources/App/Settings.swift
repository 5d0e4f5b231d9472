import Vial
import VialBlueprints

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
        return AppSettings(
            database: database, jwtSecret: secret ?? developmentSecret, usesDevelopmentSecret: secret == nil,
            accessTokenLifetime: try seconds("JWT_ACCESS_TOKEN_EXPIRES", 3600),
            refreshTokenLifetime: try seconds("JWT_REFRESH_TOKEN_EXPIRES", 604_800))
    }
}
