import Foundation
import NIOCore

/// A response body written while it is produced (Hummingbird's `ResponseBody(asyncWriter:)`,
/// FastAPI's `StreamingResponse`).
///
/// The server sends the head at once, then runs `produce` with a writer; each `write` goes out
/// as it is made (several quick writes share one flush). The body is framed by
/// `Content-Length` when `length` is known, else by chunked transfer-encoding (HTTP/1.0
/// clients: by closing the connection).
///
/// - Back-pressure: `write` suspends while the client is not taking the bytes (the channel is
///   not writable), and a client that takes nothing for `STREAM_SEND_TIMEOUT` seconds is
///   dropped. A client that goes away cancels the producing task (`Task.isCancelled`, a
///   cancelled `Task.sleep`, and a `write` that throws `ResponseStreamClosed`).
/// - `HEAD` sends the head and never runs `produce`.
/// - Middleware that needs the whole body (the response cache, `ETag`) passes streamed
///   responses through untouched; the access log records the bytes sent when the stream ends.
/// - Guards end the stream when what allowed it stops holding (`jwtRequired` adds one: no
///   stream outlives its token), and graceful shutdown ends it promptly.
///
/// ```swift
/// app.get("/count") { _ in
///     Response.stream(contentType: "text/plain") { writer in
///         for n in 1...10 {
///             try await writer.write("\(n)\n")
///             try await Task.sleep(for: .seconds(1))
///         }
///     }
/// }
/// ```
public struct ResponseStream: Sendable {
    /// Writes the body; returning ends it.
    public typealias Producer = @Sendable (ResponseBodyWriter) async throws -> Void

    /// The body's length when known before it is written (sent as `Content-Length`; writing a
    /// different number of bytes closes the connection, as the framing would be wrong).
    public var length: Int?
    /// What ends the stream early (`jwtRequired` adds its token's expiry and revocation).
    public var guards: [StreamGuard] = []
    /// Called once when the stream ends, with the bytes sent (the access log's hook).
    public var onFinish: (@Sendable (_ bytesSent: Int) -> Void)?
    var produce: Producer

    /// A stream of `length` bytes (nil: not known) that `produce` writes.
    public init(length: Int? = nil, _ produce: @escaping Producer) {
        self.length = length
        self.produce = produce
    }

    /// Adds `guard` (see `StreamGuard`).
    public mutating func addGuard(_ guard: StreamGuard) {
        guards.append(`guard`)
    }

    /// Adds a hook run after any already set, when the stream ends.
    public mutating func whenFinished(_ hook: @escaping @Sendable (_ bytesSent: Int) -> Void) {
        let earlier = onFinish
        onFinish = { sent in
            earlier?(sent)
            hook(sent)
        }
    }

    /// Runs the producer into `sink` under the guards: returns when it has written everything,
    /// or when a guard ends it (`StreamEnd.guardEnded`); throws what the producer throws.
    /// The server and the in-process test client both run streams through here.
    public func run(into sink: any ResponseBodySink) async throws -> StreamEnd {
        let writer = ResponseBodyWriter(sink: sink)
        let produce = self.produce
        return try await StreamGuard.run(guards) { try await produce(writer) }
    }
}

/// How a stream ended without an error.
public enum StreamEnd: Sendable, Equatable {
    /// The producer returned.
    case completed
    /// A guard ended it, for the reason given (`token expired`, `token revoked`).
    case guardEnded(String)
}

/// Where a streamed body's bytes go: the connection, or a test client's buffer.
public protocol ResponseBodySink: Sendable {
    /// Sends `buffer`; suspends while the receiver is not taking bytes; throws
    /// `ResponseStreamClosed` once the receiver is gone.
    func write(_ buffer: ByteBuffer) async throws
}

/// Thrown by `ResponseBodyWriter.write` once the client has gone or the stream was ended.
public struct ResponseStreamClosed: Error, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "The response stream is closed (the client went away or the stream was ended)" }
}

/// What a `ResponseStream`'s producer writes through.
public struct ResponseBodyWriter: Sendable {
    let sink: any ResponseBodySink

    /// A writer into `sink` (tests and adapters; the server makes its own).
    public init(sink: any ResponseBodySink) {
        self.sink = sink
    }

    /// Sends `buffer` (an empty one sends nothing).
    public func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        try Task.checkCancellation()
        try await sink.write(buffer)
    }

    /// Sends `text` as UTF-8.
    public func write(_ text: String) async throws {
        try await write(ByteBuffer(string: text))
    }

    /// Sends `bytes`.
    public func write(contentsOf bytes: some Sequence<UInt8>) async throws {
        try await write(ByteBuffer(bytes: bytes))
    }
}

/// A condition a stream stays open under: a deadline, a check repeated at an interval, or both.
/// The first one to fail ends the stream cleanly (the body's end is sent, then the connection
/// closes if the framing needs it).
public struct StreamGuard: Sendable {
    /// Why the stream ends when this guard fails (`token expired`).
    public var reason: String
    /// Wall-clock time past which the stream ends.
    public var deadline: Date?
    /// How often `isStillValid` runs, and the check (false ends the stream; a throw keeps it).
    public var recheck: (every: Duration, isStillValid: @Sendable () async throws -> Bool)?

    /// A guard that ends the stream at `deadline` and/or when `isStillValid` answers false.
    public init(
        reason: String, deadline: Date? = nil, recheckEvery interval: Duration = .seconds(10),
        isStillValid: (@Sendable () async throws -> Bool)? = nil
    ) {
        self.reason = reason
        self.deadline = deadline
        self.recheck = isStillValid.map { (interval, $0) }
    }

    /// Runs `work` until it returns (`.completed`) or one of `guards` fails first
    /// (`.guardEnded`, and `work` is cancelled); throws what `work` throws.
    static func run(_ guards: [StreamGuard], _ work: @escaping @Sendable () async throws -> Void) async throws -> StreamEnd {
        guard !guards.isEmpty else {
            try await work()
            return .completed
        }
        return try await withThrowingTaskGroup(of: StreamEnd?.self) { group in
            group.addTask {
                try await work()
                return .completed
            }
            group.addTask {
                let reason = await StreamGuard.firstFailure(of: guards)
                return reason.map { .guardEnded($0) }  // nil: cancelled, the work finished first
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let end = result { return end }
            }
            return .completed
        }
    }

    /// Waits until one of `guards` fails and returns its reason; nil when cancelled first. One
    /// loop for all of them (no task each): it sleeps until the nearest deadline or recheck.
    static func firstFailure(of guards: [StreamGuard]) async -> String? {
        let clock = ContinuousClock()
        var nextCheck = guards.map { $0.recheck.map { clock.now + $0.every } }
        while !Task.isCancelled {
            var wake: ContinuousClock.Instant?
            for (index, item) in guards.enumerated() {
                if let deadline = item.deadline {
                    let left = deadline.timeIntervalSinceNow
                    if left <= 0 { return item.reason }
                    let at = clock.now + .milliseconds(Int64(left * 1000) + 1)
                    wake = min(wake ?? at, at)
                }
                if let at = nextCheck[index] { wake = min(wake ?? at, at) }
            }
            guard let wake else { return nil }  // nothing can ever fail
            do { try await Task.sleep(until: wake, clock: clock) } catch { return nil }
            for (index, item) in guards.enumerated() {
                if let deadline = item.deadline, deadline.timeIntervalSinceNow <= 0 { return item.reason }
                guard let at = nextCheck[index], at <= clock.now, let recheck = item.recheck else { continue }
                if (try? await recheck.isStillValid()) == false { return item.reason }
                nextCheck[index] = clock.now + recheck.every
            }
        }
        return nil
    }

}
