import Logging
import ServiceLifecycle
import Synchronization
import Vial
import VialMiddleware

/// What a plugin's `setUp` works with: the app being assembled, its configuration, the shared
/// database, clock, cache and rate limiter, and the values earlier plugins provided.
public struct PluginContext: Sendable {
    /// The plugin being set up (named in errors).
    public let plugin: String
    /// Register blueprints, middleware and hooks here.
    public let app: App
    public let config: AppConfig
    public let database: AppDatabase
    /// The one clock for tokens, limits, jobs and timestamps.
    public let clock: any WallClock
    public let cache: Cache
    public let limiter: RateLimiter
    /// Publish/subscribe for live events (`BROKER_URL`): in-process, or Redis between instances.
    public let broker: any MessageBroker
    /// Add what must answer before this instance takes traffic (a server the plugin talks to).
    public let readiness: ReadinessChecks
    let shared: SharedState

    /// Typed reads of the app's settings; errors name the variable.
    public var settings: SettingsReader { config.settings }

    /// Makes `value` available to plugins set up later (those that list this one in `dependencies`).
    public func provide<Key: StorageKey>(_ key: Key.Type, _ value: Key.Value) {
        shared.state.withLock { $0.exports[key] = value }
    }

    /// A value an earlier plugin provided; throws `PluginError.missingValue` naming this plugin.
    public func require<Key: StorageKey>(_ key: Key.Type) throws -> Key.Value {
        guard let value = shared.state.withLock({ $0.exports[key] }) else {
            throw PluginError.missingValue(plugin: plugin, value: String(describing: Key.Value.self))
        }
        return value
    }

    /// A value an earlier plugin provided, if any.
    public func optional<Key: StorageKey>(_ key: Key.Type) -> Key.Value? {
        shared.state.withLock { $0.exports[key] }
    }

    /// A service that runs next to the HTTP server in `serve` (workers, schedulers); it stops after the server.
    public func addService(_ service: any Service) {
        shared.state.withLock { $0.services.append(service) }
    }

    /// A start-up line `serve` prints (` * Background jobs: …`).
    public func announce(_ line: String) {
        shared.state.withLock { $0.announcements.append(line) }
    }

    final class SharedState: Sendable {
        struct State: Sendable {
            var exports = Storage()
            var services: [any Service] = []
            var announcements: [String] = []
        }
        let state = Mutex(State())
    }
}

/// An application put together: the `App` with every plugin's routes, and what the plugins made.
public struct Assembly: Sendable {
    public let app: App
    public let config: AppConfig
    public let database: AppDatabase
    public let clock: any WallClock
    public let cache: Cache
    public let limiter: RateLimiter
    /// Publish/subscribe for live events (`BROKER_URL`).
    public let broker: any MessageBroker
    /// What `GET /health/ready` checks.
    public let readiness: ReadinessChecks
    /// The installed plugins, in dependency order.
    public let plugins: [any Plugin]
    /// Every plugin's migrations.
    public let migrator: Migrator
    /// Services `serve` runs next to the server.
    public let services: [any Service]
    /// Lines `serve` prints at start-up.
    public let announcements: [String]
    let exports: Storage

    /// A value a plugin provided.
    public subscript<Key: StorageKey>(key: Key.Type) -> Key.Value? { exports[key] }

    /// A value a plugin provided; a missing one throws, naming what is missing.
    public func require<Key: StorageKey>(_ key: Key.Type) throws -> Key.Value {
        guard let value = exports[key] else {
            throw PluginError.missingValue(plugin: app.name, value: String(describing: Key.Value.self))
        }
        return value
    }
}
