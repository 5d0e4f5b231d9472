/// What a route finally runs: a request in, a response out.
public typealias Handler = @Sendable (Request) async throws -> Response

/// A wrapper around the rest of the chain: it may change the request, answer without
/// calling `next` (short-circuit), or change the response `next` returns.
///
/// Middleware applies at three levels, outermost first: app (`app.use`), blueprint
/// (`blueprint.use`), route (the list before a route's closure).
///
/// ```swift
/// struct Timing: Middleware {
///     func handle(_ request: Request, next: Handler) async throws -> Response {
///         let start = ContinuousClock.now
///         var response = try await next(request)
///         response.headers.add(name: "X-Elapsed", value: "\(ContinuousClock.now - start)")
///         return response
///     }
/// }
/// app.get("/slow", Timing()) { _ in "done" }
/// ```
public protocol Middleware: Sendable {
    /// Handles `request`, usually by calling `next`.
    func handle(_ request: Request, next: Handler) async throws -> Response
    /// How the route listing shows this middleware (`jwt`, `limit(5/minute)`, `cached(60s)`).
    var name: String { get }
    /// Whether the route listing shows it at all; plumbing that only carries settings
    /// to other middleware (`JWTManager`) says no.
    var isListed: Bool { get }
    /// What this middleware adds to the generated documentation of the routes it wraps.
    var docs: MiddlewareDocs? { get }
    /// Called once per route by `App.build()`: the middleware to run for that route — `self`, or
    /// a copy that captured what it depends on from the middleware outside it (so nothing is
    /// looked up per request). Throw `route.missing(…)` when a dependency is not installed:
    /// the wiring mistake then fails the build, naming the route.
    func resolve(in route: MiddlewareResolution) throws -> any Middleware
}

extension Middleware {
    public var name: String { String(describing: Self.self) }
    public var isListed: Bool { true }
    public var docs: MiddlewareDocs? { nil }
    public func resolve(in route: MiddlewareResolution) throws -> any Middleware { self }
}

/// One route's middleware chain as `build()` resolves it, seen from one middleware.
public struct MiddlewareResolution: Sendable {
    /// The route's endpoint (`tasks.get_task`); nil for the app's 404/405 answers.
    public let endpoint: String?
    /// The route's blueprint (dotted when nested).
    public let blueprint: String?
    /// The full rule, for messages.
    public let rule: String?
    /// The middleware outside this one, outermost first (app, then blueprints, then the route's).
    public let outer: [any Middleware]
    /// The middleware inside this one, outermost first.
    public let inner: [any Middleware]
    /// The route's documentation (nil for the app's 404/405 answers).
    public var docs: RouteDocs?

    /// The query arguments the route declares in its docs (`RouteDocs.query`), by name.
    public var declaredQuery: [String] { docs?.query.map(\.name) ?? [] }

    /// Whether the route's docs say it answers with Server-Sent Events (a `text/event-stream` response).
    public var answersEventStream: Bool {
        docs?.responses.values.contains { if case .media("text/event-stream") = $0.body { true } else { false } } ?? false
    }

    /// The nearest middleware of type `M` outside this one.
    public func outer<M: Middleware>(_ type: M.Type) -> M? {
        outer.reversed().lazy.compactMap { $0 as? M }.first
    }

    /// The error for a dependency that is not installed: `what` is needed, `fix` says how to install it.
    public func missing(_ what: String, fix: String) -> RoutingError {
        let route = endpoint.map { "route '\($0)'\(rule.map { " (\($0))" } ?? "")" } ?? "the app's fallback answers"
        return RoutingError.missingDependency("\(route) uses \(what), but none is installed outside it; \(fix)")
    }
}

/// Middleware written as a closure.
public struct MiddlewareFunction: Middleware {
    public let name: String
    public let docs: MiddlewareDocs?
    private let body: @Sendable (Request, Handler) async throws -> Response

    /// Middleware named `name` running `body`; `docs` says what it adds to generated documentation.
    public init(
        name: String, docs: MiddlewareDocs? = nil, _ body: @escaping @Sendable (Request, Handler) async throws -> Response
    ) {
        self.name = name
        self.docs = docs
        self.body = body
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        try await body(request, next)
    }
}

extension Array where Element == any Middleware {
    /// Each middleware resolved for one route (see `Middleware.resolve(in:)`).
    func resolved(endpoint: String?, blueprint: String?, rule: String?, docs: RouteDocs? = nil) throws -> [any Middleware] {
        try indices.map { index in
            try self[index].resolve(
                in: MiddlewareResolution(
                    endpoint: endpoint, blueprint: blueprint, rule: rule, outer: Array(self[..<index]),
                    inner: Array(self[(index + 1)...]), docs: docs))
        }
    }

    /// Folds the middleware around `handler`, the first element outermost (chi's `chain()`).
    func wrap(_ handler: @escaping Handler) -> Handler {
        reversed().reduce(handler) { next, middleware in
            { request in try await middleware.handle(request, next: next) }
        }
    }
}
