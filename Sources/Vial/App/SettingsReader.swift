/// Typed reads of an app's settings (`AppConfig.values`: the environment and `.env`), each with
/// its default; a bad value throws a `ConfigError` naming the variable, so start-up stops with
/// one clear line. Plugins read their own settings through this at set-up.
///
/// ```swift
/// let settings = config.settings
/// let pageSize = try settings.integer("NOTES_PAGE_SIZE", default: 20, in: 1...100)
/// let lifetime = try settings.seconds("NOTES_ARCHIVE_AFTER", default: 86_400)
/// ```
public struct SettingsReader: Sendable {
    /// The environment the settings are read for (some defaults differ under testing).
    public let environment: AppConfig.Environment
    /// Every variable, by name.
    public let values: [String: String]

    public init(environment: AppConfig.Environment, values: [String: String]) {
        self.environment = environment
        self.values = values
    }

    /// The raw text of `name`, or nil when unset.
    public subscript(name: String) -> String? { values[name] }

    /// `name` as text, or `fallback` when unset.
    public func string(_ name: String, default fallback: String) -> String {
        values[name] ?? fallback
    }

    /// `name`, which must be one of `choices`.
    public func string(_ name: String, default fallback: String, oneOf choices: [String]) throws -> String {
        let text = values[name] ?? fallback
        guard choices.contains(text) else {
            throw ConfigError(variable: name, reason: "must be one of \(choices.joined(separator: ", ")) (got '\(text)')")
        }
        return text
    }

    /// A positive number of seconds.
    public func seconds(_ name: String, default fallback: Int) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), value > 0 else {
            throw ConfigError(variable: name, reason: "must be a positive number of seconds (got '\(text)')")
        }
        return value
    }

    /// A whole number within `range`.
    public func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigError(
                variable: name, reason: "must be a whole number from \(range.lowerBound) to \(range.upperBound) (got '\(text)')")
        }
        return value
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    public func flag(_ name: String, default fallback: Bool) throws -> Bool {
        guard let text = values[name] else { return fallback }
        guard let value = Bool(parameter: text) else {
            throw ConfigError(variable: name, reason: "must be true or false (got '\(text)')")
        }
        return value
    }

    /// A comma-separated list, blanks dropped.
    public func list(_ name: String) -> [String] {
        (values[name] ?? "").split(separator: ",").map(\.trimmedSpaces).filter { !$0.isEmpty }
    }

    /// A value parsed by `parse`; its error becomes the reason.
    public func parsed<T>(_ name: String, default fallback: String, _ parse: (String) throws -> T) throws -> T {
        let text = values[name] ?? fallback
        do {
            return try parse(text)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(variable: name, reason: "is not valid: \(error) (got '\(text)')")
        }
    }
}

extension AppConfig {
    /// Typed access to every variable the app was configured with.
    public var settings: SettingsReader { SettingsReader(environment: environment, values: values) }
}
