import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// An open WebSocket, as a handler sees it: the messages the client sends, and sends back.
///
/// ```swift
/// bp.websocket("/echo") { req, ws in
///     for await message in ws.messages {
///         try await ws.send(message)
///     }
/// }
/// ```
///
/// - `messages` ends when the socket closes, whoever closed it; `closeCode` then says why.
/// - Sends suspend while the client is not taking data; a client that takes nothing for
///   `WebSocketSettings.sendTimeout` is dropped. Once the socket is closing they throw
///   `WebSocketClosed`.
/// - When the handler returns the socket closes with 1000; when it throws, with 1011.
/// - The handler's task is cancelled once the connection is gone, so a handler waiting on
///   something else (a broker subscription) ends too.
public final class WebSocket: Sendable {
    /// The messages from the client, in order; read them from one task.
    public let messages: WebSocketMessages
    private let outbound: any WebSocketOutbound
    private let closeState = NIOLockedValueBox<WebSocketCloseCode?>(nil)

    /// A socket sending through `outbound`, whose messages arrive through the returned source.
    /// The server makes these; a test client makes one to talk to a handler in-process.
    /// `demand` runs when the handler wants more messages after the source reported it had enough.
    public static func make(
        outbound: some WebSocketOutbound, bufferedMessages: Int = 4, demand: @escaping @Sendable () -> Void = {}
    ) -> (WebSocket, WebSocketInboundSource) {
        let producer = NIOAsyncSequenceProducer.makeSequence(
            elementType: WebSocketMessage.self,
            backPressureStrategy: NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(
                lowWatermark: max(bufferedMessages / 4, 1), highWatermark: max(bufferedMessages, 1)),
            finishOnDeinit: false, delegate: DemandDelegate(demand: demand))
        let socket = WebSocket(messages: WebSocketMessages(producer.sequence), outbound: outbound)
        return (socket, WebSocketInboundSource(source: producer.source, socket: socket))
    }

    private init(messages: WebSocketMessages, outbound: any WebSocketOutbound) {
        self.messages = messages
        self.outbound = outbound
    }

    /// Sends `message`.
    public func send(_ message: WebSocketMessage) async throws {
        try await outbound.send(message)
    }

    /// Sends a text message.
    public func send(_ text: String) async throws {
        try await outbound.send(.text(text))
    }

    /// Sends a binary message.
    public func send(binary bytes: ByteBuffer) async throws {
        try await outbound.send(.binary(bytes))
    }

    /// Sends `value` as a JSON text message (keys sorted).
    public func send(json value: JSON) async throws {
        try await outbound.send(.text(value.serialized))
    }

    /// Sends any `Encodable` as a JSON text message (keys sorted).
    @_disfavoredOverload
    public func send(json value: some Encodable & Sendable) async throws {
        try await outbound.send(.text(String(decoding: try JSONCoding.encode(value), as: UTF8.self)))
    }

    /// Starts the close handshake with `code` and `reason` (at most 123 bytes of UTF-8 are
    /// sent); returns at once. Later sends throw `WebSocketClosed`; `messages` ends.
    public func close(_ code: WebSocketCloseCode = .normal, reason: String = "") async {
        await outbound.close(code, reason: reason)
    }

    /// Why the socket closed: the client's code, or 1006 when the connection ended without
    /// one; nil while it is open.
    public var closeCode: WebSocketCloseCode? { closeState.withLockedValue { $0 } }

    func closed(with code: WebSocketCloseCode) {
        closeState.withLockedValue { if $0 == nil { $0 = code } }
    }
}

/// Where a `WebSocket`'s sends go: the server's connection, or a test client's in-memory peer.
public protocol WebSocketOutbound: Sendable {
    /// Sends one message; suspends while the peer is not taking data; throws
    /// `WebSocketClosed` once the socket is closing.
    func send(_ message: WebSocketMessage) async throws
    /// Starts the close handshake (nothing once it has begun).
    func close(_ code: WebSocketCloseCode, reason: String) async
}

/// The feeding end of a socket's `messages`: the server (or a test client) hands it each
/// message as it arrives.
public struct WebSocketInboundSource: Sendable {
    let source: NIOAsyncSequenceProducer<WebSocketMessage, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, DemandDelegate>.Source
    let socket: WebSocket

    /// Delivers `message`; answers false when enough messages wait unread (stop reading until
    /// the `demand` callback runs).
    @discardableResult
    public func deliver(_ message: WebSocketMessage) -> Bool {
        source.yield(message) == .produceMore
    }

    /// Ends `messages` (after those waiting are read); `code` becomes the socket's `closeCode`.
    public func finish(_ code: WebSocketCloseCode) {
        socket.closed(with: code)
        source.finish()
    }
}

/// The messages of one socket; iterate it once (a second iteration ends at once).
public struct WebSocketMessages: AsyncSequence, Sendable {
    public typealias Element = WebSocketMessage
    typealias Producer = NIOAsyncSequenceProducer<
        WebSocketMessage, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, DemandDelegate
    >

    private let producer: Producer
    private let taken = NIOLockedValueBox(false)

    init(_ producer: Producer) { self.producer = producer }

    public func makeAsyncIterator() -> Iterator {
        let first = taken.withLockedValue { taken in
            defer { taken = true }
            return !taken
        }
        return Iterator(base: first ? producer.makeAsyncIterator() : nil)
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator?

        public mutating func next() async -> WebSocketMessage? {
            await base?.next()
        }
    }
}

struct DemandDelegate: NIOAsyncSequenceProducerDelegate {
    let demand: @Sendable () -> Void
    func produceMore() { demand() }
    func didTerminate() {}
}
