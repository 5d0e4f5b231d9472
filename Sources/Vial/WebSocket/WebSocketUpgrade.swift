import Logging
import NIOHTTP1

/// What a WebSocket route answers once its middleware let the handshake through: the server
/// sends `101 Switching Protocols` and runs `handler` on the socket. Middleware sees it as a
/// `Response` whose `webSocket` is set (and may add `guards`, as `jwtRequired` does).
public struct WebSocketUpgrade: Sendable {
    /// A WebSocket route's handler.
    public typealias Handler = @Sendable (Request, WebSocket) async throws -> Void

    /// The handshake request, as the route's middleware left it (claims, storage).
    public let request: Request
    let handler: Handler
    /// The socket's bounds.
    public var settings: WebSocketSettings
    /// What closes the socket early, with 1008 and the guard's reason (a JWT's expiry and revocation).
    public var guards: [StreamGuard] = []
    /// Called once when the socket is gone, with the bytes of message payload sent (the access log's hook).
    public var onFinish: (@Sendable (_ bytesSent: Int) -> Void)?
    /// Where a handler's error is logged.
    var logger: Logger?

    init(request: Request, settings: WebSocketSettings, handler: @escaping Handler) {
        self.request = request
        self.settings = settings
        self.handler = handler
    }

    /// Adds a hook run after any already set, when the socket is gone.
    public mutating func whenFinished(_ hook: @escaping @Sendable (_ bytesSent: Int) -> Void) {
        let earlier = onFinish
        onFinish = { sent in
            earlier?(sent)
            hook(sent)
        }
    }

    /// Runs the handler on `socket` under the guards, then closes the socket: 1000 when the
    /// handler returns, 1011 when it throws (logged), 1008 when a guard ends it. The server
    /// and the in-process test client both run sockets through here.
    public func run(on socket: WebSocket) async {
        let request = self.request
        let handler = self.handler
        do {
            switch try await StreamGuard.run(guards, { try await handler(request, socket) }) {
            case .completed: await socket.close(.normal)
            case .guardEnded(let reason): await socket.close(.policyViolation, reason: reason)
            }
        } catch where error is WebSocketClosed || error is CancellationError || Task.isCancelled {
            await socket.close(.normal)  // the socket is already closing: nothing is sent
        } catch {
            logger?.error("WebSocket handler failed: \(error)", metadata: ["request_id": .string(request.id)])
            await socket.close(.internalError, reason: "Internal server error")
        }
    }
}

extension Response {
    /// The answer that opens a WebSocket running `handler` (what `websocket(…)` routes return
    /// after checking the handshake).
    public static func webSocket(
        _ request: Request, settings: WebSocketSettings, handler: @escaping WebSocketUpgrade.Handler
    ) -> Response {
        Response(status: .switchingProtocols, webSocket: WebSocketUpgrade(request: request, settings: settings, handler: handler))
    }
}

extension Response {
    /// Adds `guard` to a streamed answer or a WebSocket (nothing for a buffered answer): what
    /// ends either early, as `jwtRequired` ends them when the token that opened them expires.
    public mutating func addGuard(_ guard: StreamGuard) {
        if var stream {
            stream.addGuard(`guard`)
            self.stream = stream
        } else if var webSocket {
            webSocket.guards.append(`guard`)
            self.webSocket = webSocket
        }
    }
}
