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
    }

    struct State: Sendable {
        var name: String
        var urlPrefix: String?
        var routes: [RouteDefinition] = []
        var layer = Layer()
        var children: [Registration] = []
    }

    private let state: NIOLockedValueBox<State>

    /// A blueprint named `name` (endpoints become `name.route`), optionally with its own URL prefix.
    public init(_ name: String, urlPrefix: String? = nil) {
        precondition(!name.contains("."), "Blueprint name '\(name)' may not contain a dot")
        state = NIOLockedValueBox(State(name: name, urlPrefix: urlPrefix))
    }

    /// The blueprint's name.
    public var name: String { state.withLockedValue { $0.name } }

    /// The prefix set at creation, if any.
    public var urlPrefix: String? { state.withLockedValue { $0.urlPrefix } }

    var snapshot: State { state.withLockedValue { $0 } }

    /// Nests `child` inside this blueprint: its endpoints become `self.child.route`.
    public func register(_ child: Blueprint, urlPrefix: String? = nil, name: String? = nil) {
        precondition(child !== self, "A blueprint cannot be registered on itself")
        state.withLockedValue { $0.children.append(Registration(blueprint: child, urlPrefix: urlPrefix, name: name)) }
    }

    public func addRoute(
        _ rule: String, methods: [HTTPMethod], name: String?, docs: RouteDocs, middleware: [any Middleware],
        handler: @escaping Handler
    ) {
        let definition = RouteDefinition(
            rule: rule, methods: methods, name: name ?? defaultEndpointName(methods: methods, rule: rule),
            middleware: middleware, handler: handler, docs: docs)
        state.withLockedValue { $0.routes.append(definition) }
    }

    public func use(_ middleware: [any Middleware]) {
        state.withLockedValue { $0.layer.middleware.append(contentsOf: middleware) }
    }

    public func before(_ hook: @escaping BeforeHook) {
        state.withLockedValue { $0.layer.before.append(hook) }
    }

    public func after(_ hook: @escaping AfterHook) {
        state.withLockedValue { $0.layer.after.append(hook) }
    }

    public func teardown(_ hook: @escaping TeardownHook) {
        state.withLockedValue { $0.layer.teardown.append(hook) }
    }

    public func errorHandler(_ status: HTTPResponseStatus, _ handler: @escaping ErrorHandler) {
        state.withLockedValue { $0.layer.statusHandlers[status.code] = handler }
    }

    public func errorHandler<E: Error>(
        for type: E.Type, _ handler: @escaping @Sendable (Request, E) async throws -> Response
    ) {
        let typed = TypedErrorHandler(typeName: String(describing: type)) { request, error in
            guard let error = error as? E else { return nil }
            return try await handler(request, error)
        }
        state.withLockedValue { $0.layer.typeHandlers.append(typed) }
    }
}
