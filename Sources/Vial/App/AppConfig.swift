#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings the framework itself reads. Apps add their own on top (see `values`).
public struct AppConfig: Sendable {
    /// `APP_ENV`.
    public enum Environment: String, Sendable, CaseIterable {
        case development, testing, production
    }

    /// The environment; production hides error internals and turns on stricter defaults.
    public var environment: Environment = .development
    /// Interface to listen on (`HOST`).
    public var host = "127.0.0.1"
    /// Port to listen on (`PORT`); 0 picks a free one.
    public var port = 5000
    /// Largest request body accepted, in bytes (`MAX_CONTENT_LENGTH`); larger gets 413.
    public var maxContentLength = 1 << 20
    /// Proxy addresses whose `X-Forwarded-*` headers are believed (`TRUSTED_PROXIES`).
    public var trustedProxies: Set<String> = []
    /// Open connections served at once (`MAX_CONNECTIONS`); past it new ones are closed at once
    /// and a warning is logged. The default leaves room under the process's open-files limit.
    public var maxConnections = AppConfig.defaultMaxConnections
    /// Open connections one client address may hold at once (`MAX_CONNECTIONS_PER_IP`); past it
    /// its new ones are closed at once, so one client cannot take every slot. Off (nil) by
    /// default; `TRUSTED_PROXIES` and the Unix socket are exempt (a proxy carries everyone).
    public var maxConnectionsPerAddress: Int?
    /// Seconds an idle keep-alive connection stays open.
    public var idleTimeout = 60
    /// Seconds a client has to send a whole request once it has started (slow-header defence).
    public var requestReadTimeout = 30
    /// Seconds in-flight requests get to finish on shutdown.
    public var shutdownTimeout = 30
    /// Seconds a streamed response (SSE, a download) waits for a client that takes no bytes
    /// before dropping it (`STREAM_SEND_TIMEOUT`): a client that never reads cannot hold the
    /// stream, or more than the channel's buffer of memory, for long.
    public var streamSendTimeout = 30
    /// Bytes a second below which a streamed request body (`streamedBody(maxSize:)`) ends with
    /// 408, measured over 5 s while the handler waits for it (`BODY_MIN_RATE`; 0: no minimum).
    public var bodyMinRate = 1_024
    /// The bounds of WebSockets (`WEBSOCKET_*`; see `WebSocketSettings`).
    public var webSocket = WebSocketSettings()
    /// Whether each request is logged at `info`.
    public var accessLog = true
    /// Event-loop threads; `nil` means one per core.
    public var eventLoopThreads: Int?
    /// Host (and port) for external URLs (`SERVER_NAME`): when set, absolute URLs such as a 201's
    /// `Location` always use it.
    public var serverName: String?
    /// The scheme of external URLs built outside a request (`PREFERRED_URL_SCHEME`, Flask's):
    /// `http` or `https`. Inside a request the request's own scheme is used.
    public var preferredURLScheme = "http"
    /// Host names requests may carry (`TRUSTED_HOSTS`, Werkzeug's): `api.example.com`, or
    /// `.example.com` for it and its subdomains. When set, any other `Host` gets 400.
    public var trustedHosts: [String] = []
    /// Whether routes answer `OPTIONS` themselves when they define no `OPTIONS` handler
    /// (`PROVIDE_AUTOMATIC_OPTIONS`, Flask's; on by default). A route's or blueprint's
    /// `RouteOptions.provideAutomaticOptions` overrides it.
    public var provideAutomaticOptions = true
    /// Whether an error no handler takes is rethrown to the test client instead of becoming a
    /// rendered 500 (`PROPAGATE_EXCEPTIONS`, Flask's), so a failing test shows the real error.
    /// `nil` (the default) means: in the `testing` environment. The server always answers 500.
    public var propagateExceptions: Bool?
    /// Whether `HTTPError`s skip the error handlers and are rethrown to the test client too
    /// (`TRAP_HTTP_EXCEPTIONS`, Flask's; off by default).
    public var trapHTTPExceptions = false
    /// How JSON answers are written (`JSONIFY_PRETTYPRINT_REGULAR`, `JSON_AS_ASCII`,
    /// `JSONIFY_MIMETYPE`; Flask's JSON provider settings).
    public var json = JSONSettings()
    /// Everything else, by variable name, for the app's own settings.
    public var values: [String: String] = [:]

    /// The defaults for `environment`.
    public init(environment: Environment = .development) {
        self.environment = environment
    }
}

extension AppConfig {
    /// What the test client is handed instead of a rendered answer.
    var errorPropagation: ErrorPropagation {
        ErrorPropagation(
            unhandled: propagateExceptions ?? (environment == .testing), httpErrors: trapHTTPExceptions)
    }

    /// The soft open-files limit less room for the database, logs and listeners (at least 64).
    public static var defaultMaxConnections: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 10_000 }
        return max(64, Int(min(limit.rlim_cur, 1_000_000)) - 128)
    }
}

/// A configuration value that cannot be used, named by its variable.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The variable, e.g. `PORT`.
    public var variable: String
    /// What is wrong with it.
    public var reason: String

    public init(variable: String, reason: String) {
        self.variable = variable
        self.reason = reason
    }

    public var description: String { "Invalid configuration: \(variable) \(reason)" }
}

extension AppConfig {
    /// Reads the framework's variables (`APP_ENV`, `HOST`, `PORT`, `MAX_CONTENT_LENGTH`,
    /// `TRUSTED_PROXIES`, `SERVER_NAME`) from `environment`; every other variable lands in `values`.
    public static func load(from environment: [String: String]) throws -> AppConfig {
        let envName = environment["APP_ENV"] ?? "development"
        guard let env = Environment(rawValue: envName.lowercased()) else {
            throw ConfigError(variable: "APP_ENV", reason: "must be one of development, testing, production (got '\(envName)')")
        }
        var config = AppConfig(environment: env)
        config.values = environment
        if let host = environment["HOST"] {
            guard !host.isEmpty else { throw ConfigError(variable: "HOST", reason: "must not be empty") }
            config.host = host
        }
        if let port = environment["PORT"] {
            guard let value = Int(port), (0...65535).contains(value) else {
                throw ConfigError(variable: "PORT", reason: "must be an integer from 0 to 65535 (got '\(port)')")
            }
            config.port = value
        }
        if let size = environment["MAX_CONTENT_LENGTH"] {
            guard let value = Int(size), value > 0 else {
                throw ConfigError(variable: "MAX_CONTENT_LENGTH", reason: "must be a positive number of bytes (got '\(size)')")
            }
            config.maxContentLength = value
        }
        if let proxies = environment["TRUSTED_PROXIES"] {
            config.trustedProxies = Set(
                proxies.split(separator: ",").map { $0.trimmedSpaces }.filter { !$0.isEmpty })
        }
        if let text = environment["MAX_CONNECTIONS"] {
            guard let value = Int(text), value > 0 else {
                throw ConfigError(variable: "MAX_CONNECTIONS", reason: "must be a positive number of connections (got '\(text)')")
            }
            config.maxConnections = value
        }
        if let text = environment["MAX_CONNECTIONS_PER_IP"], !text.isEmpty {
            guard let value = Int(text), value > 0 else {
                throw ConfigError(variable: "MAX_CONNECTIONS_PER_IP", reason: "must be a positive number of connections (got '\(text)')")
            }
            config.maxConnectionsPerAddress = value
        }
        if let text = environment["STREAM_SEND_TIMEOUT"], !text.isEmpty {
            guard let value = Int(text), value > 0 else {
                throw ConfigError(variable: "STREAM_SEND_TIMEOUT", reason: "must be a positive number of seconds (got '\(text)')")
            }
            config.streamSendTimeout = value
        }
        if let text = environment["BODY_MIN_RATE"], !text.isEmpty {
            guard let value = Int(text), value >= 0 else {
                throw ConfigError(variable: "BODY_MIN_RATE", reason: "must be a number of bytes per second, 0 or more (got '\(text)')")
            }
            config.bodyMinRate = value
        }
        config.webSocket = try WebSocketSettings.load(config.settings, sendTimeout: config.streamSendTimeout)
        config.serverName = environment["SERVER_NAME"]
        if let scheme = environment["PREFERRED_URL_SCHEME"], !scheme.isEmpty {
            guard ["http", "https"].contains(scheme) else {
                throw ConfigError(variable: "PREFERRED_URL_SCHEME", reason: "must be http or https (got '\(scheme)')")
            }
            config.preferredURLScheme = scheme
        }
        config.trustedHosts = config.settings.list("TRUSTED_HOSTS").map { $0.lowercased() }
        config.provideAutomaticOptions = try config.settings.flag("PROVIDE_AUTOMATIC_OPTIONS", default: true)
        if let text = environment["PROPAGATE_EXCEPTIONS"], !text.isEmpty {
            config.propagateExceptions = try config.settings.flag("PROPAGATE_EXCEPTIONS", default: false)
        }
        config.trapHTTPExceptions = try config.settings.flag("TRAP_HTTP_EXCEPTIONS", default: false)
        config.json.compact = !(try config.settings.flag("JSONIFY_PRETTYPRINT_REGULAR", default: false))
        config.json.ensureASCII = try config.settings.flag("JSON_AS_ASCII", default: false)
        if let mimetype = environment["JSONIFY_MIMETYPE"], !mimetype.isEmpty {
            guard mimetype.contains("/"), !mimetype.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw ConfigError(variable: "JSONIFY_MIMETYPE", reason: "must be a media type such as application/json (got '\(mimetype)')")
            }
            config.json.mimetype = mimetype
        }
        if try !config.settings.flag("JSON_SORT_KEYS", default: true) {
            throw ConfigError(
                variable: "JSON_SORT_KEYS",
                reason: "cannot be false: Vial always sorts keys, so a body's bytes are the same on every request")
        }
        return config
    }
}

