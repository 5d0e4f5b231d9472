import Foundation
import NIOCore
import Testing
import Vial
import VialApp
import VialBlueprints
import VialMiddleware
import VialTesting

/// `GET /api/tasks/live` (WebSocket): who sees what, ping, and the browser-safe ticket.
@Suite struct TaskLiveTests {
    @Test func ownersAndAdminsSeeTaskEventsOnTheSocketOthersDoNot() async throws {
        let bundled = try await BundledApp()
        let carol = try await bundled.services.users.create(
            User(username: "carol", email: "carol@example.com", passwordHash: "x", role: .user, createdAt: "2026-01-01T00:00:00Z"))
        let carolToken = bundled.services.jwt.issuer.accessToken(subject: String(carol.id!), role: "user", fresh: true)
        try await bundled.app.withLiveServer { client in
            let owner = try await client.openWebSocket("/api/tasks/live", headers: ["Authorization": "Bearer \(bundled.token(1))"])
            let admin = try await client.openWebSocket("/api/tasks/live", headers: ["Authorization": "Bearer \(bundled.token(0))"])
            let other = try await client.openWebSocket("/api/tasks/live", headers: ["Authorization": "Bearer \(carolToken)"])
            // A ping answered means the handler (and its subscription) is running.
            for socket in [owner, admin, other] {
                try await socket.send(json: ["type": "ping"])
                #expect(try await socket.receiveJSON() == ["type": "pong"])
            }
            let created = try await client.post(
                "/api/tasks/", json: ["title": "Live one"], headers: ["Authorization": "Bearer \(bundled.token(1))"])
            let id = try #require(created.json()["data"]?["id"]?.intValue)
            for socket in [owner, admin] {
                let event = try await socket.receiveJSON()
                #expect(event["event"] == "task.created")
                #expect(event["data"]?["title"] == "Live one")
                #expect(event["data"]?["id"]?.intValue == id)
                #expect(event["id"]?.stringValue?.isEmpty == false)
            }
            _ = try await client.delete("/api/tasks/\(id)", headers: ["Authorization": "Bearer \(bundled.token(1))"])
            #expect(try await owner.receiveJSON()["event"] == "task.deleted")
            // Carol saw neither: her next message is the answer to her next ping.
            try await other.send(json: ["type": "ping"])
            #expect(try await other.receiveJSON() == ["type": "pong"])
            try await other.send("hello")
            #expect(try await other.receiveJSON()["type"] == "error")
            for socket in [owner, admin, other] { await socket.close() }
        }
    }

    @Test func theHandshakeNeedsAToken() async throws {
        let bundled = try await BundledApp()
        try await bundled.app.withLiveServer { client in
            for headers: HTTPHeaders in [[:], ["Authorization": "Bearer not.a.token"]] {
                do {
                    try await client.webSocket("/api/tasks/live", headers: headers) { _ in }
                    Issue.record("opened without a valid token")
                } catch let refusal as WebSocketHandshakeRefused {
                    #expect(refusal.response.status == .unauthorized)
                }
            }
        }
    }

    @Test func aBrowserOpensTheSocketWithASingleUseTicket() async throws {
        let bundled = try await BundledApp()
        try await bundled.app.withLiveServer { client in
            let issued = try await client.send(.POST, "/auth/ws-ticket", body: "", headers: ["Authorization": "Bearer \(bundled.token(1))"])
            #expect(issued.status == .ok)
            let ticket = try #require(try issued.json()["ticket"]?.stringValue)
            #expect(try issued.json()["expires_in"]?.intValue == 30)
            try await client.webSocket("/api/tasks/live?ticket=\(ticket)") { ws in
                try await ws.send(json: ["type": "ping"])
                #expect(try await ws.receiveJSON() == ["type": "pong"])
            }
            // Used once: never again, on this instance or another (the claim is in the shared store).
            do {
                try await client.webSocket("/api/tasks/live?ticket=\(ticket)") { _ in }
                Issue.record("a ticket opened two sockets")
            } catch let refusal as WebSocketHandshakeRefused {
                #expect(refusal.response.status == .unauthorized)
                #expect(try refusal.response.json()["error"]?["code"] == "ticket_used")
            }
            // A ticket is no bearer token, and opens nothing but a WebSocket.
            let fresh = try await client.send(.POST, "/auth/ws-ticket", body: "", headers: ["Authorization": "Bearer \(bundled.token(1))"])
            let another = try #require(try fresh.json()["ticket"]?.stringValue)
            #expect(try await client.get("/api/tasks/", headers: ["Authorization": "Bearer \(another)"]).status == .unauthorized)
            #expect(try await client.get("/api/tasks/?ticket=\(another)").status == .unauthorized)
            #expect(try await client.get("/auth/me?ticket=\(another)").status == .unauthorized)
            // Still unused, it opens a socket.
            try await client.webSocket("/api/tasks/live?ticket=\(another)") { ws in
                try await ws.send(json: ["type": "ping"])
                #expect(try await ws.receiveJSON() == ["type": "pong"])
            }
        }
    }

    @Test func aSocketClosesWith1008WhenItsTokenIsRevoked() async throws {
        let bundled = try await BundledApp()
        try await bundled.app.withLiveServer { client in
            let token = bundled.token(1)
            let issued = try await client.send(.POST, "/auth/ws-ticket", body: "", headers: ["Authorization": "Bearer \(token)"])
            let ticket = try #require(try issued.json()["ticket"]?.stringValue)
            let byHeader = try await client.openWebSocket("/api/tasks/live", headers: ["Authorization": "Bearer \(token)"])
            let byTicket = try await client.openWebSocket("/api/tasks/live?ticket=\(ticket)", headers: [:])
            let logout = try await client.send(.POST, "/auth/logout", body: "", headers: ["Authorization": "Bearer \(token)"])
            #expect(logout.status == .ok)
            // Re-checked every 5 s.
            for socket in [byHeader, byTicket] {
                let closed = try await socket.waitForClose(timeout: .seconds(15))
                #expect(closed.code == .policyViolation)
                #expect(closed.reason == "token revoked")
            }
        }
    }

    @Test func theLiveRouteIsListedAsAWebSocket() throws {
        let bundled = try BundledServices(variables: ["APP_ENV": "testing"])
        let route = try #require(try bundled.app.routes().first { $0.endpoint == "tasks.task_live" })
        #expect(route.methods == ["WS"])
        #expect(route.rule == "/api/tasks/live")
        #expect(route.middleware.contains("jwt"))
    }
}
