/// A callback for this one request's response (Flask's `after_this_request`).
public typealias AfterThisRequest = @Sendable (Response) async throws -> Response

/// Where a request keeps its `afterThisRequest` callbacks on the way in.
enum AfterThisRequestKey: StorageKey {
    typealias Value = [AfterThisRequest]

    /// Whether `request` has callbacks to run: checked before `run`, which is async, on a path
    /// every request of the route takes (most store nothing at all).
    @inline(__always)
    static func isPending(in request: Request) -> Bool {
        !request.storage.isEmpty && request.storage.contains(Self.self)
    }

    /// Runs the callbacks `request` collected on `response`, in the order added, before any
    /// after-hook (as Flask's `process_response`). A callback that throws is an unhandled error:
    /// the 500 handlers answer, and the remaining callbacks are skipped.
    /// Each route has one place that runs them (see `compose`), so they run once.
    static func run(on response: Response, for request: Request, renderer: ErrorRenderer) async -> Response {
        guard let callbacks = request.storage[Self.self] else { return response }
        var response = response
        do {
            for callback in callbacks { response = try await callback(response) }
        } catch {
            request.scope?.record(error)
            response = await renderer.renderInternal(error, for: request)
        }
        return response
    }
}

extension Request {
    /// Changes this request's response once it is made — Flask's `after_this_request`, for a
    /// before-hook, a URL value preprocessor or a middleware that decides something the answer
    /// must carry (a cookie, a header):
    ///
    /// ```swift
    /// app.before { req in
    ///     if req.headers.first(name: "cookie")?.contains("lang=") != true {
    ///         req.afterThisRequest { response in
    ///             var response = response
    ///             response.headers.add(name: "Set-Cookie", value: "lang=en; Path=/")
    ///             return response
    ///         }
    ///     }
    ///     return nil
    /// }
    /// ```
    ///
    /// The callbacks run on the handler's answer, an early answer of a before-hook, or an error
    /// handler's answer, before the after-hooks. A handler changes the response it returns
    /// instead (its request is not `inout`).
    public mutating func afterThisRequest(_ callback: @escaping AfterThisRequest) {
        var callbacks = storage[AfterThisRequestKey.self] ?? []
        callbacks.append(callback)
        storage[AfterThisRequestKey.self] = callbacks
    }
}
