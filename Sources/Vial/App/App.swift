import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// A Vial application: routes, blueprints, middleware, hooks and error handlers,
/// collected here and turned into an immutable responder by `build()`.
///
/// ```swift
/// let app = App("hello")
/// app.get("/") { _ in "Hello, World! This is my first Flask API." }
/// app.get("/api/hello") { _ in
///     ["message": "Hello from the API!", "version": "1.0", "status": "success"] as JSON
/// }
/// try await app.run()          // * Running on http://127.0.0.1:5000
/// ```
/// Makes a URL `urlFor` could not build, or returns nil to leave the error as it is.
public typealias URLBuildErrorHandler =
    @Sendable (RoutingError, _ endpoint: String, _ parameters: [String: any CustomStringConvertible & Sendable]) throws -> String?

public final class App: RouteRegistering {
    struct State: Sendable {
        var converters: [String: ConverterFactory] = BuiltinConverters.all
        /// Who registered each converter (`file:line`, or "Vial" for the built-in ones).
        var converterRegistrants: [String: String] = BuiltinConverters.all.mapValues { _ in "Vial (built in)" }
        /// Registrations of a name already taken, without `replacing: true`: `build()` refuses them.
        var converterClashes: [String] = []
        var registrations: [Blueprint.Registration] = []
        var services: [any Service] = []
        var redactedQueryParameters: Set<String> = AccessLog.defaultRedactedParameters
        var compression: CompressionSettings?
        /// The URL map of the last `build()`, for `urlFor` outside a request.
        var builtContext: RequestContext?
        var urlBuildErrorHandlers: [URLBuildErrorHandler] = []
        /// Set by `build()`: registering afterwards is a programming error.
        var isBuilt = false
    }

    /// The app's name, shown at start-up.
    public let name: String
    /// The settings the app was made with.
    public let config: AppConfig
    /// The logger for access lines, 500s and start-up.
    public let logger: Logger
    /// App-level routes and layer; endpoints here have no blueprint prefix.
    let root: Blueprint
    private let state = NIOLockedValueBox(State())

    /// An app named `name` with `config`.
    public init(_ name: String = "app", config: AppConfig = AppConfig(), logger: Logger? = nil) {
        self.name = name
        self.config = config
        self.logger = logger ?? Logger(label: "vial.\(name)")
        self.root = Blueprint(appNamed: name)
    }

    /// Registers a blueprint, optionally under another prefix or name (to mount it twice).
    /// Registering after the app was built stops the program: the blueprint would never be served.
    /// `urlDefaults` are defaults for its routes under this mounting (Flask's
    /// `register_blueprint(url_defaults=)`): mount a blueprint as `de` with `["lang": "de"]` and as
    /// `en` with `["lang": "en"]`, and each route reads `lang`.
    public func register(
        _ blueprint: Blueprint, urlPrefix: String? = nil, name: String? = nil, subdomain: String? = nil,
        urlDefaults: [String: any CustomStringConvertible & Sendable] = [:]
    ) {
        if let name { Blueprint.checkName(name, of: "Blueprint") }
        state.withLockedValue {
            precondition(
                !$0.isBuilt,
                "blueprint '\(blueprint.name)' was registered after app '\(self.name)' was built; register blueprints before the app is built or served")
            $0.registrations.append(
                Blueprint.Registration(
                    blueprint: blueprint, urlPrefix: urlPrefix, name: name, urlDefaults: RouteOptions(defaults: urlDefaults).defaults,
                    subdomain: subdomain))
        }
    }

    /// The route options every route takes when neither it nor its blueprints set one — Werkzeug's
    /// `Map` settings: `app.routeOptions.strictSlashes = false` is Flask's
    /// `app.url_map.strict_slashes = False`. An unset `provideAutomaticOptions` follows
    /// `PROVIDE_AUTOMATIC_OPTIONS`.
    public var routeOptions: RouteOptions {
        get { root.options }
        set { root.options = newValue }
    }

    /// Adds services that run as long as the server does (`run()` and `withLiveServer`), such
    /// as background job workers; at shutdown the server stops first, then these, last added first.
    /// Hummingbird's `addServices`.
    public func addServices(_ services: any Service...) {
        state.withLockedValue { $0.services.append(contentsOf: services) }
    }

    /// The services added with `addServices`, in the order added.
    public var services: [any Service] { state.withLockedValue { $0.services } }

    /// Adds a path converter usable as `<name:…>` or `<name(args):…>` in rules. A name that is
    /// taken (a built-in one, or one another plugin registered) makes `build()` fail naming both
    /// registrants, unless `replacing` says the replacement is meant.
    public func addConverter(
        _ name: String, replacing: Bool = false, _ factory: @escaping ConverterFactory,
        fileID: String = #fileID, line: Int = #line
    ) {
        let registrant = "\(fileID):\(line)"
        state.withLockedValue { state in
            if let earlier = state.converterRegistrants[name], !replacing {
                state.converterClashes.append(
                    "converter '\(name)' is registered by \(earlier) and again by \(registrant); "
                        + "pass replacing: true to the second to replace the first")
                return
            }
            state.converters[name] = factory
            state.converterRegistrants[name] = registrant
        }
    }

    /// Compresses every answer of the app as `compress(settings)` would (Flask-Compress's
    /// `Compress(app)`), applied last, outside all middleware, without a middleware's hop: the
    /// way to compress a whole app. `compress()` is for a blueprint or a route.
    public func compressResponses(_ settings: CompressionSettings = CompressionSettings()) {
        state.withLockedValue { $0.compression = settings }
    }

    /// Has the access log show `name`'s value in a query string as `[redacted]` (a token an
    /// `EventSource` must send in the URL). `jwt`, `token`, `access_token`, `refresh_token`,
    /// `api_key`, `password` and `secret` always are.
    public func redactQueryParameter(_ name: String) {
        state.withLockedValue { _ = $0.redactedQueryParameters.insert(name) }
    }

    var snapshot: State { state.withLockedValue { $0 } }

    /// Adds a handler for URLs that cannot be built (Flask's `url_build_error_handlers`): given
    /// the error, the endpoint and the parameters, it returns a URL (an endpoint served by another
    /// app, say) or nil to leave the error as it is. Handlers are asked in the order added.
    public func urlBuildErrorHandler(_ handler: @escaping URLBuildErrorHandler) {
        state.withLockedValue { $0.urlBuildErrorHandlers.append(handler) }
    }

    /// Keeps the URL map `build()` made, for `urlFor` outside a request.
    func remember(_ context: RequestContext) { state.withLockedValue { $0.builtContext = context } }

    /// Marks the app and every blueprint in it as built: adding to them now would never be served.
    func markBuilt() {
        let registrations = state.withLockedValue { state in
            state.isBuilt = true
            return state.registrations
        }
        root.markBuilt()
        for registration in registrations { registration.blueprint.markBuilt() }
    }

    /// Builds the URL of `endpoint` outside a request — in a job, an email, a CLI command — as
    /// Flask's `url_for` does in an app context: the same rules as `Request.urlFor`, and an
    /// `external` URL from `SERVER_NAME` and `PREFERRED_URL_SCHEME` (without `SERVER_NAME` there
    /// is no host to name, and it throws). Before the app is built it reads the routes as they
    /// stand, and leaves the app open to more.
    public func urlFor(
        _ endpoint: String, _ parameters: [String: any CustomStringConvertible & Sendable] = [:],
        external: Bool = false, anchor: String? = nil, scheme: String? = nil, method: HTTPMethod? = nil
    ) throws -> String {
        // Before the app is built, the routes as they stand; the app stays open to more.
        let context = try state.withLockedValue { $0.builtContext } ?? compile().context
        let name = endpoint.hasPrefix(".") ? String(endpoint.dropFirst()) : endpoint
        return try context.url(
            for: name, parameters, external: external, anchor: anchor, scheme: scheme, method: method, request: nil,
            base: try {
                guard let host = config.serverName else {
                    throw RoutingError.urlBuild("an external URL outside a request needs SERVER_NAME (AppConfig.serverName)")
                }
                return "\(config.preferredURLScheme)://\(host)"
            }())
    }

    public func addRoute(
        _ rules: [String], methods: [HTTPMethod], name: String?, options: RouteOptions, docs: RouteDocs,
        middleware: [any Middleware], handler: @escaping Handler
    ) {
        root.addRoute(rules, methods: methods, name: name, options: options, docs: docs, middleware: middleware, handler: handler)
    }

    public func use(_ middleware: [any Middleware]) { root.use(middleware) }
    public func before(_ hook: @escaping BeforeHook) { root.before(hook) }
    public func after(_ hook: @escaping AfterHook) { root.after(hook) }
    public func urlValuePreprocessor(_ preprocessor: @escaping URLValuePreprocessor) { root.urlValuePreprocessor(preprocessor) }
    public func urlDefaults(_ hook: @escaping URLDefaultsHook) { root.urlDefaults(hook) }
    public func teardown(_ hook: @escaping TeardownHook) { root.teardown(hook) }
    public func errorHandler(_ status: HTTPResponseStatus, _ handler: @escaping ErrorHandler) {
        root.errorHandler(status, handler)
    }
    public func errorHandler<E>(
        for type: E.Type, _ handler: @escaping @Sendable (Request, E) async throws -> Response
    ) {
        root.errorHandler(for: type, handler)
    }
}
