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
}

extension Middleware {
    public var name: String { String(describing: Self.self) }
    public var isListed: Bool { true }
    public var docs: MiddlewareDocs? { nil }
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
    /// Folds the middleware around `handler`, the first element outermost (chi's `chain()`).
    func wrap(_ handler: @escaping Handler) -> Handler {
        reversed().reduce(handler) { next, middleware in
            { request in try await middleware.handle(request, next: next) }
        }
    }
}
