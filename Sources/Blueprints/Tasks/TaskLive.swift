import Vial

extension TasksBlueprint {
    /// What the client may send on `/live`, and what the server sends.
    static let liveClientMessage = Schema(named: "LiveClientMessage", .string("type", required: true, oneOf: ["ping"]))
    static let liveServerMessage = Schema(
        named: "LiveServerMessage", .string("event", description: "task.created, task.updated, task.deleted, refetch"),
        .string("id", description: "The event's id (as the event stream's)"),
        Field("data", .any, nullable: true, description: "The task, as the event stream's data"),
        .string("type", description: "pong, or error"))

    /// `GET /live` (WebSocket): the caller's task events (admins: everyone's), the same ones the
    /// event stream sends, as JSON text messages `{"event", "id", "data"}`; `{"type": "ping"}`
    /// is answered with `{"type": "pong"}`. Behind the blueprint's `jwtRequired()` and rate
    /// limit like every task route: the token comes in `Authorization`, or (browsers) as a
    /// ticket from `POST /auth/ws-ticket`; the socket closes (1008) when that token expires or
    /// is revoked.
    static func liveRoute(_ blueprint: Blueprint, _ events: TaskEvents) {
        blueprint.websocket(
            "/live", name: "task_live",
            docs: RouteDocs(
                summary: "Live task events (WebSocket)",
                description: """
                    The events of `GET /api/tasks/events` as JSON text messages `{"event", "id", "data"}`, for the \
                    caller's tasks (admins: all), from every instance; a `refetch` event when some were missed. \
                    Send `{"type":"ping"}` to get `{"type":"pong"}`. Browsers authenticate with \
                    `?ticket=` from `POST /auth/ws-ticket`.
                    """,
                tags: ["tasks"],
                webSocket: WebSocketDoc(receives: liveClientMessage, sends: liveServerMessage))
        ) { req, ws in
            let caller = try CurrentUser(req)
            let subscription = try await events.broker.subscribe(TaskEvents.channel)
            defer { subscription.cancel() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in ws.messages {
                        try await ws.send(json: reply(to: message))
                    }
                }
                group.addTask {
                    for await message in subscription {
                        switch message {
                        case .gap:
                            try await ws.send(json: ["event": "refetch", "data": ["reason": "events were missed; fetch the tasks again"]])
                        case .message(let payload):
                            guard let event = TaskEvents.decode(payload), event.isVisible(to: caller) else { continue }
                            try await ws.send(json: event.liveMessage)
                        }
                    }
                    // The subscription ended: the client fell too far behind to catch up.
                    if subscription.overrun { await ws.close(.policyViolation, reason: "Too far behind; reconnect and refetch") }
                }
                // Either side ending (the client closed, or fell behind) ends the socket.
                _ = try await group.next()
                group.cancelAll()
            }
        }
    }

    /// The answer to a client message: a pong for a ping, an error for anything else.
    static func reply(to message: WebSocketMessage) -> JSON {
        guard let text = message.text, let json = try? JSON(parsing: Array(text.utf8)), json["type"] == "ping" else {
            return ["type": "error", "message": #"Send {"type":"ping"}; nothing else is understood"#]
        }
        return ["type": "pong"]
    }
}

extension TaskEvents.Event {
    /// The event as a WebSocket message: `{"event", "id", "data"}`, data as the event stream's.
    var liveMessage: JSON {
        let sse = serverSentEvent
        return ["event": .string(type), "id": .string(id), "data": (try? JSON(parsing: Array(sse.data.utf8))) ?? .null]
    }
}
