import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOWebSocket
import Testing
@testable import Vial
import VialTesting

/// WebSocket routes: one route table and middleware chain with HTTP, the handshake's checks,
/// and the protocol over a real socket (close codes for each way a client can break it).
@Suite struct WebSocketTests {
    func app(_ configure: (inout AppConfig) -> Void = { _ in }, routes: (App) -> Void) -> App {
        var config = AppConfig()
        config.accessLog = false
        configure(&config)
        let app = App("ws-test", config: config)
        routes(app)
        return app
    }

    /// Runs `body` with the in-process client, or over a socket.
    func withClient(_ app: App, live: Bool, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        if live { try await app.withLiveServer { try await body($0) } } else { try await body(try app.testClient()) }
    }

    func echoApp(_ configure: (inout AppConfig) -> Void = { _ in }) -> App {
        app(configure) { app in
            let bp = Blueprint("chat", urlPrefix: "/chat")
            bp.websocket("/echo/<int:room>", name: "echo") { req, ws in
                let room = try req.param("room", as: Int.self)
                for await message in ws.messages {
                    if message.text == "bye" { return await ws.close(.normal, reason: "bye") }
                    if message.text == "boom" { throw HTTPError(.badRequest, "boom") }
                    if let text = message.text { try await ws.send("\(room):\(text)") } else { try await ws.send(message) }
                }
            }
            app.register(bp)
        }
    }

    // MARK: Routes

    @Test(arguments: [false, true])
    func anEchoRouteInABlueprintAnswersInProcessAndLive(live: Bool) async throws {
        let app = echoApp()
        try await withClient(app, live: live) { client in
            try await client.webSocket("/chat/echo/7") { ws in
                try await ws.send("hello")
                #expect(try await ws.receive() == .text("7:hello"))
                try await ws.send(binary: ByteBuffer(bytes: [0, 1, 2, 255]))
                #expect(try await ws.receive() == .binary(ByteBuffer(bytes: [0, 1, 2, 255])))
                try await ws.send("bye")
                let closed = try await ws.waitForClose()
                #expect(closed.code == .normal)
                #expect(closed.reason == "bye")
            }
        }
    }

    @Test(arguments: [false, true])
    func aHandlerThatThrowsClosesWith1011(live: Bool) async throws {
        let app = echoApp()
        try await withClient(app, live: live) { client in
            try await client.webSocket("/chat/echo/1") { ws in
                try await ws.send("boom")
                #expect(try await ws.waitForClose().code == .internalError)
            }
        }
    }

    @Test func aWebSocketRouteIsListedWithMethodWSAndItsMiddleware() throws {
        let app = app { app in
            app.websocket("/live", name: "live", GuardFor(milliseconds: 100_000)) { _, _ in }
            app.websocket("/rooms/<int:room_id>") { _, _ in }
        }
        let routes = try app.routes()
        let live = try #require(routes.first { $0.endpoint == "live" })
        #expect(live.methods == ["WS"])
        #expect(live.allMethods == ["WS"])
        #expect(live.isWebSocket)
        #expect(live.middleware.contains("guard"))
        #expect(routes.contains { $0.endpoint == "ws_rooms_room_id" && $0.rule == "/rooms/<int:room_id>" })
        #expect(RouteListing.render(routes).contains("WS"))
    }

    @Test func theOpenAPIDocumentShowsTheHandshakeWithAnXWebSocketExtension() throws {
        let message = Schema(named: "ChatMessage", .string("text", required: true))
        let app = app { app in
            app.websocket(
                "/rooms/<int:room_id>", name: "room", summary: "Join a room",
                docs: RouteDocs(webSocket: WebSocketDoc(receives: message, sends: message, description: "Chat"))) { _, _ in }
        }
        let json = try JSON(parsing: Array(try OpenAPIGenerator.json(for: app.routes(), title: "t", version: "1").utf8))
        let get = try #require(json["paths"]?["/rooms/{room_id}"]?["get"])
        #expect(get["operationId"] == "room")
        #expect(get["responses"]?["101"] != nil)
        #expect(get["responses"]?["426"] != nil)
        #expect(get["x-websocket"]?["protocol"] == "websocket")
        #expect(get["x-websocket"]?["description"] == "Chat")
        #expect(get["x-websocket"]?["receives"]?["$ref"] == "#/components/schemas/ChatMessage")
        #expect(json["components"]?["schemas"]?["ChatMessage"] != nil)
    }

    @Test func urlForGivesAWebSocketURL() async throws {
        let app = app { app in
            app.websocket("/rooms/<int:room_id>", name: "room") { _, _ in }
            app.get("/where") { req in try req.urlFor("room", ["room_id": 3], external: true) }
            app.get("/path") { req in try req.urlFor("room", ["room_id": 3]) }
        }
        let client = try app.testClient()
        #expect(try await client.get("/where").text == "ws://localhost/rooms/3")
        #expect(try await client.get("/path").text == "/rooms/3")
        // Behind a trusted TLS proxy: wss.
        var config = AppConfig()
        config.trustedProxies = ["127.0.0.1"]
        let proxied = App("ws-proxy", config: config)
        proxied.websocket("/rooms/<int:room_id>", name: "room") { _, _ in }
        proxied.get("/where") { req in try req.urlFor("room", ["room_id": 3], external: true) }
        let response = try await proxied.testClient().get(
            "/where", headers: ["X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example.com"])
        #expect(response.text == "wss://chat.example.com/rooms/3")
    }

    // MARK: The handshake

    @Test func aPlainGetIsAnsweredWith426() async throws {
        let client = try echoApp().testClient()
        let response = try await client.get("/chat/echo/1")
        #expect(response.status == .upgradeRequired)
        #expect(response.header("Upgrade") == "websocket")
        #expect(try response.json()["error"]?["code"] == "upgrade_required")
    }

    @Test func aWrongVersionIs426AndAMissingKeyIs400() async throws {
        let client = try echoApp().testClient()
        let upgrade: HTTPHeaders = ["Upgrade": "websocket", "Connection": "Upgrade"]
        var old = upgrade
        old.add(name: "Sec-WebSocket-Version", value: "8")
        old.add(name: "Sec-WebSocket-Key", value: "dGhlIHNhbXBsZSBub25jZQ==")
        let wrongVersion = try await client.get("/chat/echo/1", headers: old)
        #expect(wrongVersion.status == .upgradeRequired)
        #expect(wrongVersion.header("Sec-WebSocket-Version") == "13")
        var noKey = upgrade
        noKey.add(name: "Sec-WebSocket-Version", value: "13")
        #expect(try await client.get("/chat/echo/1", headers: noKey).status == .badRequest)
        var shortKey = noKey
        shortKey.add(name: "Sec-WebSocket-Key", value: "c2hvcnQ=")
        #expect(try await client.get("/chat/echo/1", headers: shortKey).status == .badRequest)
    }

    @Test func aCrossSiteOriginIsRefusedAndTheSameOriginOrAListedOneIsNot() async throws {
        let client = try echoApp { $0.webSocket.allowedOrigins = [.exact("https://app.example.com")] }.testClient()
        await #expect(throws: WebSocketHandshakeRefused.self) {
            try await client.webSocket("/chat/echo/1", headers: ["Origin": "https://evil.example"]) { _ in }
        }
        do {
            try await client.webSocket("/chat/echo/1", headers: ["Origin": "https://evil.example"]) { _ in }
        } catch let refusal as WebSocketHandshakeRefused {
            #expect(refusal.response.status == .forbidden)
            #expect(try refusal.response.json()["error"]?["code"] == "origin_not_allowed")
        }
        for origin in ["http://localhost", "https://app.example.com"] {
            try await client.webSocket("/chat/echo/2", headers: ["Origin": origin]) { ws in
                try await ws.send("hi")
                #expect(try await ws.receiveText() == "2:hi")
            }
        }
        // Same host, another port: another origin.
        await #expect(throws: WebSocketHandshakeRefused.self) {
            try await client.webSocket("/chat/echo/1", headers: ["Origin": "http://localhost:8080"]) { _ in }
        }
    }

    @Test func theRouteMiddlewareRefusesBeforeAnyUpgrade() async throws {
        let ran = NIOLockedValueBox(false)
        let app = app { app in
            let bp = Blueprint("private", urlPrefix: "/private")
            bp.before { req -> Response? in
                req.header("Authorization") == "Bearer ok" ? nil : .json(["error": "unauthorized"], status: .unauthorized)
            }
            bp.websocket("/feed") { _, ws in
                ran.withLockedValue { $0 = true }
                try await ws.send("secret")
            }
            app.register(bp)
        }
        try await app.withLiveServer { client in
            do {
                try await client.webSocket("/private/feed") { _ in }
                Issue.record("the handshake should have been refused")
            } catch let refusal as WebSocketHandshakeRefused {
                #expect(refusal.response.status == .unauthorized)
            }
            #expect(!ran.withLockedValue { $0 })
            try await client.webSocket("/private/feed", headers: ["Authorization": "Bearer ok"]) { ws in
                let text = try await ws.receiveText()
                #expect(text == "secret")
            }
            // An unknown path is a 404 like any other.
            await #expect(throws: WebSocketHandshakeRefused.self) { try await client.webSocket("/private/nothing") { _ in } }
        }
    }

    @Test func aGuardClosesTheSocketWith1008() async throws {
        let app = app { app in
            app.websocket("/guarded", GuardFor(milliseconds: 200)) { _, ws in
                for await _ in ws.messages {}
            }
        }
        try await app.withLiveServer { client in
            try await client.webSocket("/guarded") { ws in
                let closed = try await ws.waitForClose(timeout: .seconds(5))
                #expect(closed.code == .policyViolation)
                #expect(closed.reason == "token expired")
            }
        }
    }

    // MARK: The protocol, over a real socket

    @Test func fragmentsAreJoinedAndPingsBetweenThemAnswered() async throws {
        try await echoApp().withLiveServer { client in
            try await client.webSocket("/chat/echo/5") { ws in
                try await ws.sendFrame(WebSocketFrame(fin: false, opcode: .text, maskKey: .random(), data: ByteBuffer(string: "hel")))
                try await ws.sendFrame(WebSocketFrame(fin: true, opcode: .ping, maskKey: .random(), data: ByteBuffer(string: "p")))
                try await ws.sendFrame(WebSocketFrame(fin: true, opcode: .continuation, maskKey: .random(), data: ByteBuffer(string: "lo")))
                #expect(try await ws.receiveText() == "5:hello")
            }
        }
    }

    @Test(arguments: [
        ("unmasked", WebSocketCloseCode.protocolError),
        ("reserved bit", .protocolError),
        ("bad opcode", .protocolError),
        ("lone continuation", .protocolError),
        ("invalid utf-8", .invalidPayload),
        ("too big", .messageTooBig),
        ("too big in fragments", .messageTooBig),
        ("bad close code", .protocolError),
        ("long ping", .protocolError),
    ])
    func aBrokenFrameClosesWithTheCodeRFC6455Prescribes(_ broken: String, _ expected: WebSocketCloseCode) async throws {
        try await echoApp { $0.webSocket.maxMessageSize = 1024 }.withLiveServer { client in
            try await client.webSocket("/chat/echo/1") { ws in
                let key = WebSocketMaskingKey.random()
                switch broken {
                case "unmasked": try await ws.sendFrame(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "x")))
                case "reserved bit":
                    try await ws.sendFrame(WebSocketFrame(fin: true, rsv2: true, opcode: .text, maskKey: key, data: ByteBuffer(string: "x")))
                case "bad opcode":
                    try await ws.sendFrame(WebSocketFrame(fin: true, opcode: WebSocketOpcode(encodedWebSocketOpcode: 0x3)!, maskKey: key, data: ByteBuffer()))
                case "lone continuation":
                    try await ws.sendFrame(WebSocketFrame(fin: true, opcode: .continuation, maskKey: key, data: ByteBuffer(string: "x")))
                case "invalid utf-8":
                    try await ws.sendFrame(WebSocketFrame(fin: true, opcode: .text, maskKey: key, data: ByteBuffer(bytes: [0xCE, 0xBA, 0xE1, 0xBD])))
                case "too big":
                    try await ws.sendFrame(WebSocketFrame(fin: true, opcode: .binary, maskKey: key, data: ByteBuffer(repeating: 1, count: 2000)))
                case "too big in fragments":
                    for index in 0..<3 {
                        try await ws.sendFrame(WebSocketFrame(
                            fin: false, opcode: index == 0 ? .binary : .continuation, maskKey: key, data: ByteBuffer(repeating: 1, count: 500)))
                    }
                case "bad close code":
                    var payload = ByteBuffer()
                    payload.writeInteger(UInt16(1005))
                    try await ws.sendFrame(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: key, data: payload))
                case "long ping":
                    try await ws.sendFrame(WebSocketFrame(fin: true, opcode: .ping, maskKey: key, data: ByteBuffer(repeating: 1, count: 200)))
                default: Issue.record("unknown case \(broken)")
                }
                #expect(try await ws.waitForClose().code == expected, "\(broken)")
            }
        }
    }

    @Test func aClientCloseIsEchoedWithItsCode() async throws {
        let seen = NIOLockedValueBox<WebSocketCloseCode?>(nil)
        let app = app { app in
            app.websocket("/wait") { _, ws in
                for await _ in ws.messages {}
                seen.withLockedValue { $0 = ws.closeCode }
            }
        }
        try await app.withLiveServer { client in
            let ws = try await client.openWebSocket("/wait", headers: [:])
            await ws.close(WebSocketCloseCode(rawValue: 4000), reason: "done")
            // The server answered with 4000 and the handler saw it.
            try await Task.sleep(for: .milliseconds(100))
            #expect(seen.withLockedValue { $0 } == WebSocketCloseCode(rawValue: 4000))
        }
    }

    @Test func aSilentClientIsPingedAndClosedWith1011WhenItDoesNotAnswer() async throws {
        let app = echoApp {
            $0.webSocket.pingInterval = .milliseconds(100)
            $0.webSocket.pingTimeout = .milliseconds(200)
        }
        try await app.withLiveServer { client in
            // A raw client that never answers pings.
            let connection = try await client.openRaw()
            try await connection.send(
                "GET /chat/echo/1 HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            #expect(try await connection.waitFor("101 Switching Protocols"))
            #expect(connection.text.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))  // RFC 6455's own example
            #expect(try await connection.waitUntil(timeout: .seconds(5)) { $0.bytes.contains(0x89) })  // a ping
            #expect(try await connection.waitUntil(timeout: .seconds(5)) { Self.closeCode(in: $0.bytes) == 1011 })
            await connection.close()
        }
        // A client that answers (swift-nio's, through the test client) stays open.
        try await app.withLiveServer { client in
            try await client.webSocket("/chat/echo/1") { ws in
                try await Task.sleep(for: .milliseconds(700))
                try await ws.send("still")
                #expect(try await ws.receiveText() == "1:still")
            }
        }
    }

    @Test func aClientThatNeverReadsIsDroppedAndTheHandlerSendFails() async throws {
        let failed = NIOLockedValueBox(false)
        let app = app { $0.webSocket.sendTimeout = .milliseconds(500) } routes: { app in
            app.websocket("/flood") { _, ws in
                let chunk = String(repeating: "x", count: 64 * 1024)
                do {
                    while true { try await ws.send(chunk) }
                } catch {
                    failed.withLockedValue { $0 = true }
                }
            }
        }
        try await app.withLiveServer { client in
            let connection = try await client.openRaw(autoRead: false)
            try await connection.send(
                "GET /flood HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            connection.readMore()
            #expect(try await connection.waitFor("101 Switching Protocols"))
            // Reads nothing more: the server's sends wait, then it drops the client.
            let deadline = ContinuousClock.now + .seconds(10)
            while !failed.withLockedValue({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(failed.withLockedValue { $0 })
            await connection.close()
        }
    }

    @Test func gracefulShutdownSends1001() async throws {
        var config = AppConfig()
        config.accessLog = false
        config.shutdownTimeout = 20
        let app = App("ws-shutdown", config: config)
        app.websocket("/wait") { _, ws in for await _ in ws.messages {} }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = HTTPServer(responder: try app.build(), config: config, logger: app.logger, group: group)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let ws = try await LiveTestClient(port: port, group: group).openWebSocket("/wait", headers: [:])
        let started = ContinuousClock.now
        await server.shutdown()
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(try await ws.waitForClose(timeout: .seconds(2)).code == .goingAway)
        try await group.shutdownGracefully()
    }

    /// Shutdown that begins while a handshake is still in the middleware: the socket it opens is
    /// closed with 1001 at once (it used to stay open until the shutdown timeout).
    @Test func aHandshakeAnsweredDuringShutdownClosesWith1001() async throws {
        var config = AppConfig()
        config.accessLog = false
        config.shutdownTimeout = 20
        let app = App("ws-shutdown-handshake", config: config)
        let gate = StreamingTests.Gate()
        let arrived = StreamingTests.Gate()
        app.before { (_: inout Request) -> Response? in
            arrived.open()
            await gate.wait()
            return nil
        }
        app.websocket("/wait") { _, ws in for await _ in ws.messages {} }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = HTTPServer(responder: try app.build(), config: config, logger: app.logger, group: group)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let opening = Task { try await LiveTestClient(port: port, group: group).openWebSocket("/wait", headers: [:]) }
        await arrived.wait()
        let shutdown = Task { await server.shutdown() }
        try await Task.sleep(for: .milliseconds(100))  // the quiesce event has gone out
        gate.open()
        let ws = try await opening.value
        #expect(try await ws.waitForClose(timeout: .seconds(5)).code == .goingAway)
        await shutdown.value
        try await group.shutdownGracefully()
    }

    @Test func theAccessLogRecordsASocketWhenItCloses() async throws {
        let lines = CapturedLines()
        var config = AppConfig()
        config.accessLog = true
        let app = App("ws-log", config: config, logger: Logger(label: "test") { _ in CapturingHandler(lines: lines) })
        app.websocket("/hi") { _, ws in try await ws.send("hello") }
        try await app.testClient().webSocket("/hi") { ws in
            #expect(try await ws.receiveText() == "hello")
            _ = try await ws.waitForClose()
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(lines.all.contains { $0.contains("GET /hi") && $0.contains(" 101 ") && $0.contains(" 5 ") })
    }

    /// The code of the first close frame (opcode 0x8, unmasked) in `bytes` after the handshake.
    static func closeCode(in bytes: [UInt8]) -> Int? {
        guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else { return nil }
        var index = end
        while index + 1 < bytes.count {
            let opcode = bytes[index] & 0x0F
            let length = Int(bytes[index + 1] & 0x7F)
            guard length < 126, index + 2 + length <= bytes.count else { return nil }
            if opcode == 0x8, length >= 2 { return Int(bytes[index + 2]) << 8 | Int(bytes[index + 3]) }
            index += 2 + length
        }
        return nil
    }
}

/// Ends a socket after a moment, as a token's expiry does.
struct GuardFor: Middleware {
    var milliseconds: Int
    var name: String { "guard" }
    func handle(_ request: Request, next: Handler) async throws -> Response {
        var response = try await next(request)
        response.addGuard(StreamGuard(reason: "token expired", deadline: Date().addingTimeInterval(Double(milliseconds) / 1000)))
        return response
    }
}
