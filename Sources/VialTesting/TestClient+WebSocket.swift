import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Vial

extension TestClient {
    /// In-process: the handshake runs through the app; when the route upgrades, its handler runs
    /// on a socket whose messages travel in memory (close codes as the server would send them).
    /// Timing, back-pressure and the wire protocol are `LiveTestClient`'s to test.
    public func openWebSocket(_ uri: String, headers: HTTPHeaders = [:]) async throws -> TestWebSocket {
        var headers = webSocketHandshakeHeaders(headers)
        if !headers.contains(name: "host") { headers.add(name: "Host", value: "localhost") }
        let request = Request(method: .GET, uri: uri, headers: headers, body: ByteBuffer(), remoteAddress: remoteAddress)
        let response = await responder.respond(to: request)
        guard let upgrade = response.webSocket else {
            throw WebSocketHandshakeRefused(response: TestResponse(status: response.status, headers: response.headers, body: response.body))
        }
        let events = TestSocketEvents()
        let link = InProcessLink(events: events)
        let (socket, source) = WebSocket.make(outbound: ServerEnd(link: link))
        link.attach(source)
        let task = Task {
            await upgrade.run(on: socket)
            upgrade.onFinish?(link.bytesSent)
        }
        link.attach(task)
        return TestWebSocket(transport: TestEnd(link: link), events: events)
    }
}

/// Both ends of an in-process socket: the server's sends become the test's events, the test's
/// sends become the handler's messages.
final class InProcessLink: Sendable {
    private struct State {
        var source: WebSocketInboundSource?
        var task: Task<Void, Never>?
        var closed = false
        var bytesSent = 0
    }

    let events: TestSocketEvents
    private let state = NIOLockedValueBox(State())

    init(events: TestSocketEvents) { self.events = events }

    func attach(_ source: WebSocketInboundSource) { state.withLockedValue { $0.source = source } }
    func attach(_ task: Task<Void, Never>) { state.withLockedValue { $0.task = task } }
    var bytesSent: Int { state.withLockedValue { $0.bytesSent } }

    /// The handler sends.
    func serverSends(_ message: WebSocketMessage) throws {
        let open = state.withLockedValue { state -> Bool in
            if !state.closed { state.bytesSent += message.bytes.readableBytes }
            return !state.closed
        }
        guard open else { throw WebSocketClosed() }
        events.push(.message(message))
    }

    /// The handler (or a guard) closes.
    func serverCloses(_ code: WebSocketCloseCode, reason: String) {
        guard let source = takeClose() else { return }
        source.finish(code)
        events.push(.closed(code, reason))
    }

    /// The test sends.
    func testSends(_ message: WebSocketMessage) throws {
        guard let source = state.withLockedValue({ $0.closed ? nil : $0.source }) else { throw WebSocketClosed() }
        source.deliver(message)
    }

    /// The test closes: the server answers with the same code, then the connection is gone.
    func testCloses(_ code: WebSocketCloseCode) {
        guard let source = takeClose() else { return }
        source.finish(code)
        events.push(.closed(code == .noStatus ? nil : code, ""))
        state.withLockedValue { $0.task }?.cancel()
    }

    private func takeClose() -> WebSocketInboundSource? {
        state.withLockedValue { state in
            guard !state.closed else { return nil }
            state.closed = true
            return state.source
        }
    }
}

struct ServerEnd: WebSocketOutbound {
    let link: InProcessLink
    func send(_ message: WebSocketMessage) async throws { try link.serverSends(message) }
    func close(_ code: WebSocketCloseCode, reason: String) async { link.serverCloses(code, reason: reason) }
}

struct TestEnd: TestWebSocketTransport {
    let link: InProcessLink
    func send(_ message: WebSocketMessage) async throws { try link.testSends(message) }
    func close(_ code: WebSocketCloseCode, reason: String) async { link.testCloses(code) }
}
