/// What the app and blueprints share: registering routes, middleware, hooks and error handlers.
public protocol RouteRegistering: AnyObject, Sendable {
    /// Adds a route answering `methods` on each of `rules` (one endpoint, several URLs, as
    /// Flask's stacked `@app.route`s); the name defaults from method and first rule.
    /// `options` left unset take the blueprint's, then the app's.
    func addRoute(
        _ rules: [String], methods: [HTTPMethod], name: String?, options: RouteOptions, docs: RouteDocs,
        middleware: [any Middleware], handler: @escaping Handler)
    /// Adds middleware wrapping every route registered here (and in nested blueprints).
    func use(_ middleware: [any Middleware])
    /// Adds a before-request hook.
    func before(_ hook: @escaping BeforeHook)
    /// Adds a URL value preprocessor (Flask's `url_value_preprocessor`): it runs before every
    /// before-hook of the routes registered here, and may move `request.parameters` into storage.
    func urlValuePreprocessor(_ preprocessor: @escaping URLValuePreprocessor)
    /// Adds a URL defaults function (Flask's `url_defaults`) for URLs built to the endpoints
    /// registered here (on the app: to every endpoint).
    func urlDefaults(_ hook: @escaping URLDefaultsHook)
    /// Adds an after-request hook.
    func after(_ hook: @escaping AfterHook)
    /// Adds a teardown hook.
    func teardown(_ hook: @escaping TeardownHook)
    /// Handles errors whose status is `status` (an unknown error counts as 500).
    func errorHandler(_ status: HTTPResponseStatus, _ handler: @escaping ErrorHandler)
    /// Handles errors that are `type`: a concrete error type, a superclass, or a protocol
    /// (`(any TenantError).self`). Among a level's handlers the closest to the error's own type
    /// answers, as Flask walks the exception's class hierarchy; a blueprint's beat the app's.
    func errorHandler<E>(for type: E.Type, _ handler: @escaping @Sendable (Request, E) async throws -> Response)
}

/// `docs` with `summary` filled in when only the short form was given.
func mergedDocs(_ summary: String?, _ docs: RouteDocs?) -> RouteDocs {
    var merged = docs ?? RouteDocs()
    if merged.summary == nil { merged.summary = summary }
    return merged
}

extension RouteRegistering {
    /// Adds a route answering `methods` on `rule`; the name defaults from method and rule.
    public func addRoute(
        _ rule: String, methods: [HTTPMethod], name: String?, options: RouteOptions, docs: RouteDocs,
        middleware: [any Middleware], handler: @escaping Handler
    ) {
        addRoute([rule], methods: methods, name: name, options: options, docs: docs, middleware: middleware, handler: handler)
    }

    /// Adds middleware: `app.use(RequestTimer(), Cors())`.
    public func use(_ middleware: any Middleware...) { use(middleware) }

    /// Adds middleware as a before-step, spelled `tasks.before(jwtRequired())`.
    public func before(_ middleware: any Middleware...) { use(middleware) }

    /// A route for `methods` whose handler returns a `Response`.
    public func route(
        _ rule: String, methods: [HTTPMethod] = [.GET], name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware..., handler: @escaping Handler
    ) {
        addRoute(rule, methods: methods, name: name, options: options, docs: mergedDocs(summary, docs), middleware: middleware, handler: handler)
    }

    /// A route for `methods` whose handler returns any `ResponseConvertible`
    /// (text, `JSON`, or a `DocumentedResponse` such as `Created<T>`, which documents its answer).
    public func route<R: ResponseConvertible>(
        _ rule: String, methods: [HTTPMethod] = [.GET], name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware..., handler: @escaping @Sendable (Request) async throws -> R
    ) {
        addRoute(rule, methods: methods, name: name, options: options, docs: mergedDocs(summary, docs).documentingReturn(R.self), middleware: middleware) { request in
            try await handler(request).response()
        }
    }

    /// One endpoint answering `methods` on several rules — Flask's stacked `@app.route`s, often
    /// with defaults for what the shorter rule lacks:
    ///
    /// ```swift
    /// app.route(["/users/", "/users/page/<int:page>"], name: "users", options: .defaults(["page": 1])) { req in … }
    /// ```
    ///
    /// `urlFor` picks the rule the given values fit (`page: 1` → `/users/`, `page: 2` →
    /// `/users/page/2`), and `/users/page/1` redirects to `/users/`.
    public func route(
        _ rules: [String], methods: [HTTPMethod] = [.GET], name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware..., handler: @escaping Handler
    ) {
        addRoute(rules, methods: methods, name: name, options: options, docs: mergedDocs(summary, docs), middleware: middleware, handler: handler)
    }

    /// One endpoint on several rules, handler returning any `ResponseConvertible` (see `route(_:methods:…)`).
    public func route<R: ResponseConvertible>(
        _ rules: [String], methods: [HTTPMethod] = [.GET], name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware..., handler: @escaping @Sendable (Request) async throws -> R
    ) {
        addRoute(rules, methods: methods, name: name, options: options, docs: mergedDocs(summary, docs).documentingReturn(R.self), middleware: middleware) { request in
            try await handler(request).response()
        }
    }

    /// `GET` (and so `HEAD`) on `rule`, handler returning a `Response` (`.ok(…)`, `.created(…)`, `.noContent`).
    public func get(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping Handler
    ) {
        addRoute(rule, methods: [.GET], name: name, options: options, docs: mergedDocs(summary, docs), middleware: middleware, handler: handler)
    }

    /// `GET` (and so `HEAD`) on `rule`, handler returning any `ResponseConvertible`
    /// (text, `JSON`, or a `DocumentedResponse` such as `Created<T>`, which documents its answer).
    public func get<R: ResponseConvertible>(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping @Sendable (Request) async throws -> R
    ) {
        addRoute(rule, methods: [.GET], name: name, options: options, docs: mergedDocs(summary, docs).documentingReturn(R.self), middleware: middleware) { request in
            try await handler(request).response()
        }
    }

    /// `POST` on `rule`, handler returning a `Response` (`.ok(…)`, `.created(…)`, `.noContent`).
    public func post(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping Handler
    ) {
        addRoute(rule, methods: [.POST], name: name, options: options, docs: mergedDocs(summary, docs), middleware: middleware, handler: handler)
    }

    /// `POST` on `rule`, handler returning any `ResponseConvertible`
    /// (text, `JSON`, or a `DocumentedResponse` such as `Created<T>`, which documents its answer).
    public func post<R: ResponseConvertible>(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping @Sendable (Request) async throws -> R
    ) {
        addRoute(rule, methods: [.POST], name: name, options: options, docs: mergedDocs(summary, docs).documentingReturn(R.self), middleware: middleware) { request in
            try await handler(request).response()
        }
    }

    /// `PUT` on `rule`, handler returning a `Response` (`.ok(…)`, `.created(…)`, `.noContent`).
    public func put(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping Handler
    ) {
        addRoute(rule, methods: [.PUT], name: name, options: options, docs: mergedDocs(summary, docs), middleware: middleware, handler: handler)
    }

    /// `PUT` on `rule`, handler returning any `ResponseConvertible`
    /// (text, `JSON`, or a `DocumentedResponse` such as `Created<T>`, which documents its answer).
    public func put<R: ResponseConvertible>(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping @Sendable (Request) async throws -> R
    ) {
        addRoute(rule, methods: [.PUT], name: name, options: options, docs: mergedDocs(summary, docs).documentingReturn(R.self), middleware: middleware) { request in
            try await handler(request).response()
        }
    }

    /// `PATCH` on `rule`, handler returning a `Response` (`.ok(…)`, `.created(…)`, `.noContent`).
    public func patch(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping Handler
    ) {
        addRoute(rule, methods: [.PATCH], name: name, options: options, docs: mergedDocs(summary, docs), middleware: middleware, handler: handler)
    }

    /// `PATCH` on `rule`, handler returning any `ResponseConvertible`
    /// (text, `JSON`, or a `DocumentedResponse` such as `Created<T>`, which documents its answer).
    public func patch<R: ResponseConvertible>(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping @Sendable (Request) async throws -> R
    ) {
        addRoute(rule, methods: [.PATCH], name: name, options: options, docs: mergedDocs(summary, docs).documentingReturn(R.self), middleware: middleware) { request in
            try await handler(request).response()
        }
    }

    /// `DELETE` on `rule`, handler returning a `Response` (`.ok(…)`, `.created(…)`, `.noContent`).
    public func delete(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping Handler
    ) {
        addRoute(rule, methods: [.DELETE], name: name, options: options, docs: mergedDocs(summary, docs), middleware: middleware, handler: handler)
    }

    /// `DELETE` on `rule`, handler returning any `ResponseConvertible`
    /// (text, `JSON`, or a `DocumentedResponse` such as `Created<T>`, which documents its answer).
    public func delete<R: ResponseConvertible>(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping @Sendable (Request) async throws -> R
    ) {
        addRoute(rule, methods: [.DELETE], name: name, options: options, docs: mergedDocs(summary, docs).documentingReturn(R.self), middleware: middleware) { request in
            try await handler(request).response()
        }
    }

    /// A before-hook that never answers in the handler's place.
    public func before(_ hook: @escaping @Sendable (inout Request) async throws -> Void) {
        before { (request: inout Request) -> Response? in
            try await hook(&request)
            return nil
        }
    }
}
