import Foundation
import Vial

/// Where the database lives, read from `DATABASE_URL` in SQLAlchemy's form:
/// `sqlite:///instance/tasks_dev.db` (relative to the working directory),
/// `sqlite:////abs/path.db` (absolute), `sqlite:///:memory:` (in memory).
public enum DatabaseLocation: Sendable, Equatable {
    case memory
    case file(String)

    /// The development default, `sqlite:///instance/tasks_dev.db`.
    public static let developmentDefault = "sqlite:///instance/tasks_dev.db"

    /// Parses a `DATABASE_URL`; throws `ConfigError` naming the variable.
    public init(url: String) throws {
        let prefix = "sqlite:///"
        guard url.hasPrefix(prefix) else {
            throw ConfigError(
                variable: "DATABASE_URL",
                reason: "must be a sqlite URL such as sqlite:///instance/tasks_dev.db (other databases are not supported yet)")
        }
        let path = String(url.dropFirst(prefix.count))
        guard !path.isEmpty else { throw ConfigError(variable: "DATABASE_URL", reason: "has no database path") }
        self = path == ":memory:" ? .memory : .file(path)
    }

    /// The path with relative paths resolved against the working directory.
    public var absolutePath: String? {
        guard case .file(let path) = self else { return nil }
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }
}
