/// Flask's `before_request`: runs before the handler; may change the request or
/// answer in its place by returning a response.
public typealias BeforeHook = @Sendable (inout Request) async throws -> Response?

/// Flask's `after_request`: sees and may replace every response, error responses included.
public typealias AfterHook = @Sendable (Request, Response) async throws -> Response

/// Flask's `teardown_request`: runs last, always, with the error if one escaped.
public typealias TeardownHook = @Sendable (Request, (any Error)?) async -> Void

/// Turns an error into a response.
public typealias ErrorHandler = @Sendable (Request, any Error) async throws -> Response

/// An error handler for one error type: returns `nil` for other types.
struct TypedErrorHandler: Sendable {
    let typeName: String
    let handle: @Sendable (Request, any Error) async throws -> Response?
}

/// The middleware, hooks and error handlers one level (the app or a blueprint) contributes.
struct Layer: Sendable {
    var middleware: [any Middleware] = []
    var before: [BeforeHook] = []
    var after: [AfterHook] = []
    var teardown: [TeardownHook] = []
    var statusHandlers: [UInt: ErrorHandler] = [:]
    var typeHandlers: [TypedErrorHandler] = []
}
