import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Vial

extension LiveTestClient {
    /// Over loopback, with swift-nio's client upgrader (it checks `Sec-WebSocket-Accept`) and
    /// frame codec: what a real client sends, masked.
    public func openWebSocket(_ uri: String, headers: HTTPHeaders = [:]) async throws -> TestWebSocket {
        let events = TestSocketEvents()
        let outcome = group.next().makePromise(of: TestResponse?.self)  // nil: upgraded
        // Not a 101: the app's answer, collected as any other response.
        let refusal = group.next().makePromise(of: TestResponse.self)
        refusal.futureResult.whenComplete { outcome.completeWith($0.map(Optional.some)) }
        var headers = headers
        if !headers.contains(name: "host") { headers.add(name: "Host", value: "127.0.0.1:\(port)") }
        let key = headers.first(name: "sec-websocket-key") ?? NIOWebSocketClientUpgrader.randomRequestKey()
        headers.remove(name: "sec-websocket-key")
        let channel = try await connect(failing: refusal) { pipeline in
            let upgrader = NIOWebSocketClientUpgrader(requestKey: key, maxFrameSize: 1 << 26, automaticErrorHandling: false) { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    sync.removeHandler(try sync.handler(type: ResponseCollector.self), promise: nil)
                    try sync.addHandler(ClientFrameHandler(events: events))
                }
            }
            try pipeline.addHTTPClientHandlers(
                leftOverBytesStrategy: .forwardBytes,
                withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in outcome.succeed(nil) }))
            try pipeline.addHandler(ResponseCollector(promise: refusal))
        }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        if let refused = try await outcome.futureResult.get() {
            channel.close(promise: nil)
            throw WebSocketHandshakeRefused(response: refused)
        }
        // The collector left the pipeline with the upgrade: its promise is no longer wanted.
        refusal.fail(ChannelError.inputClosed)
        return TestWebSocket(transport: LiveLink(channel: channel), events: events)
    }
}

extension TestWebSocket {
    /// Sends `frame` as it is (a live socket only): masked when it has a `maskKey`, reserved
    /// bits and opcode as set — for tests of how the server answers protocol errors.
    public func sendFrame(_ frame: WebSocketFrame) async throws {
        guard let live = transport as? LiveLink else { throw TestWebSocketUnsupported() }
        try await live.channel.writeAndFlush(frame).get()
    }
}

/// Thrown by raw-frame calls on an in-process socket.
public struct TestWebSocketUnsupported: Error, Sendable {}

/// A live test socket's client end: masked frames out; messages, pings and the close in.
final class ClientFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let events: TestSocketEvents
    private var fragments: (isText: Bool, data: ByteBuffer)?

    init(events: TestSocketEvents) { self.events = events }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        var payload = frame.unmaskedData
        switch frame.opcode {
        case .text, .binary:
            if frame.fin { deliver(frame.opcode == .text, payload) } else { fragments = (frame.opcode == .text, payload) }
        case .continuation:
            guard var pending = fragments else { return }
            pending.data.writeBuffer(&payload)
            fragments = frame.fin ? nil : pending
            if frame.fin { deliver(pending.isText, pending.data) }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload)), promise: nil)
        case .connectionClose:
            let code = payload.readInteger(as: UInt16.self).map(WebSocketCloseCode.init(rawValue:))
            let reason = payload.readString(length: payload.readableBytes) ?? ""
            if !events.isClosed {
                // Answer with the same code; the server then closes the connection.
                var answer = context.channel.allocator.buffer(capacity: 2)
                if let code { answer.writeInteger(code.rawValue) }
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: answer)), promise: nil)
            }
            events.push(.closed(code, reason))
        default:
            break
        }
    }

    private func deliver(_ isText: Bool, _ data: ByteBuffer) {
        events.push(.message(isText ? .text(String(decoding: data.readableBytesView, as: UTF8.self)) : .binary(data)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        events.push(.closed(nil, ""))  // nothing once a close frame came
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Sends from a test over the live connection.
struct LiveLink: TestWebSocketTransport {
    let channel: any Channel

    func send(_ message: WebSocketMessage) async throws {
        let frame: WebSocketFrame
        switch message {
        case .text(let text): frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        case .binary(let bytes): frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: bytes)
        }
        try await channel.writeAndFlush(frame).get()
    }

    func close(_ code: WebSocketCloseCode, reason: String) async {
        var data = ByteBuffer()
        data.writeInteger(code.rawValue)
        data.writeString(reason)
        try? await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)).get()
    }
}
