/// Flask's `before_request`: runs before the handler; may change the request or
/// answer in its place by returning a response.
public typealias BeforeHook = @Sendable (inout Request) async throws -> Response?

/// Flask's `after_request`: sees and may replace every response, error responses included.
public typealias AfterHook = @Sendable (Request, Response) async throws -> Response

/// Flask's `teardown_request`: runs last, always, with the error if one escaped.
public typealias TeardownHook = @Sendable (Request, (any Error)?) async -> Void

/// Flask's `url_value_preprocessor`: runs before every before-hook (the app's, then each
/// blueprint's, outermost first) and may take values out of `request.parameters` into
/// `request.storage` — the language-code or tenant that every route of a blueprint shares.
public typealias URLValuePreprocessor = @Sendable (inout Request) throws -> Void

/// Flask's `url_defaults`: fills in values for `urlFor` — the language code or tenant the
/// current request was routed with, for every URL built to an endpoint that expects it.
public typealias URLDefaultsHook = @Sendable (inout URLBuild) -> Void

/// One URL being built, as a `URLDefaultsHook` sees it.
public struct URLBuild: Sendable {
    /// The full endpoint name (`de.pages.about`).
    public let endpoint: String
    /// The values given to `urlFor`; a hook adds what the caller left out.
    public var values: [String: any CustomStringConvertible & Sendable]
    /// The request building the URL; nil outside a request (`App.urlFor`).
    public let request: Request?
    let rules: [BuildRule]

    /// Whether a rule of the endpoint takes `name` (Flask's `url_map.is_endpoint_expecting`).
    public func expects(_ name: String) -> Bool { rules.contains { $0.arguments.contains(name) } }
}

/// Turns an error into a response.
public typealias ErrorHandler = @Sendable (Request, any Error) async throws -> Response

/// An error handler for one error type (a concrete type, a class, or a protocol).
struct TypedErrorHandler: Sendable {
    let typeName: String
    /// How closely the handler's type fits `error` (smaller is closer), `nil` when it does not.
    let rank: @Sendable (any Error) -> Int?
    /// Runs the handler; only called when `rank` matched.
    let handle: @Sendable (Request, any Error) async throws -> Response?

    /// A handler for errors that are `E`.
    init<E>(for type: E.Type, _ handler: @escaping @Sendable (Request, E) async throws -> Response) {
        typeName = String(describing: type)
        rank = { ErrorSpecificity.rank($0, against: E.self) }
        handle = { request, error in
            guard let error = error as? E else { return nil }
            return try await handler(request, error)
        }
    }
}

/// Flask walks an exception's class hierarchy (its MRO) to find the closest handler; Swift errors
/// are mostly structs and enums, so "closest" is: the error's own type, then a superclass (nearer
/// first), then a protocol it conforms to, and `any Error` last of all.
enum ErrorSpecificity {
    static let protocolRank = 10_000
    static let anyErrorRank = 20_000

    static func rank<E>(_ error: any Error, against target: E.Type) -> Int? {
        guard error is E else { return nil }
        let dynamic: Any.Type = type(of: error)
        if dynamic == target { return 0 }
        if let targetClass = target as? AnyClass, var current = dynamic as? AnyClass {
            var distance = 0
            while let superclass = _getSuperclass(current) {
                distance += 1
                if ObjectIdentifier(superclass) == ObjectIdentifier(targetClass) { return distance }
                current = superclass
            }
        }
        return target == (any Error).self ? anyErrorRank : protocolRank
    }
}

/// The middleware, hooks and error handlers one level (the app or a blueprint) contributes.
struct Layer: Sendable {
    var middleware: [any Middleware] = []
    var urlValuePreprocessors: [URLValuePreprocessor] = []
    /// For URLs built to this level's endpoints.
    var urlDefaults: [URLDefaultsHook] = []
    var before: [BeforeHook] = []
    var after: [AfterHook] = []
    var teardown: [TeardownHook] = []
    var statusHandlers: [UInt: ErrorHandler] = [:]
    var typeHandlers: [TypedErrorHandler] = []
}
