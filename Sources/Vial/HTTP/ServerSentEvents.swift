import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// One Server-Sent Event (`text/event-stream`, WHATWG HTML §9.2).
///
/// `data` is split on line breaks into one `data:` line each (a browser joins them back with
/// `\n`); `id` and `event` lose any CR, LF and NUL, which would end or corrupt the field.
/// A browser does not dispatch an event whose `data` is empty.
public struct ServerSentEvent: Sendable, Equatable {
    /// The payload.
    public var data: String
    /// The event type (`EventSource.addEventListener(type, …)`); nil is `message`.
    public var event: String?
    /// The id the client sends back as `Last-Event-ID` when it reconnects.
    public var id: String?
    /// How long the client waits before reconnecting, in milliseconds.
    public var retry: Int?
    /// A comment line (ignored by clients; keeps idle connections alive).
    public var comment: String?

    public init(data: String = "", event: String? = nil, id: String? = nil, retry: Int? = nil, comment: String? = nil) {
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment
    }

    /// An event whose data is `value` as one line of JSON.
    public static func json(_ value: some Encodable, event: String? = nil, id: String? = nil) throws -> ServerSentEvent {
        ServerSentEvent(data: String(decoding: try JSONCoding.encode(value), as: UTF8.self), event: event, id: id)
    }

    /// The keep-alive comment sent when a stream has been quiet for its ping interval.
    public static let ping = ServerSentEvent(comment: "ping")

    /// The event in the wire format, ending with the blank line that dispatches it.
    public func encode(into buffer: inout ByteBuffer) {
        if let comment {
            for line in Self.lines(comment) { buffer.writeString(": \(line)\n") }
        }
        if let id { buffer.writeString("id: \(Self.field(id))\n") }
        if let event { buffer.writeString("event: \(Self.field(event))\n") }
        if let retry { buffer.writeString("retry: \(max(retry, 0))\n") }
        if !data.isEmpty || (comment == nil && retry == nil) {
            for line in Self.lines(data) { buffer.writeString("data: \(line)\n") }
        }
        buffer.writeString("\n")
    }

    /// The encoded event.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }

    /// `text` split on CRLF, CR and LF (each ends a line in the format).
    private static func lines(_ text: String) -> [Substring] {
        text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "\r", omittingEmptySubsequences: false) }
    }

    private static func field(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" && $0 != "\0" })
    }
}

/// What an event-stream producer sends through.
public struct EventStreamWriter: Sendable {
    let writer: ResponseBodyWriter
    let lastSent: LastSent

    /// When the stream last sent anything, in milliseconds on `EventStreamWriter.now()`'s clock.
    final class LastSent: Sendable {
        let value: Atomic<Int64>
        init(_ initial: Int64) { value = Atomic(initial) }
    }

    /// Sends `event` at once.
    public func send(_ event: ServerSentEvent) async throws {
        try await writer.write(event.encoded)
        lastSent.value.store(Self.now(), ordering: .relaxed)
    }

    /// Milliseconds since the process first asked.
    static func now() -> Int64 {
        let elapsed = origin.duration(to: .now)
        return elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    private static let origin = ContinuousClock.now
}

extension Response {
    /// The headers every event stream sends: the type, no caching, and no proxy buffering
    /// (nginx's `X-Accel-Buffering: no`), as FastAPI's `EventSourceResponse` does.
    static func eventStreamHeaders(_ extra: HTTPHeaders) -> HTTPHeaders {
        var headers = extra
        headers.replaceOrAdd(name: "Content-Type", value: "text/event-stream")
        if !headers.contains(name: "Cache-Control") { headers.add(name: "Cache-Control", value: "no-cache") }
        headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
        return headers
    }

    /// A Server-Sent Events stream that `produce` sends events into; a `: ping` comment goes out
    /// whenever the stream has been quiet for `ping` (nil: never), so proxies and clients keep
    /// the connection. Returning ends the stream.
    ///
    /// ```swift
    /// app.get("/clock") { req in
    ///     Response.eventStream { events in
    ///         while true {
    ///             try await events.send(ServerSentEvent(data: Date().description, event: "tick"))
    ///             try await Task.sleep(for: .seconds(1))
    ///         }
    ///     }
    /// }
    /// ```
    public static func eventStream(
        ping: Duration? = .seconds(15), headers: HTTPHeaders = [:],
        _ produce: @escaping @Sendable (EventStreamWriter) async throws -> Void
    ) -> Response {
        let stream = ResponseStream { writer in
            let events = EventStreamWriter(writer: writer, lastSent: .init(EventStreamWriter.now()))
            guard let ping else { return try await produce(events) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await produce(events) }
                group.addTask { try await Self.keepAlive(events, every: ping) }
                // The producer's end (or error) ends the stream; the pinger never ends on its own.
                defer { group.cancelAll() }
                try await group.next()
            }
        }
        return Response(status: .ok, headers: eventStreamHeaders(headers), stream: stream)
    }

    /// An event stream of the events `events` yields, in order; see `eventStream(ping:headers:_:)`.
    public static func eventStream<Events: AsyncSequence & Sendable>(
        _ events: Events, ping: Duration? = .seconds(15), headers: HTTPHeaders = [:]
    ) -> Response where Events.Element == ServerSentEvent {
        eventStream(ping: ping, headers: headers) { writer in
            for try await event in events { try await writer.send(event) }
        }
    }

    private static func keepAlive(_ events: EventStreamWriter, every interval: Duration) async throws {
        let millis = interval.components.seconds * 1_000 + interval.components.attoseconds / 1_000_000_000_000_000
        while true {
            let quiet = EventStreamWriter.now() - events.lastSent.value.load(ordering: .relaxed)
            if quiet >= millis {
                try await events.send(.ping)
                try await Task.sleep(for: interval)
            } else {
                try await Task.sleep(for: .milliseconds(millis - quiet))
            }
        }
    }
}

extension Request {
    /// The `Last-Event-ID` a reconnecting `EventSource` sends: the `id` of the last event it
    /// received (nil when absent, empty, or longer than 1,024 bytes).
    public var lastEventID: String? {
        guard let value = header("Last-Event-ID"), !value.isEmpty, value.utf8.count <= 1_024 else { return nil }
        return value
    }
}
