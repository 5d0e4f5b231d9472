import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Vial

/// A WebSocket as a test drives it, in-process (`TestClient`) or over loopback (`LiveTestClient`).
///
/// ```swift
/// try await client.webSocket("/echo") { ws in
///     try await ws.send("hello")
///     #expect(try await ws.receive() == .text("hello"))
/// }
/// ```
public final class TestWebSocket: Sendable {
    let transport: any TestWebSocketTransport
    let events: TestSocketEvents

    init(transport: any TestWebSocketTransport, events: TestSocketEvents) {
        self.transport = transport
        self.events = events
    }

    /// Sends a text message.
    public func send(_ text: String) async throws { try await transport.send(.text(text)) }

    /// Sends a binary message.
    public func send(binary bytes: ByteBuffer) async throws { try await transport.send(.binary(bytes)) }

    /// Sends `value` as a JSON text message.
    public func send(json value: JSON) async throws { try await transport.send(.text(value.serialized)) }

    /// The next message from the server; throws `TestWebSocketClosed` once the server closed
    /// the socket, `TestWebSocketTimeout` when nothing came within `timeout`.
    public func receive(timeout: Duration = .seconds(5)) async throws -> WebSocketMessage {
        switch try await events.next(timeout: timeout) {
        case .message(let message): return message
        case .closed(let code, let reason): throw TestWebSocketClosed(code: code, reason: reason)
        }
    }

    /// The next message, which must be text.
    public func receiveText(timeout: Duration = .seconds(5)) async throws -> String {
        let message = try await receive(timeout: timeout)
        guard let text = message.text else { throw TestWebSocketUnexpected(message: message) }
        return text
    }

    /// The next message, which must be a JSON text message.
    public func receiveJSON(timeout: Duration = .seconds(5)) async throws -> JSON {
        try JSON(parsing: Array(try await receiveText(timeout: timeout).utf8))
    }

    /// Starts the close handshake with `code` and waits (up to 5 s) for the server's answer.
    public func close(_ code: WebSocketCloseCode = .normal, reason: String = "") async {
        await transport.close(code, reason: reason)
        _ = try? await waitForClose(timeout: .seconds(5))
    }

    /// Skips messages until the server closes the socket; returns its close code (nil when the
    /// connection ended without a close frame) and reason.
    @discardableResult
    public func waitForClose(timeout: Duration = .seconds(5)) async throws -> (code: WebSocketCloseCode?, reason: String) {
        let deadline = ContinuousClock.now + timeout
        while true {
            if case .closed(let code, let reason) = try await events.next(timeout: deadline - ContinuousClock.now) {
                return (code, reason)
            }
        }
    }
}

/// Thrown by `receive` once the server has closed the socket.
public struct TestWebSocketClosed: Error, Sendable, Equatable {
    /// The server's close code; nil when the connection ended without a close frame.
    public var code: WebSocketCloseCode?
    public var reason: String
}

/// Thrown when nothing arrived in time.
public struct TestWebSocketTimeout: Error, Sendable {}

/// Thrown by `receiveText` for a binary message.
public struct TestWebSocketUnexpected: Error, Sendable {
    public var message: WebSocketMessage
}

/// Thrown when the app refused the handshake: `response` is its HTTP answer.
public struct WebSocketHandshakeRefused: Error, Sendable {
    public var response: TestResponse
}

/// How a test socket reaches its server.
protocol TestWebSocketTransport: Sendable {
    func send(_ message: WebSocketMessage) async throws
    func close(_ code: WebSocketCloseCode, reason: String) async
}

/// What a test socket has received, in order; a close stays as the last event. Read by polling
/// every 5 ms, as `RawConnection.waitUntil` does: a test's timeout is then a plain deadline.
final class TestSocketEvents: Sendable {
    enum Event: Sendable {
        case message(WebSocketMessage)
        case closed(WebSocketCloseCode?, String)
    }

    private let items = NIOLockedValueBox<[Event]>([])

    /// Appends `event`; nothing after a close.
    func push(_ event: Event) {
        items.withLockedValue { items in
            if !isClose(items.last) { items.append(event) }
        }
    }

    var isClosed: Bool { items.withLockedValue { isClose($0.last) } }

    /// The next event; a close is answered again and again once reached.
    func next(timeout: Duration) async throws -> Event {
        let deadline = ContinuousClock.now + timeout
        while true {
            let item = items.withLockedValue { items -> Event? in
                guard let first = items.first else { return nil }
                if !isClose(first) { items.removeFirst() }
                return first
            }
            if let item { return item }
            guard ContinuousClock.now < deadline else { throw TestWebSocketTimeout() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private func isClose(_ event: Event?) -> Bool {
        if case .closed? = event { return true }
        return false
    }
}

/// The headers of a valid handshake, added where the test did not set its own.
func webSocketHandshakeHeaders(_ headers: HTTPHeaders) -> HTTPHeaders {
    var headers = headers
    if !headers.contains(name: "upgrade") { headers.add(name: "Upgrade", value: "websocket") }
    if !headers.contains(name: "connection") { headers.add(name: "Connection", value: "Upgrade") }
    if !headers.contains(name: "sec-websocket-version") { headers.add(name: "Sec-WebSocket-Version", value: "13") }
    if !headers.contains(name: "sec-websocket-key") {
        headers.add(name: "Sec-WebSocket-Key", value: Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())
    }
    return headers
}

extension TestClientProtocol {
    /// Opens a WebSocket on `uri`, runs `body` with it, and closes it (1000) if `body` did not.
    /// Throws `WebSocketHandshakeRefused` with the app's answer when it refuses the handshake.
    public func webSocket<T: Sendable>(
        _ uri: String, headers: HTTPHeaders = [:], _ body: (TestWebSocket) async throws -> T
    ) async throws -> T {
        let socket = try await openWebSocket(uri, headers: headers)
        do {
            let result = try await body(socket)
            if !socket.events.isClosed { await socket.close() }
            return result
        } catch {
            if !socket.events.isClosed { await socket.close() }
            throw error
        }
    }
}
