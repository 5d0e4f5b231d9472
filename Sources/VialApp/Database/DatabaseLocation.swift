import Foundation
import Vial

/// Where the database lives, read from `DATABASE_URL` in SQLAlchemy's form:
/// `sqlite:///instance/tasks_dev.db` (relative to the working directory),
/// `sqlite:////abs/path.db` (absolute), `sqlite:///:memory:` (in memory), or
/// `postgresql://user:password@host:port/database` (`postgres://` and `postgresql+driver://`
/// are read the same; `?sslmode=require` asks for TLS).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case memory
    case file(String)
    case postgres(PostgresEndpoint)

    /// The development default, `sqlite:///instance/tasks_dev.db`.
    public static let developmentDefault = "sqlite:///instance/tasks_dev.db"

    /// Parses a `DATABASE_URL`; throws `ConfigError` naming the variable.
    public init(url: String) throws {
        let prefix = "sqlite:///"
        if url.hasPrefix("postgres") {
            self = .postgres(try PostgresEndpoint(url: url))
            return
        }
        guard url.hasPrefix(prefix) else {
            throw ConfigError(
                variable: "DATABASE_URL",
                reason: "must be sqlite:///path.db, sqlite:///:memory: or postgresql://user:password@host:port/database")
        }
        let path = String(url.dropFirst(prefix.count))
        guard !path.isEmpty else { throw ConfigError(variable: "DATABASE_URL", reason: "has no database path") }
        self = path == ":memory:" ? .memory : .file(path)
    }

    /// The path with relative paths resolved against the working directory (SQLite files only).
    public var absolutePath: String? {
        guard case .file(let path) = self else { return nil }
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The app's instance folder, where it keeps what is not in the database (the generated JWT
    /// secret, attachments, uploads in progress): the SQLite file's folder, or `instance/` under
    /// the working directory on PostgreSQL; nil for an in-memory database.
    public var instanceFolder: String? {
        switch self {
        case .memory: return nil
        case .file: return absolutePath.map { ($0 as NSString).deletingLastPathComponent }
        case .postgres: return FileManager.default.currentDirectoryPath + "/instance"
        }
    }

    /// For start-up lines and errors: never the password.
    public var description: String {
        switch self {
        case .memory: return "sqlite:///:memory:"
        case .file(let path): return "sqlite:///\(path)"
        case .postgres(let endpoint): return endpoint.description
        }
    }
}

/// A PostgreSQL server and database, from a `postgresql://` URL.
public struct PostgresEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// `sslmode=require` (or `verify-full`): connect with TLS or not at all. Otherwise plain TCP,
    /// as on loopback or a private network.
    public var requireTLS: Bool

    /// Parses `postgresql://user[:password]@host[:port]/database[?sslmode=…]`; throws `ConfigError`
    /// naming `DATABASE_URL` (the message never repeats the password).
    public init(url: String) throws {
        func refuse(_ reason: String) -> ConfigError { ConfigError(variable: "DATABASE_URL", reason: reason) }
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql" || scheme.hasPrefix("postgresql+")
        else { throw refuse("is not a postgresql://user:password@host:port/database URL") }
        guard let host = components.host, !host.isEmpty else { throw refuse("names no PostgreSQL host") }
        guard let user = components.user, !user.isEmpty else { throw refuse("names no PostgreSQL user") }
        let database = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard !database.isEmpty else { throw refuse("names no PostgreSQL database") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        switch sslmode {
        case "disable", "allow", "prefer": requireTLS = false
        case "require", "verify-ca", "verify-full": requireTLS = true
        default: throw refuse("has an unknown sslmode '\(sslmode)' (disable, prefer, require)")
        }
    }

    public init(host: String, port: Int, username: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.requireTLS = false
    }

    /// The URL with the password masked.
    public var description: String {
        "postgresql://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }
}
