import NIOConcurrencyHelpers

/// A group of routes with a name, an optional URL prefix, and its own middleware,
/// hooks and error handlers — Flask's `Blueprint`, chi's sub-router.
///
/// ```swift
/// let tasks = Blueprint("tasks", urlPrefix: "/api/tasks")
/// tasks.use(jwtRequired())
/// tasks.get("/<int:task_id>", name: "get_task") { req in
///     let id: Int = try req.param("task_id")
///     return try .ok(try await store.find(id))
/// }
/// app.register(tasks)                                  // endpoints "tasks.get_task"
/// app.register(tasks, urlPrefix: "/v2/tasks", name: "tasks_v2")  // mounted twice
/// ```
///
/// A blueprint is a recipe: registering it records it, and `App.build()` turns
/// every registration into routes, so it can be mounted more than once.
public final class Blueprint: RouteRegistering {
    struct Registration: Sendable {
        var blueprint: Blueprint
        var urlPrefix: String?
        var name: String?
        /// Defaults this mounting gives the blueprint's routes (Flask's `register_blueprint(url_defaults=)`).
        var urlDefaults: [String: String] = [:]
        /// The subdomain of this mounting, in place of the blueprint's own.
        var subdomain: String?
    }

    struct State: Sendable {
        var name: String
        var urlPrefix: String?
        /// What this blueprint's routes (and nested blueprints') take when they leave an option unset.
        var options = RouteOptions()
        var routes: [RouteDefinition] = []
        var layer = Layer()
        var children: [Registration] = []
        /// Set once an app holding this blueprint is built: from then on, what is added here
        /// would never be served, so adding is a programming error (Flask's setup-method check).
        var isBuilt = false
    }

    private let state: NIOLockedValueBox<State>

    /// A blueprint named `name` (endpoints become `name.route`), optionally with its own URL
    /// prefix, and `options` for its routes that leave them unset (`strictSlashes: false` lets
    /// `/api/tasks` and `/api/tasks/` both answer). An empty name, or one with a dot, stops the
    /// program here, as Flask refuses them. `urlDefaults` are values every route of it sees
    /// among its parameters (Flask's `url_defaults`; see `RouteOptions.defaults`).
    /// `subdomain` is the subdomain of `SERVER_NAME` its routes answer on (`RouteOptions.subdomain`).
    public init(
        _ name: String, urlPrefix: String? = nil, subdomain: String? = nil, options: RouteOptions = RouteOptions(),
        urlDefaults: [String: any CustomStringConvertible & Sendable] = [:]
    ) {
        Self.checkName(name, of: "Blueprint")
        state = NIOLockedValueBox(
            State(
                name: name, urlPrefix: urlPrefix,
                options: RouteOptions(defaults: urlDefaults, subdomain: subdomain).inheriting(options)))
    }

    /// The app's own routes: its name is the app's, which may be anything.
    init(appNamed name: String) {
        state = NIOLockedValueBox(State(name: name, urlPrefix: nil))
    }

    /// A blueprint's or endpoint's name must be a plain word: the dot joins names (`tasks.get_task`).
    static func checkName(_ name: String, of kind: String) {
        precondition(!name.isEmpty, "\(kind) name may not be empty")
        precondition(!name.contains("."), "\(kind) name '\(name)' may not contain a dot ('.' joins blueprint and endpoint names)")
    }

    /// Changes the blueprint's recipe, named `method` in the message should it be built already.
    private func change(_ method: String, _ body: (inout State) -> Void) {
        state.withLockedValue {
            checkNotBuilt($0, method)
            body(&$0)
        }
    }

    /// Stops the program when something is added after an app holding this blueprint was built
    /// (it would never be served), naming what and where, as Flask's setup-method check does.
    private func checkNotBuilt(_ state: State, _ method: String) {
        precondition(
            !state.isBuilt,
            "'\(method)' was called on blueprint '\(state.name)' after an app holding it was built; "
                + "add routes, middleware, hooks and handlers before the app is built or served")
    }

    /// Marks this blueprint and every blueprint nested in it as built.
    func markBuilt() {
        let children = state.withLockedValue { state in
            state.isBuilt = true
            return state.children.map(\.blueprint)
        }
        for child in children { child.markBuilt() }
    }

    /// The blueprint's name.
    public var name: String { state.withLockedValue { $0.name } }

    /// The route options its routes take when they leave one unset (the app's are `App.routeOptions`).
    public var options: RouteOptions {
        get { state.withLockedValue { $0.options } }
        set {
            change("options") { $0.options = newValue }
        }
    }

    /// The prefix set at creation, if any.
    public var urlPrefix: String? { state.withLockedValue { $0.urlPrefix } }

    var snapshot: State { state.withLockedValue { $0 } }

    /// Nests `child` inside this blueprint: its endpoints become `self.child.route`; `urlDefaults`
    /// are defaults for its routes under this mounting (they win over the blueprint's own).
    public func register(
        _ child: Blueprint, urlPrefix: String? = nil, name: String? = nil, subdomain: String? = nil,
        urlDefaults: [String: any CustomStringConvertible & Sendable] = [:]
    ) {
        precondition(child !== self, "A blueprint cannot be registered on itself")
        if let name { Self.checkName(name, of: "Blueprint") }
        change("register") {
            $0.children.append(
                Registration(
                    blueprint: child, urlPrefix: urlPrefix, name: name, urlDefaults: RouteOptions(defaults: urlDefaults).defaults,
                    subdomain: subdomain))
        }
    }

    public func addRoute(
        _ rules: [String], methods: [HTTPMethod], name: String?, options: RouteOptions, docs: RouteDocs,
        middleware: [any Middleware], handler: @escaping Handler
    ) {
        precondition(!rules.isEmpty, "A route needs at least one rule")
        if let name { Self.checkName(name, of: "Endpoint") }
        let definition = RouteDefinition(
            rules: rules, methods: methods, name: name ?? defaultEndpointName(methods: methods, rule: rules[0]),
            options: options, middleware: middleware, handler: handler, docs: docs)
        change("route '\(rules[0])'") { $0.routes.append(definition) }
    }

    public func use(_ middleware: [any Middleware]) {
        change("use") { $0.layer.middleware.append(contentsOf: middleware) }
    }

    public func before(_ hook: @escaping BeforeHook) {
        change("before") { $0.layer.before.append(hook) }
    }

    public func urlValuePreprocessor(_ preprocessor: @escaping URLValuePreprocessor) {
        change("urlValuePreprocessor") { $0.layer.urlValuePreprocessors.append(preprocessor) }
    }

    public func urlDefaults(_ hook: @escaping URLDefaultsHook) {
        change("urlDefaults") { $0.layer.urlDefaults.append(hook) }
    }

    public func after(_ hook: @escaping AfterHook) {
        change("after") { $0.layer.after.append(hook) }
    }

    public func teardown(_ hook: @escaping TeardownHook) {
        change("teardown") { $0.layer.teardown.append(hook) }
    }

    public func errorHandler(_ status: HTTPResponseStatus, _ handler: @escaping ErrorHandler) {
        change("errorHandler") { $0.layer.statusHandlers[status.code] = handler }
    }

    public func errorHandler<E>(
        for type: E.Type, _ handler: @escaping @Sendable (Request, E) async throws -> Response
    ) {
        let typed = TypedErrorHandler(for: type, handler)
        change("errorHandler") { $0.layer.typeHandlers.append(typed) }
    }
}
