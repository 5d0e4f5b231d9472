import Testing
import Vial
import VialApp
import VialBlueprints
import VialMiddleware
import VialTesting

/// `JWT_BLOCKLIST_STORAGE_URI=redis://…`: a logout on one instance is seen by every other before
/// the logout answers (issue 11). Two assembled apps stand for two instances.
@Suite(.enabled(if: RedisTestServer.isAvailable, "needs redis-server"))
struct SharedBlocklistTests {
    func instance(_ redis: RedisTestServer, _ extra: [String: String] = [:]) async throws -> TestClient {
        let settings = ["JWT_SECRET_KEY": "shared-secret-0123456789abcdef0123456789", "JWT_BLOCKLIST_STORAGE_URI": redis.url]
        return try await BundledApp(settings.merging(extra) { _, new in new }).app.testClient()
    }

    func login(_ client: TestClient) async throws -> HTTPHeaders {
        let json = try await client.post("/auth/login", json: ["username": "user", "password": "password"]).json()
        return ["Authorization": "Bearer \(json["access_token"]!.stringValue!)"]
    }

    @Test func aLogoutOnOneInstanceIsSeenByTheOtherAtOnce() async throws {
        let redis = try RedisTestServer()
        let a = try await instance(redis)
        let b = try await instance(redis)
        let token = try await login(a)
        #expect(try await b.get("/auth/me", headers: token).status == .ok)
        #expect(try await a.post("/auth/logout", json: [:], headers: token).status == .ok)
        let after = try await b.get("/auth/me", headers: token)
        #expect(after.status == .unauthorized)
        #expect(try after.json()["error"]?["message"] == "Token has been revoked")
    }

    /// Issue 18: a WebSocket ticket opens one socket, whichever instance it is taken to.
    @Test func aTicketIsUsedOnceAcrossInstances() async throws {
        let redis = try RedisTestServer()
        let a = try await instance(redis)
        let b = try await instance(redis)
        let token = try await login(a)
        for (first, second) in [(a, b), (b, a)] {
            let ticket = try await first.post("/auth/ws-ticket", json: [:], headers: token).json()["ticket"]!.stringValue!
            try await second.webSocket("/api/tasks/live?ticket=\(ticket)") { ws in
                try await ws.send(json: ["type": "ping"])
                #expect(try await ws.receiveJSON() == ["type": "pong"])
            }
            for instance in [first, second] {
                await #expect(throws: WebSocketHandshakeRefused.self) {
                    try await instance.webSocket("/api/tasks/live?ticket=\(ticket)") { _ in }
                }
            }
        }
    }

    /// Issue 16, item 14: Redis runs without persistence (the compose file, the cluster check),
    /// and after its restart a logged-out token was accepted again. The database keeps every
    /// revocation, and Redis is refilled from it when it comes back empty.
    @Test func aLogoutSurvivesARedisRestart() async throws {
        let redis = try RedisTestServer()
        let client = try await instance(redis)
        let token = try await login(client)
        let kept = try await login(client)
        #expect(try await client.post("/auth/logout", json: [:], headers: token).status == .ok)
        redis.stop()
        try redis.start()
        // The client reconnects with a short back-off: the first answers may be 503.
        var status = HTTPResponseStatus.serviceUnavailable
        for _ in 0..<100 where status == .serviceUnavailable {
            status = try await client.get("/auth/me", headers: token).status
            if status == .serviceUnavailable { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(status == .unauthorized)
        #expect(try await client.get("/auth/me", headers: kept).status == .ok)
    }

    /// With the blocklist unreachable a token is neither accepted nor a 500: 503, and a logout
    /// that could not be recorded says so.
    @Test func anUnreachableBlocklistAnswers503() async throws {
        let redis = try RedisTestServer()
        let client = try await instance(redis)
        let token = try await login(client)
        redis.stop()
        let me = try await client.get("/auth/me", headers: token)
        #expect(me.status == .serviceUnavailable)
        #expect(try me.json()["error"]?["code"] == "token_check_unavailable")
    }

    @Test func aBadBlocklistURIIsNamed() async throws {
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["JWT_BLOCKLIST_STORAGE_URI": "memcached://x"]) }
    }
}
