import NIOCore
import NIOHTTP1

/// An HTTP response: status, headers and a body.
///
/// ```swift
/// return Response.created(task, location: try req.urlFor("tasks.get_task", ["task_id": "\(task.id)"], external: true))
/// ```
public struct Response: Sendable {
    /// The status.
    public var status: HTTPResponseStatus
    /// The headers; `Content-Length` is set by the server.
    public var headers: HTTPHeaders
    /// The body bytes (empty when the body is streamed).
    public var body: ByteBuffer
    /// A body written while it is produced, instead of `body` (see `ResponseStream`).
    public var stream: ResponseStream? {
        get { streamBox?.stream }
        set { streamBox = newValue.map { StreamBox(stream: $0) } }
    }
    /// Set when the answer opens a WebSocket (`101 Switching Protocols`; see `WebSocketUpgrade`).
    public var webSocket: WebSocketUpgrade? {
        get { streamBox?.webSocket }
        set { streamBox = newValue.map { StreamBox(webSocket: $0) } }
    }
    /// Boxed so that a buffered response, passed by value through every middleware, stays small.
    private var streamBox: StreamBox?

    private final class StreamBox: Sendable {
        let stream: ResponseStream?
        let webSocket: WebSocketUpgrade?
        init(stream: ResponseStream? = nil, webSocket: WebSocketUpgrade? = nil) {
            self.stream = stream
            self.webSocket = webSocket
        }
    }

    /// A response with the given parts.
    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is streamed (see `ResponseStream`).
    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], stream: ResponseStream) {
        self.status = status
        self.headers = headers
        self.body = ByteBuffer()
        self.streamBox = StreamBox(stream: stream)
    }

    /// A response that opens a WebSocket.
    init(status: HTTPResponseStatus, webSocket: WebSocketUpgrade) {
        self.status = status
        self.headers = [:]
        self.body = ByteBuffer()
        self.streamBox = StreamBox(webSocket: webSocket)
    }

    /// Whether the body is streamed rather than held whole in `body` (a WebSocket counts:
    /// its answer outlives the handler's return too).
    public var isStreamed: Bool { streamBox != nil }

    /// A JSON response from a `JSON` value (keys sorted).
    public static func json(_ value: JSON, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]) -> Response {
        // Into an array first, then one copy: appending byte by byte costs an array less than a
        // ByteBuffer (Benchmarks/instructions.py).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        value.write(into: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        var headers = headers
        headers.reserveCapacity(headers.count + 4)  // Content-Type now; request id, length and date later
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return Response(status: status, headers: headers, body: buffer)
    }

    private static let allocator = ByteBufferAllocator()

    /// A JSON response from any `Encodable`: the bytes `JSONValueEncoder` and `JSON.write` make
    /// (keys sorted, UUIDs lower case), written without the tree (`JSONBytesEncoder`).
    /// Disfavoured so that a literal (`.json(["error": "…"])`) builds a `JSON` value and cannot throw.
    @_disfavoredOverload
    public static func json(
        _ value: some Encodable & Sendable, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]
    ) throws -> Response {
        let buffer = try JSONBytesEncoder.withEncoded(value) { bytes in
            var buffer = allocator.buffer(capacity: bytes.count + 1)
            buffer.writeBytes(bytes)
            buffer.writeInteger(UInt8(ascii: "\n"))
            return buffer
        }
        var headers = headers
        headers.reserveCapacity(headers.count + 4)  // Content-Type now; request id, length and date later
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return Response(status: status, headers: headers, body: buffer)
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]) -> Response {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
        return Response(status: status, headers: headers, body: ByteBuffer(string: text))
    }

    /// A `text/html; charset=utf-8` response.
    public static func html(_ html: String, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]) -> Response {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "text/html; charset=utf-8")
        return Response(status: status, headers: headers, body: ByteBuffer(string: html))
    }

    /// 204 No Content with an empty body.
    public static var noContent: Response { Response(status: .noContent) }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body.readableBytesView, as: UTF8.self) }
}
