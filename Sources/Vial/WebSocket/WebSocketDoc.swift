/// What a WebSocket route's messages look like, for the docs: OpenAPI has no WebSocket object,
/// so the route appears as its handshake (`GET`, answering 101) with an `x-websocket` extension
/// holding these schemas.
public struct WebSocketDoc: Sendable {
    /// What the client sends (JSON text messages shaped like this), if documented.
    public var receives: Schema?
    /// What the server sends, if documented.
    public var sends: Schema?
    /// Anything else a client should know (subprotocol, ping message, close codes).
    public var description: String?

    public init(receives: Schema? = nil, sends: Schema? = nil, description: String? = nil) {
        self.receives = receives
        self.sends = sends
        self.description = description
    }
}
