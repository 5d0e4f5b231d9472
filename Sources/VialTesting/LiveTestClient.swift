import Vial
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Talks to a real server over loopback — for end-to-end tests of the socket path.
///
/// ```swift
/// try await app.withLiveServer { client in
///     let response = try await client.get("/api/hello")
///     #expect(response.status == .ok)
/// }
/// ```
public struct LiveTestClient: TestClientProtocol {
    /// The server's port on 127.0.0.1.
    public let port: Int
    let group: any EventLoopGroup

    /// A client for a server already listening on `127.0.0.1:port`, using `group` for its connections.
    public init(port: Int, group: any EventLoopGroup) {
        self.port = port
        self.group = group
    }

    public func execute(_ method: HTTPMethod, _ uri: String, headers: HTTPHeaders, body: ByteBuffer?) async throws
        -> TestResponse
    {
        var headers = headers
        if !headers.contains(name: "host") { headers.add(name: "Host", value: "127.0.0.1:\(port)") }
        headers.replaceOrAdd(name: "Connection", value: "close")
        if let body { headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes)) }
        let promise = group.next().makePromise(of: TestResponse.self)
        let channel = try await connect(failing: promise) { pipeline in
            try pipeline.addHTTPClientHandlers()
            try pipeline.addHandler(ResponseCollector(promise: promise))
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        defer { channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }

    /// Sends raw bytes on a fresh connection and returns everything the server sends
    /// until it closes the connection or `timeout` passes — for malformed requests,
    /// pipelining and limits.
    public func sendRaw(_ bytes: String, timeout: Duration = .seconds(5)) async throws -> String {
        try await exchangeRaw(bytes, timeout: timeout).text
    }

    /// Like `sendRaw`, and says whether the server closed the connection (rather than the
    /// client giving up at `timeout`) — a check that does not depend on how fast the machine is.
    public func exchangeRaw(_ bytes: String, timeout: Duration = .seconds(5)) async throws
        -> (text: String, closedByServer: Bool)
    {
        let box = NIOLockedValueBox(ByteBuffer())
        let timedOut = NIOLockedValueBox(false)
        let closed = group.next().makePromise(of: Void.self)
        let channel = try await connect(failing: closed) { pipeline in
            try pipeline.addHandler(RawCollector(box: box, closed: closed))
        }
        if !bytes.isEmpty {
            // The server may already have closed (an idle timeout): what it sent still counts.
            try? await channel.writeAndFlush(ByteBuffer(string: bytes)).get()
        }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
            timedOut.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        try? await closed.futureResult.get()
        timer.cancel()
        let text = box.withLockedValue { String(decoding: $0.readableBytesView, as: UTF8.self) }
        return (text, !timedOut.withLockedValue { $0 })
    }
}

extension LiveTestClient {
    /// Connects to the server with `configure` setting up the pipeline; a failed connect
    /// fails `promise` too (NIO traps on promises left unfulfilled).
    func connect<T>(
        failing promise: EventLoopPromise<T>,
        _ configure: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void
    ) async throws -> any Channel {
        do {
            return try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try configure(channel.pipeline.syncOperations) }
                }
                .connect(host: "127.0.0.1", port: port).get()
        } catch {
            promise.fail(error)
            throw error
        }
    }
}

final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let promise: EventLoopPromise<TestResponse>
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<TestResponse>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body(var chunk): body.writeBuffer(&chunk)
        case .end:
            if let head { promise.succeed(TestResponse(status: head.status, headers: head.headers, body: body)) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)  // no-op if already succeeded
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}

private final class RawCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let box: NIOLockedValueBox<ByteBuffer>
    private let closed: EventLoopPromise<Void>

    init(box: NIOLockedValueBox<ByteBuffer>, closed: EventLoopPromise<Void>) {
        self.box = box
        self.closed = closed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        box.withLockedValue { buffer in _ = buffer.writeBuffer(&chunk) }
    }

    func channelInactive(context: ChannelHandlerContext) { closed.succeed() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

extension App {
    /// Starts the real server on 127.0.0.1 and an ephemeral port, with the app's services
    /// (`addServices`), runs `body` with a client for it, then shuts everything down.
    public func withLiveServer<T: Sendable>(
        _ body: @Sendable (LiveTestClient) async throws -> T
    ) async throws -> T {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let server = HTTPServer(responder: try build(), config: config, logger: logger, group: group)
        let services = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await services.run()
                return nil
            }
            do {
                let port = try await server.start(host: "127.0.0.1", port: 0)
                let result = try await body(LiveTestClient(port: port, group: group))
                await server.shutdown()
                await services.triggerGracefulShutdown()
                try await tasks.waitForAll()
                try await group.shutdownGracefully()
                return result
            } catch {
                await server.shutdown()
                await services.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                try? await group.shutdownGracefully()
                throw error
            }
        }
    }
}

extension LiveTestClient {
    /// Opens a raw connection for tests that watch an answer arrive piece by piece (streams,
    /// Server-Sent Events) or that stop reading (back-pressure).
    public func openRaw(autoRead: Bool = true) async throws -> RawConnection {
        let state = RawConnection.State()
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.autoRead, value: autoRead)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RawConnection.Reader(state: state))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, state: state)
    }
}

/// A raw TCP connection to the server under test: send bytes, wait for text to arrive.
public struct RawConnection: Sendable {
    final class State: Sendable {
        let received = NIOLockedValueBox(ByteBuffer())
        let closed = NIOLockedValueBox(false)
    }

    final class Reader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let state: State
        init(state: State) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = unwrapInboundIn(data)
            state.received.withLockedValue { _ = $0.writeBuffer(&chunk) }
        }

        func channelInactive(context: ChannelHandlerContext) { state.closed.withLockedValue { $0 = true } }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    let channel: any Channel
    let state: State

    /// Everything received so far.
    public var text: String { state.received.withLockedValue { String(decoding: $0.readableBytesView, as: UTF8.self) } }
    /// Everything received so far, as bytes (for bodies that are not text).
    public var bytes: [UInt8] { state.received.withLockedValue { Array($0.readableBytesView) } }
    /// Bytes received so far.
    public var receivedBytes: Int { state.received.withLockedValue { $0.readableBytes } }
    /// Whether the server closed the connection (or it was closed here).
    public var isClosed: Bool { state.closed.withLockedValue { $0 } }

    /// Sends `text` as is.
    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Waits until what was received contains `needle` (true) or `timeout` passes (false).
    @discardableResult
    public func waitFor(_ needle: String, timeout: Duration = .seconds(5)) async throws -> Bool {
        try await waitUntil(timeout: timeout) { $0.text.contains(needle) }
    }

    /// Waits until the server closes the connection (true) or `timeout` passes (false).
    @discardableResult
    public func waitForClose(timeout: Duration = .seconds(5)) async throws -> Bool {
        try await waitUntil(timeout: timeout) { $0.isClosed }
    }

    /// Polls `condition` every 5 ms until it holds (true) or `timeout` passes (false).
    public func waitUntil(timeout: Duration, _ condition: (RawConnection) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return condition(self)
    }

    /// Reads once more (for a connection opened with `autoRead: false`).
    public func readMore() {
        channel.read()
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }
}
