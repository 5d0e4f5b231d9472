import NIOHTTP1

extension RouteRegistering {
    /// A WebSocket route on `rule`: matched, listed (method `WS`) and protected like any route —
    /// the handshake runs through the same middleware (before hooks, `jwtRequired()`, rate
    /// limits), so a refusal is an ordinary HTTP answer sent before any upgrade. Then the
    /// handshake itself is checked (426 without `Upgrade: websocket` or with a version other
    /// than 13, 400 without a valid key, 403 from a browser origin not allowed), and `handler`
    /// runs on the open socket.
    ///
    /// ```swift
    /// rooms.websocket("/<int:room_id>", name: "room", jwtRequired()) { req, ws in
    ///     for await message in ws.messages { try await ws.send(message) }
    /// }
    /// ```
    public func websocket(
        _ rule: String, name: String? = nil, summary: String? = nil, docs: RouteDocs? = nil,
        settings: WebSocketSettings? = nil, options: RouteOptions = RouteOptions(), _ middleware: any Middleware...,
        handler: @escaping WebSocketUpgrade.Handler
    ) {
        var docs = mergedDocs(summary, docs)
        if docs.webSocket == nil { docs.webSocket = WebSocketDoc() }
        docs.responses[101] = docs.responses[101] ?? .empty("Switching Protocols: the WebSocket is open")
        docs.responses[426] = docs.responses[426] ?? .error("Not a WebSocket handshake, or a version other than 13")
        docs.responses[403] = docs.responses[403] ?? .error("A browser origin not allowed to open sockets here")
        let routeSettings = settings
        addRoute(
            rule, methods: [.GET], name: name ?? defaultEndpointName(methods: [.GET], rule: rule, verb: "ws"), options: options, docs: docs,
            middleware: middleware
        ) { request in
            let settings = routeSettings ?? request.context?.webSocketSettings ?? WebSocketSettings()
            try WebSocketHandshake.check(request, settings: settings)
            return .webSocket(request, settings: settings, handler: handler)
        }
    }
}
