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
    logger: Logger, propagation: ErrorPropagation = ErrorPropagation()
) throws -> Handler {
    let renderer = ErrorRenderer(layers: errorLayers, logger: logger, propagation: propagation)
    let befores = layers.flatMap(\.before)
    let middleware = try (layers.flatMap(\.middleware) + routeMiddleware).resolved(
        endpoint: route.endpoint, blueprint: route.blueprint, rule: route.rule, docs: docs)
    // Flask runs after_request functions innermost blueprint first, each level in reverse registration order.
    let afters = layers.reversed().flatMap { $0.after.reversed() }
    let teardowns = layers.reversed().flatMap { $0.teardown.reversed() }
    // A scope (Flask's request context) only where something outside the before-hooks reads what
    // they stored: after-hooks, or teardown (which also wants the original error). Error handlers
    // need none: errors of the hooks and the handler are rendered where the hooks' request is.
    // (A scope on every route cost the bundled /health/live ~4% in the A/B.)
    let needsScope = !teardowns.isEmpty || (!afters.isEmpty && !befores.isEmpty)

    let boundary = { (inner: @escaping Handler) -> Handler in
        { request in
            do {
                return try await inner(request)
            } catch {
                request.scope?.record(error)
                return await renderer.render(error, for: request.scoped)
            }
        }
    }

    var core = handler
    let preprocessors = layers.flatMap(\.urlValuePreprocessors)
    let wrapsCore = !befores.isEmpty || !preprocessors.isEmpty || needsScope
    if wrapsCore {
        core = { request in
            var request = request
            // What the before-hooks stored is what the error handlers, after-hooks and teardown see.
            defer { request.scope?.keep(request.storage) }
            let response: Response
            do {
                // Flask's preprocess_request: every URL value preprocessor, then every before-hook.
                for preprocessor in preprocessors { try preprocessor(&request) }
                var early: Response?
                for hook in befores where early == nil { early = try await hook(&request) }
                if let early { response = early } else { response = try await handler(request) }
            } catch {
                request.scope?.record(error)
                response = await renderer.render(error, for: request)
            }
            guard AfterThisRequestKey.isPending(in: request) else { return response }
            return await AfterThisRequestKey.run(on: response, for: request, renderer: renderer)
        }
    }

    var chain: Handler
    if middleware.isEmpty {
        chain = boundary(core)
    } else if wrapsCore {
        // What middleware registers with `afterThisRequest` reaches the core in the request's
        // storage, and runs there with the hooks'.
        chain = boundary(middleware.wrap(boundary(core)))
    } else {
        // No core of hooks to run them: the boundary inside the middleware does, so a route
        // without hooks pays for no extra layer (one cost 4 % of hello's instructions).
        let bounded = boundary(handler)  // the core is the handler here
        let innerBoundary: Handler = { request in
            let response = try await bounded(request)
            guard AfterThisRequestKey.isPending(in: request) else { return response }
            return await AfterThisRequestKey.run(on: response, for: request, renderer: renderer)
        }
        chain = boundary(middleware.wrap(innerBoundary))
    }

    if !afters.isEmpty {
        let inner = chain
        chain = { request in
            var response = try await inner(request)
            let seen = request.scoped
            do {
                for hook in afters { response = try await hook(seen, response) }
            } catch {
                // As Flask: a failing after-hook is an unhandled error — the 500 handlers render it,
                // and the after-hooks see that answer too (their errors now only logged).
                request.scope?.record(error)
                response = await renderer.renderInternal(error, for: seen)
                for hook in afters {
                    do {
                        response = try await hook(seen, response)
                    } catch {
                        logger.error(
                            "after-request hook failed on an error answer: \(String(reflecting: type(of: error)))",
                            metadata: ["request_id": .string(request.id)])
                    }
                }
            }
            return response
        }
    }

    if !teardowns.isEmpty {
        let inner = chain
        chain = { request in
            do {
                let response = try await inner(request)
                let seen = request.scoped
                let error = request.scope?.error
                for hook in teardowns { await hook(seen, error) }
                return response
            } catch {
                let seen = request.scoped
                let original = request.scope?.error ?? error
                for hook in teardowns { await hook(seen, original) }
                throw error
            }
        }
    }

    if needsScope {
        let inner = chain
        chain = { request in
            guard request.scope == nil else { return try await inner(request) }  // a propagating test client's
            var request = request
            request.scope = RequestScope()
            return try await inner(request)
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
    let propagation: ErrorPropagation

    init(layers: [Layer], logger: Logger, propagation: ErrorPropagation = ErrorPropagation()) {
        self.levels = layers.reversed()
        self.logger = logger
        self.propagation = propagation
    }

    /// Renders an error nothing may handle by type — one no handler by type took, or one raised
    /// after the answer was made (Flask's `handle_exception`): a propagating test client gets it
    /// itself; else the 500 handlers with the error, else the default 500.
    func renderInternal(_ error: any Error, for request: Request) async -> Response {
        if propagation.unhandled, let scope = request.scope {
            scope.propagate(error)
            return Self.internalError(error, request: request, logger: logger)
        }
        return await attempt(request) { try await byStatus(500, error, request) }
            ?? Self.internalError(error, request: request, logger: logger)
    }

    func render(_ error: any Error, for request: Request) async -> Response {
        if let httpError = error as? HTTPError {
            // TRAP_HTTP_EXCEPTIONS: the test client gets it before any handler; the default answer goes on.
            if propagation.httpErrors, let scope = request.scope {
                scope.propagate(error)
                return .error(httpError)
            }
            return await attempt(request) {
                if let response = try await byStatus(httpError.status.code, error, request) { return response }
                return try await byType(error, request)
            } ?? .error(httpError)
        }
        var handlerFailed = false
        if let response = await attempt(request, failed: &handlerFailed, { try await byType(error, request) }) {
            return response
        }
        // A handler by type that fails falls back to the default rendering, not to the 500 handlers.
        if handlerFailed { return Self.internalError(error, request: request, logger: logger) }
        return await renderInternal(error, for: request)
    }

    /// Runs a handler lookup; a handler that fails is logged and counts as none (the caller falls
    /// back to the default rendering of what it was handling).
    private func attempt(_ request: Request, _ lookup: () async throws -> Response?) async -> Response? {
        var failed = false
        return await attempt(request, failed: &failed, lookup)
    }

    private func attempt(
        _ request: Request, failed: inout Bool, _ lookup: () async throws -> Response?
    ) async -> Response? {
        do {
            return try await lookup()
        } catch {
            failed = true
            logger.error(
                "error handler failed: \(String(reflecting: type(of: error)))",
                metadata: ["request_id": .string(request.id)])
            return nil
        }
    }

    private func byStatus(_ status: UInt, _ error: any Error, _ request: Request) async throws -> Response? {
        for level in levels {
            if let handler = level.statusHandlers[status] { return try await handler(request, error) }
        }
        return nil
    }

    /// The innermost level with a handler for the error answers, with its closest one: the
    /// error's own type beats a superclass, which beats a protocol, whatever the registration
    /// order (equally close: the first registered).
    private func byType(_ error: any Error, _ request: Request) async throws -> Response? {
        for level in levels where !level.typeHandlers.isEmpty {
            var best: (handler: TypedErrorHandler, rank: Int)?
            for handler in level.typeHandlers {
                guard let rank = handler.rank(error), rank < (best?.rank ?? .max) else { continue }
                best = (handler, rank)
            }
            if let best { return try await best.handler.handle(request, error) }
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
