import Logging

/// Composes a route's responder once, at build time:
///
///     teardown ← after-hooks ← boundary ← app/blueprint/route middleware ← boundary ← before-hooks ← handler
///
/// The inner boundary turns errors from hooks and the handler into responses, so
/// middleware sees a response either way; the outer one renders errors middleware throws
/// (a 401 from an auth check). Both use the same handler resolution.
func compose(
    _ handler: @escaping Handler, layers: [Layer], routeMiddleware: [any Middleware], errorLayers: [Layer],
    route: (endpoint: String?, blueprint: String?, rule: String?) = (nil, nil, nil), docs: RouteDocs? = nil,
    logger: Logger
) throws -> Handler {
    let renderer = ErrorRenderer(layers: errorLayers, logger: logger)
    let boundary = { (inner: @escaping Handler) -> Handler in
        { request in
            do {
                return try await inner(request)
            } catch {
                return await renderer.render(error, for: request)
            }
        }
    }

    var core = handler
    let befores = layers.flatMap(\.before)
    if !befores.isEmpty {
        core = { request in
            var request = request
            for hook in befores {
                if let early = try await hook(&request) { return early }
            }
            return try await handler(request)
        }
    }

    let middleware = try (layers.flatMap(\.middleware) + routeMiddleware).resolved(
        endpoint: route.endpoint, blueprint: route.blueprint, rule: route.rule, docs: docs)
    var chain = middleware.isEmpty ? boundary(core) : boundary(middleware.wrap(boundary(core)))

    // Flask runs after_request functions innermost blueprint first, each level in reverse registration order.
    let afters = layers.reversed().flatMap { $0.after.reversed() }
    if !afters.isEmpty {
        let inner = chain
        chain = { request in
            var response = try await inner(request)
            for hook in afters { response = try await hook(request, response) }
            return response
        }
    }

    let teardowns = layers.reversed().flatMap { $0.teardown.reversed() }
    if !teardowns.isEmpty {
        let inner = chain
        chain = { request in
            do {
                let response = try await inner(request)
                for hook in teardowns { await hook(request, nil) }
                return response
            } catch {
                for hook in teardowns { await hook(request, error) }
                throw error
            }
        }
    }
    return chain
}

/// Renders errors at one boundary, resolving handlers as Flask does: by status
/// (innermost blueprint → app), then by type (innermost → app); for an error that is
/// not an `HTTPError`, type handlers first and then 500 handlers.
struct ErrorRenderer: Sendable {
    /// Innermost first.
    let levels: [Layer]
    let logger: Logger

    init(layers: [Layer], logger: Logger) {
        self.levels = layers.reversed()
        self.logger = logger
    }

    func render(_ error: any Error, for request: Request) async -> Response {
        let httpError = error as? HTTPError
        let status = httpError?.status.code ?? 500
        do {
            if httpError != nil, let response = try await byStatus(status, error, request) { return response }
            if let response = try await byType(error, request) { return response }
            if httpError == nil, let response = try await byStatus(500, error, request) { return response }
        } catch let handlerError {
            // A handler that fails falls back to the default rendering of what it was handling.
            logger.error(
                "error handler failed: \(String(reflecting: type(of: handlerError)))",
                metadata: ["request_id": .string(request.id)])
        }
        if let httpError { return .error(httpError) }
        return Self.internalError(error, request: request, logger: logger)
    }

    private func byStatus(_ status: UInt, _ error: any Error, _ request: Request) async throws -> Response? {
        for level in levels {
            if let handler = level.statusHandlers[status] { return try await handler(request, error) }
        }
        return nil
    }

    private func byType(_ error: any Error, _ request: Request) async throws -> Response? {
        for level in levels {
            for handler in level.typeHandlers {
                if let response = try await handler.handle(request, error) { return response }
            }
        }
        return nil
    }

    /// A 500 that says nothing about the error; the log line carries the detail and the request id.
    static func internalError(_ error: any Error, request: Request, logger: Logger) -> Response {
        logger.error(
            "unhandled error in \(request.method.rawValue) \(request.path): \(String(reflecting: error))",
            metadata: ["request_id": .string(request.id)])
        return .error(HTTPError(.internalServerError, "Internal server error", code: "internal_error"))
    }
}
