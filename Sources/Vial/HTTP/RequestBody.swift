import NIOConcurrencyHelpers
import NIOCore

/// A request body as a sequence of chunks, read as they arrive (`req.bodyStream`).
///
/// On a route with `streamedBody(maxSize:)` the chunks come straight off the connection: the
/// handler starts when the head has arrived, at most a few hundred KiB wait in memory (reading
/// from the client pauses until the handler takes them), and passing `maxSize` throws a 413.
/// Elsewhere the body was collected whole and arrives as one chunk.
///
/// ```swift
/// app.post("/upload", streamedBody(maxSize: 1 << 30)) { req in
///     var size = 0
///     for try await chunk in req.bodyStream { size += chunk.readableBytes }
///     return ["bytes": .int(size)] as JSON
/// }
/// ```
public struct RequestBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    enum Origin: Sendable {
        case collected(ByteBuffer)
        case streamed(RequestBodySource)
    }

    let origin: Origin

    /// A body already held whole.
    public init(buffer: ByteBuffer) { origin = .collected(buffer) }

    init(source: RequestBodySource) { origin = .streamed(source) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var collected: ByteBuffer?
        let source: RequestBodySource?
        /// Set when the body came compressed (`Content-Encoding`): it yields the inflated bytes.
        var inflater: BodyInflater?
        var compressed = ByteBuffer()

        public mutating func next() async throws -> ByteBuffer? {
            if let source {
                guard let inflater else { return try await source.next() }
                while true {
                    if let output = try inflater.inflate(&compressed), output.readableBytes > 0 { return output }
                    guard let chunk = try await source.next() else {
                        try inflater.finish()
                        return nil
                    }
                    compressed = chunk
                }
            }
            defer { collected = nil }
            return collected.flatMap { $0.readableBytes > 0 ? $0 : nil }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch origin {
        case .collected(let buffer): return AsyncIterator(collected: buffer, source: nil)
        case .streamed(let source):
            return AsyncIterator(
                collected: nil, source: source, inflater: source.coding.flatMap { try? BodyInflater($0, limit: source.limit) })
        }
    }

    /// Whether the chunks come off the connection as they arrive.
    public var isStreamed: Bool {
        if case .streamed = origin { return true }
        return false
    }

    /// Reads the rest of the body into one buffer, refusing more than `maxSize` bytes (413).
    public func collect(upTo maxSize: Int) async throws -> ByteBuffer {
        var whole = ByteBuffer()
        for try await var chunk in self {
            guard whole.readableBytes + chunk.readableBytes <= maxSize else {
                throw HTTPError(.payloadTooLarge, "Request body exceeds the limit of \(maxSize) bytes", code: "payload_too_large")
            }
            whole.writeBuffer(&chunk)
        }
        return whole
    }
}

/// The connection's end of a streamed request body: the channel handler appends chunks and
/// finishes (on its event loop); the handler's task takes them (on any thread).
final class RequestBodySource: Sendable {
    private struct State {
        var chunks = CircularBuffer<ByteBuffer>()
        var buffered = 0
        var end: Result<Void, any Error>?
        var waiter: CheckedContinuation<ByteBuffer?, any Error>?
        var demanded = false
        var total = 0
    }

    /// Past this many bytes waiting, reading from the client pauses.
    static let highWater = 256 * 1024

    private let state = NIOLockedValueBox(State())
    /// Called (once) when the handler first asks for the body: `Expect: 100-continue` is answered then.
    private let onFirstDemand: @Sendable () -> Void
    /// Called when the handler has taken what was waiting: reading may go on.
    private let onDrained: @Sendable () -> Void

    /// The body's `Content-Encoding` (nil: none): the iterator inflates it, at most `limit` bytes.
    let coding: ContentCoding?
    let limit: Int

    init(
        coding: ContentCoding? = nil, limit: Int = .max, onFirstDemand: @escaping @Sendable () -> Void,
        onDrained: @escaping @Sendable () -> Void
    ) {
        self.coding = coding
        self.limit = limit
        self.onFirstDemand = onFirstDemand
        self.onDrained = onDrained
    }

    /// Adds a chunk; answers whether reading should pause (too much waits).
    func append(_ chunk: ByteBuffer) -> Bool {
        let (waiter, pause) = state.withLockedValue { state -> (CheckedContinuation<ByteBuffer?, any Error>?, Bool) in
            state.total += chunk.readableBytes
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            state.chunks.append(chunk)
            state.buffered += chunk.readableBytes
            return (nil, state.buffered >= Self.highWater)
        }
        waiter?.resume(returning: chunk)
        return pause
    }

    /// The body ended well (`error` nil) or not.
    func finish(_ error: (any Error)? = nil) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<ByteBuffer?, any Error>? in
            guard state.end == nil else { return nil }
            state.end = error.map { .failure($0) } ?? .success(())
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    /// Bytes received so far.
    var received: Int { state.withLockedValue { $0.total } }

    /// Whether the handler is waiting for bytes that have not come (the client is the slow side).
    var isStarved: Bool { state.withLockedValue { $0.waiter != nil } }

    /// Whether the body has ended (well or not).
    var isFinished: Bool { state.withLockedValue { $0.end != nil } }

    func next() async throws -> ByteBuffer? {
        try Task.checkCancellation()
        enum Step { case chunk(ByteBuffer, drained: Bool), end(Result<Void, any Error>), wait(first: Bool) }
        let step = state.withLockedValue { state -> Step in
            let first = !state.demanded
            state.demanded = true
            if let chunk = state.chunks.popFirst() {
                let wasPaused = state.buffered >= Self.highWater
                state.buffered -= chunk.readableBytes
                return .chunk(chunk, drained: wasPaused && state.buffered < Self.highWater)
            }
            if let end = state.end { return .end(end) }
            return .wait(first: first)
        }
        switch step {
        case .chunk(let chunk, let drained):
            if drained { onDrained() }
            return chunk
        case .end(let result):
            try result.get()
            return nil
        case .wait(let first):
            if first { onFirstDemand() }
            return try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLockedValue { state -> Result<ByteBuffer?, any Error>? in
                    if let chunk = state.chunks.popFirst() {
                        state.buffered -= chunk.readableBytes
                        return .success(chunk)
                    }
                    if let end = state.end { return end.map { nil } }
                    state.waiter = continuation
                    return nil
                }
                if let ready {
                    continuation.resume(with: ready)
                } else {
                    onDrained()  // reading may have paused before this wait: let it go on
                }
            }
        }
    }
}
