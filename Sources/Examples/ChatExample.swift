import Foundation
import Vial

/// WebSockets (issue 18): a chat with rooms by URL, a nickname, and join/leave notices, fanned out
/// through the message broker (in process; `BROKER_URL=redis://…` carries it between instances).
/// A small page at `/` talks to it from a browser.
///
/// ```sh
/// swift run Examples chat
/// open http://127.0.0.1:5000/#lobby                               # the page: room from the URL
/// websocat "ws://127.0.0.1:5000/rooms/lobby?nick=ada"              # or any WebSocket client
/// ```
///
/// Messages are JSON text: the client sends `{"text": "…"}`; the server sends
/// `{"type": "welcome", "members": […]}` to whoever joins, then `join`, `leave` and
/// `message` (`{"type", "nick", "text"}`) for everyone in the room.
enum ChatExample {
    static func make(_ config: AppConfig) -> App {
        let app = App("chat", config: config)
        let broker: any MessageBroker = LocalBroker()
        let rooms = ChatRooms()
        app.get("/", name: "page", docs: RouteDocs(summary: "The chat page", responses: [200: .media("text/html", "The page")])) { _ in
            Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"], body: ByteBuffer(string: page))
        }
        let chat = Blueprint("chat", urlPrefix: "/rooms")
        // A nickname is checked before the upgrade: a bad one is a 400, as for any route.
        chat.before { req -> Response? in
            guard let nick = req.args["nick"], (1...32).contains(nick.count), !nick.contains(where: \.isNewline) else {
                throw HTTPError(.badRequest, "Pass ?nick= (1 to 32 characters)", code: "bad_nick")
            }
            return nil
        }
        chat.websocket(
            "/<room>", name: "room", summary: "Join a chat room",
            docs: RouteDocs(
                tags: ["chat"],
                webSocket: WebSocketDoc(
                    receives: Schema(named: "ChatInput", .string("text", required: true, length: 1...2000)),
                    sends: Schema(
                        named: "ChatEvent", .string("type", required: true, oneOf: ["welcome", "join", "leave", "message"]),
                        .string("nick"), .string("text")),
                    description: "JSON text messages; a welcome with the members first"))
        ) { req, ws in
            let room: String = try req.param("room")
            let nick = req.args["nick"] ?? "?"
            let channel = "chat:" + room
            let subscription = try await broker.subscribe(channel)
            defer { subscription.cancel() }
            let members = rooms.join(room, nick)
            try await ws.send(json: ["type": "welcome", "room": .string(room), "members": .array(members.map(JSON.string))])
            try await broker.publish(channel, event(["type": "join", "nick": .string(nick)]))
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in ws.messages {
                        guard let text = message.text.flatMap({ try? JSON(parsing: Array($0.utf8)) })?["text"]?.stringValue,
                            (1...2000).contains(text.count)
                        else {
                            try await ws.send(json: ["type": "error", "text": #"Send {"text": "…"} (1 to 2000 characters)"#])
                            continue
                        }
                        try await broker.publish(channel, event(["type": "message", "nick": .string(nick), "text": .string(text)]))
                    }
                }
                group.addTask {
                    for await case .message(let payload) in subscription {
                        try await ws.send(String(decoding: payload, as: UTF8.self))
                    }
                }
                _ = try? await group.next()  // the client left (or fell behind): the other side ends too
                group.cancelAll()
            }
            // The local broker delivers at once, even from a task being cancelled.
            rooms.leave(room, nick)
            try? await broker.publish(channel, event(["type": "leave", "nick": .string(nick)]))
        }
        app.register(chat)
        return app
    }

    static func event(_ json: JSON) -> [UInt8] { Array(json.serialized.utf8) }

    /// Who is in each room (for the welcome message).
    final class ChatRooms: Sendable {
        private let members = Locked<[String: [String]]>([:])

        func join(_ room: String, _ nick: String) -> [String] {
            members.withLock { members in
                members[room, default: []].append(nick)
                return members[room]!
            }
        }

        func leave(_ room: String, _ nick: String) {
            members.withLock { members in
                if let index = members[room]?.firstIndex(of: nick) { members[room]!.remove(at: index) }
                if members[room]?.isEmpty == true { members[room] = nil }
            }
        }
    }

    /// The page: the room from the URL's fragment (`/#lobby`), the nickname from `?nick=` or a prompt.
    /// `?greet=TEXT&until=NICK` (for the browser check): say TEXT once NICK is in the room, and mark
    /// the page done once NICK's greeting has arrived.
    static let page = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>Vial chat</title>
        <style>body{font:15px system-ui;margin:2em;max-width:40em}#log{list-style:none;padding:0}.notice{color:#777}</style>
        </head><body>
        <h1>Room <span id="room"></span></h1>
        <p id="state">connecting</p>
        <ul id="log"></ul>
        <form id="say"><input id="text" autocomplete="off" size="40"> <button>Send</button></form>
        <script>
        const params = new URLSearchParams(location.search);
        const room = location.hash.slice(1) || "lobby";
        const nick = params.get("nick") || prompt("Your nickname?") || "guest";
        const greet = params.get("greet"), until = params.get("until");
        document.getElementById("room").textContent = room;
        const scheme = location.protocol === "https:" ? "wss:" : "ws:";
        const socket = new WebSocket(`${scheme}//${location.host}/rooms/${encodeURIComponent(room)}?nick=${encodeURIComponent(nick)}`);
        const log = document.getElementById("log");
        let greeted = false;
        function show(text, kind) {
          const item = document.createElement("li");
          item.className = kind;
          item.textContent = text;
          log.appendChild(item);
        }
        function sayGreeting() {
          if (greet && !greeted) { greeted = true; socket.send(JSON.stringify({text: greet})); }
        }
        socket.onopen = () => { document.getElementById("state").textContent = "open"; };
        socket.onmessage = (event) => {
          const message = JSON.parse(event.data);
          if (message.type === "welcome") {
            show(`welcome to ${message.room}: ${message.members.join(", ")}`, "notice");
            if (until && message.members.includes(until)) sayGreeting();
          } else if (message.type === "join") {
            show(`${message.nick} joined`, "notice");
            if (message.nick === until) sayGreeting();
          } else if (message.type === "leave") {
            show(`${message.nick} left`, "notice");
          } else if (message.type === "message") {
            show(`${message.nick}: ${message.text}`, "message");
            if (until && message.nick === until) {
              document.getElementById("state").textContent = "done";
              setTimeout(() => socket.close(1000), 500);
            }
          }
        };
        socket.onclose = (event) => { if (!until) document.getElementById("state").textContent = "closed " + event.code; };
        document.getElementById("say").onsubmit = (event) => {
          event.preventDefault();
          const input = document.getElementById("text");
          if (input.value) socket.send(JSON.stringify({text: input.value}));
          input.value = "";
        };
        </script></body></html>
        """
}
