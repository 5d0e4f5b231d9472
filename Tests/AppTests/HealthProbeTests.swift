import Foundation
import NIOPosix
import Testing
import Vial
import VialApp
import VialBlueprints
import VialTesting

/// Liveness and readiness: what an orchestrator or nginx polls.
@Suite struct HealthProbeTests {
    @Test func liveAndReadyOnTheEmbeddedDefaults() async throws {
        let client = try await BundledApp().app.testClient()
        #expect(try await client.get("/health/live").json() == ["status": "ok"])
        // SQLite and in-process limits and cache: the database is the only dependency.
        #expect(try await client.get("/health/ready").json() == ["status": "ok", "checks": ["database": "ok"]])
    }

    /// PostgreSQL down (here: nothing listens on its port): requests that need it answer 503
    /// `database_unavailable` within seconds, not a 500 and not a hang; readiness names the
    /// database; liveness stays up. (No clock here: a loaded run once took 26 s for the 5 s lease
    /// timeout; without the timeout the request would wait for good, which the time limit catches.)
    @Test(.timeLimit(.minutes(1))) func anUnreachableDatabaseIs503() async throws {
        let port = try await { () async throws -> Int in
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
            defer { channel.close(promise: nil) }
            return channel.localAddress!.port!
        }()
        var config = try AppConfig.load(from: [
            "APP_ENV": "testing", "DATABASE_URL": "postgresql://vial:secret-pw@127.0.0.1:\(port)/gone",
            "JWT_SECRET_KEY": "unreachable-db-secret-0123456789abcdef",
        ])
        config.accessLog = false
        let client = try Bundled.application.assemble(config: config).app.testClient()
        let login = try await client.post("/auth/login", json: ["username": "user", "password": "password"])
        #expect(login.status == .serviceUnavailable)
        #expect(try login.json()["error"]?["code"] == "database_unavailable")
        #expect(!login.text.contains("secret-pw"))
        let ready = try await client.get("/health/ready")
        #expect(ready.status == .serviceUnavailable)
        #expect(try ready.json()["error"]?["details"]?["database"] == "unavailable")
        #expect(try await client.get("/health").status == .serviceUnavailable)
        #expect(try await client.get("/health/live").status == .ok)
    }

    /// Every Redis in use is a dependency: when it goes, the instance is not ready (503 naming
    /// each), but still alive, so it is taken out of rotation rather than restarted.
    @Test(.enabled(if: RedisTestServer.isAvailable)) func readinessFollowsRedis() async throws {
        let redis = try RedisTestServer()
        let client = try await BundledApp([
            "RATELIMIT_STORAGE_URI": redis.url, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis.url,
            "JWT_BLOCKLIST_STORAGE_URI": redis.url,
        ]).app.testClient()
        // Polled, as an orchestrator does: the first probe opens three Redis connections, and a
        // loaded test run once took longer than the checks' 2 s.
        let ready = try await readiness(of: client, until: .ok)
        #expect(ready.status == .ok)
        #expect(try ready.json()["checks"] == ["database": "ok", "rate_limits": "ok", "cache": "ok", "token_blocklist": "ok", "broker": "ok"])
        redis.stop()
        let down = try await client.get("/health/ready")
        #expect(down.status == .serviceUnavailable)
        let error = try down.json()["error"]
        #expect(error?["code"] == "not_ready")
        #expect(error?["details"] == ["database": "ok", "rate_limits": "unavailable", "cache": "unavailable", "token_blocklist": "unavailable", "broker": "unavailable"])
        #expect(try await client.get("/health/live").status == .ok)
        try redis.start()
        #expect(try await readiness(of: client, until: .ok).status == .ok)
    }

    /// `/health/ready`, asked every 100 ms until it answers `status` (at most 100 times).
    func readiness(of client: some TestClientProtocol, until status: HTTPResponseStatus) async throws -> TestResponse {
        var answer = try await client.get("/health/ready")
        for _ in 0..<100 where answer.status != status {
            try await Task.sleep(for: .milliseconds(100))
            answer = try await client.get("/health/ready")
        }
        return answer
    }
}
