import Foundation
import NIOCore
import Testing
import Vial
import VialApp
import VialBlueprints
import VialMiddleware
import VialTesting

/// `GET /api/tasks/events` on a live server: who sees what, resuming, and the token's bound.
@Suite struct TaskEventsTests {
    struct Fixture {
        let bundled: BundledApp
        let carol: User
        var events: TaskEvents { bundled.services.assembly[TasksPlugin.Events.self]! }

        init() async throws {
            bundled = try await BundledApp()
            carol = try await bundled.services.users.create(
                User(username: "carol", email: "carol@example.com", passwordHash: "x", role: .user, createdAt: "2026-01-01T00:00:00Z"))
        }

        func token(_ user: User) -> String {
            bundled.services.jwt.issuer.accessToken(subject: String(user.id!), role: user.role.rawValue, fresh: true)
        }

        /// Opens the event stream as `token`; returns once the subscription is in place.
        func subscribe(_ client: LiveTestClient, _ token: String, lastEventID: String? = nil) async throws -> RawConnection {
            let connection = try await client.openRaw()
            let resume = lastEventID.map { "Last-Event-ID: \($0)\r\n" } ?? ""
            try await connection.send("GET /api/tasks/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(token)\r\n\(resume)\r\n")
            try #require(try await connection.waitFor("retry: 3000\n\n"))
            return connection
        }
    }

    /// Issue 17: a browser's EventSource cannot send a header; with `JWT_TOKEN_LOCATION`
    /// listing `query_string`, an event stream (and nothing else) takes `?jwt=`.
    @Test func anEventStreamMayCarryItsTokenInTheQueryWhenConfigured() async throws {
        let configured = try await BundledApp(["JWT_TOKEN_LOCATION": "headers,query_string"])
        let plain = try await BundledApp()
        let stream = "Accept: text/event-stream\r\n"
        try await configured.app.withLiveServer { client in
            let token = configured.token(1)
            let connection = try await client.openRaw()
            try await connection.send("GET /api/tasks/events?jwt=\(token) HTTP/1.1\r\nHost: t\r\n\(stream)\r\n")
            #expect(try await connection.waitFor("retry: 3000\n\n"))
            await connection.close()
            // Not for a request that does not ask for an event stream, nor for other routes.
            let (notStream, _) = try await client.exchangeRaw("GET /api/tasks/events?jwt=\(token) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(notStream.hasPrefix("HTTP/1.1 401"))
            let (list, _) = try await client.exchangeRaw("GET /api/tasks/?jwt=\(token) HTTP/1.1\r\nHost: t\r\n\(stream)Connection: close\r\n\r\n")
            #expect(list.hasPrefix("HTTP/1.1 401"))
            let (forged, _) = try await client.exchangeRaw("GET /api/tasks/events?jwt=not.a.token HTTP/1.1\r\nHost: t\r\n\(stream)Connection: close\r\n\r\n")
            #expect(forged.hasPrefix("HTTP/1.1 401"))
        }
        try await plain.app.withLiveServer { client in
            let (refused, _) = try await client.exchangeRaw(
                "GET /api/tasks/events?jwt=\(plain.token(1)) HTTP/1.1\r\nHost: t\r\n\(stream)Connection: close\r\n\r\n")
            #expect(refused.hasPrefix("HTTP/1.1 401"))
        }
        #expect(throws: ConfigError.self) { try BundledServices(variables: ["JWT_TOKEN_LOCATION": "cookies"]) }
    }

    @Test func ownersAndAdminsSeeATaskLiveOthersDoNot() async throws {
        let f = try await Fixture()
        let history = Task { try await f.events.run() }
        defer { history.cancel() }
        try await f.bundled.app.withLiveServer { client in
            let owner = try await f.subscribe(client, f.bundled.token(1))
            let admin = try await f.subscribe(client, f.bundled.token(0))
            let other = try await f.subscribe(client, f.token(f.carol))
            #expect(owner.text.contains("Content-Type: text/event-stream"))
            let created = try await client.post(
                "/api/tasks/", json: ["title": "Live one"], headers: ["Authorization": "Bearer \(f.bundled.token(1))"])
            #expect(created.status == .created)
            let id = try #require(created.json()["data"]?["id"]?.intValue)
            #expect(try await owner.waitFor("event: task.created\n"))
            #expect(owner.text.contains("\"title\":\"Live one\""))
            #expect(try await admin.waitFor("event: task.created\n"))
            let deleted = try await client.delete("/api/tasks/\(id)", headers: ["Authorization": "Bearer \(f.bundled.token(1))"])
            #expect(deleted.status == .noContent)
            #expect(try await owner.waitFor("event: task.deleted\n"))
            #expect(try await admin.waitFor("event: task.deleted\n"))
            #expect(!other.text.contains("task."))
            for connection in [owner, admin, other] { await connection.close() }
        }
    }

    @Test func lastEventIDResumesOrAsksForARefetch() async throws {
        let f = try await Fixture()
        let history = Task { try await f.events.run() }
        defer { history.cancel() }
        try await f.bundled.app.withLiveServer { client in
            let auth: HTTPHeaders = ["Authorization": "Bearer \(f.bundled.token(1))"]
            let watcher = try await f.subscribe(client, f.bundled.token(1))
            _ = try await client.post("/api/tasks/", json: ["title": "first"], headers: auth)
            #expect(try await watcher.waitFor("\"title\":\"first\""))
            let text = watcher.text
            // ("\r\n" is one Character in Swift: split the UTF-8 bytes, not the text.)
            let lines = text.utf8.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
            let idLine = try #require(lines.last { $0.hasPrefix("id: ") })
            let firstID = String(idLine.dropFirst(4))
            await watcher.close()
            // Written while nobody listened.
            _ = try await client.post("/api/tasks/", json: ["title": "second"], headers: auth)
            try await Task.sleep(for: .milliseconds(100))  // the history records it through the broker
            let resumed = try await f.subscribe(client, f.bundled.token(1), lastEventID: firstID)
            #expect(try await resumed.waitFor("\"title\":\"second\""))
            #expect(!resumed.text.contains("\"title\":\"first\""))
            await resumed.close()
            let lost = try await f.subscribe(client, f.bundled.token(1), lastEventID: "1-unknown")
            #expect(try await lost.waitFor("event: refetch\n"))
            await lost.close()
        }
    }

    @Test func theStreamNeedsATokenAndEndsWhenItIsRevoked() async throws {
        let f = try await Fixture()
        try await f.bundled.app.withLiveServer { client in
            let anonymous = try await client.get("/api/tasks/events")
            #expect(anonymous.status == .unauthorized)
            let token = f.bundled.token(1)
            let watcher = try await f.subscribe(client, token)
            let logout = try await client.send(.POST, "/auth/logout", body: "", headers: ["Authorization": "Bearer \(token)"])
            #expect(logout.status == .ok)
            // Re-checked every 5 s: the stream's chunked body is then ended.
            #expect(try await watcher.waitFor("\r\n0\r\n\r\n", timeout: .seconds(15)))
            await watcher.close()
        }
    }
}
