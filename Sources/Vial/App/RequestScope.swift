import Synchronization

/// What one request's hooks, handler and error handlers share — Flask's request context: the
/// storage as the before-hooks and middleware left it (Flask's `g`), and the first error raised.
/// A `Request` is a value passed inward, so without this an after-hook, a teardown or an error
/// handler outside the before-hooks would see the request as it was before they ran.
/// Made only for routes with a hook or handler that reads it (see `compose`), and for every
/// request of a test client that propagates errors.
final class RequestScope: Sendable {
    private struct State {
        var storage: Storage?
        var error: (any Error)?
        /// An error `PROPAGATE_EXCEPTIONS`/`TRAP_HTTP_EXCEPTIONS` hands to the test client.
        var propagated: (any Error)?
    }

    private let state = Mutex(State())

    /// Keeps `storage` as the latest the request carried on its way in.
    func keep(_ storage: Storage) { state.withLock { $0.storage = storage } }

    /// Remembers `error` unless an earlier one was: teardown receives the original.
    func record(_ error: any Error) { state.withLock { if $0.error == nil { $0.error = error } } }

    /// Hands `error` to the test client (the first one wins).
    func propagate(_ error: any Error) { state.withLock { if $0.propagated == nil { $0.propagated = error } } }

    /// The error to rethrow to the test client, if any.
    var propagated: (any Error)? { state.withLock { $0.propagated } }

    /// The first error raised for the request, rendered or not.
    var error: (any Error)? { state.withLock { $0.error } }

    /// `request` with the storage the way in left it.
    func seen(_ request: Request) -> Request {
        guard let storage = state.withLock({ $0.storage }) else { return request }
        var request = request
        request.storage = storage
        return request
    }
}

extension Request {
    /// The request as hooks and error handlers outside the handler see it: with what the
    /// before-hooks and middleware stored.
    var scoped: Request { scope?.seen(self) ?? self }
}

/// Flask's `PROPAGATE_EXCEPTIONS` and `TRAP_HTTP_EXCEPTIONS`: which errors the test client gets
/// thrown instead of an answer rendered by the error handlers.
struct ErrorPropagation: Sendable {
    /// Errors no handler would take (the 500s).
    var unhandled = false
    /// `HTTPError`s, before any handler sees them.
    var httpErrors = false
}
