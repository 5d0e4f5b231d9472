/// The bounds every WebSocket lives under (`AppConfig.webSocket`, from `WEBSOCKET_*`).
public struct WebSocketSettings: Sendable, Equatable {
    /// The largest message (and frame) accepted, in bytes; a larger one closes the socket with
    /// 1009 before it is buffered (`WEBSOCKET_MAX_MESSAGE_SIZE`, default 1 MiB).
    public var maxMessageSize = 1 << 20
    /// After this long without hearing from the client the server pings it
    /// (`WEBSOCKET_PING_INTERVAL`, seconds, default 20; 0 turns pings off).
    public var pingInterval: Duration = .seconds(20)
    /// A ping unanswered this long closes the socket with 1011 (`WEBSOCKET_PING_TIMEOUT`,
    /// seconds, default 20).
    public var pingTimeout: Duration = .seconds(20)
    /// A client that takes no data for this long while a send waits is dropped
    /// (`STREAM_SEND_TIMEOUT`, as for streamed responses).
    public var sendTimeout: Duration = .seconds(30)
    /// How long the server waits for the client's close frame after sending its own (the close
    /// handshake, and graceful shutdown's 1001) before closing the connection (`WEBSOCKET_CLOSE_TIMEOUT`, default 5).
    public var closeTimeout: Duration = .seconds(5)
    /// Messages held for a handler that is not reading before the server stops reading the socket.
    public var bufferedMessages = 4
    /// Origins (besides the server's own) whose pages may open sockets: `https://app.example.com`,
    /// `*` wildcards allowed, `*` alone for any (`WEBSOCKET_ORIGINS`, default `CORS_ORIGINS`).
    /// A handshake from any other browser origin is refused with 403.
    public var allowedOrigins: [CORS.Origin] = []

    public init() {}
}

extension WebSocketSettings {
    /// Reads `WEBSOCKET_MAX_MESSAGE_SIZE`, `WEBSOCKET_PING_INTERVAL` (0: no pings),
    /// `WEBSOCKET_PING_TIMEOUT`, `WEBSOCKET_CLOSE_TIMEOUT` and `WEBSOCKET_ORIGINS` (else `CORS_ORIGINS`).
    static func load(_ settings: SettingsReader, sendTimeout: Int) throws -> WebSocketSettings {
        var loaded = WebSocketSettings()
        loaded.maxMessageSize = try settings.integer("WEBSOCKET_MAX_MESSAGE_SIZE", default: loaded.maxMessageSize, in: 125...(1 << 30))
        loaded.pingInterval = .seconds(try settings.integer("WEBSOCKET_PING_INTERVAL", default: 20, in: 0...86_400))
        loaded.pingTimeout = .seconds(try settings.seconds("WEBSOCKET_PING_TIMEOUT", default: 20))
        loaded.closeTimeout = .seconds(try settings.seconds("WEBSOCKET_CLOSE_TIMEOUT", default: 5))
        loaded.sendTimeout = .seconds(sendTimeout)
        let origins = settings["WEBSOCKET_ORIGINS"] != nil ? settings.list("WEBSOCKET_ORIGINS") : settings.list("CORS_ORIGINS")
        loaded.allowedOrigins = origins.map(CORS.Origin.init(parsing:))
        return loaded
    }
}
