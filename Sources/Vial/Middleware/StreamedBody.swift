/// Declares that a route (or every route of a blueprint, with `use`) takes its request body as
/// a stream of chunks (`req.bodyStream`) of at most `maxSize` bytes, instead of a body collected
/// whole under `MAX_CONTENT_LENGTH`. The innermost declaration wins.
///
/// - The handler runs as soon as the head has arrived; the middleware before it (a JWT check,
///   a rate limit) runs first, so a refused caller is answered before any body is sent.
/// - `Expect: 100-continue` is answered when the handler first reads the body: a client that
///   waits for it sends nothing to a route that refuses it.
/// - A declared `Content-Length` over `maxSize` gets 413 at once; a body that grows past it
///   makes the read throw a 413 and the connection closes without reading the rest.
/// - A body that arrives slower than `BODY_MIN_RATE` bytes a second (while the handler waits
///   for it) ends with 408.
/// - Reading from the client pauses while 256 KiB wait for the handler: memory stays bounded
///   whatever the body's size.
///
/// ```swift
/// app.post("/upload", streamedBody(maxSize: 1 << 30)) { req in
///     for try await chunk in req.bodyStream { try await file.write(chunk) }
///     return .noContent
/// }
/// ```
public func streamedBody(maxSize: Int) -> StreamedBody {
    StreamedBody(maxSize: maxSize)
}

/// See `streamedBody(maxSize:)`.
public struct StreamedBody: Middleware {
    /// The largest body accepted, in bytes.
    public let maxSize: Int

    public var name: String { "body(stream ≤ \(Self.describe(maxSize)))" }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        try await next(request)
    }

    static func describe(_ bytes: Int) -> String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= size && bytes % size == 0 {
            return "\(bytes / size) \(unit)"
        }
        return "\(bytes) B"
    }
}
