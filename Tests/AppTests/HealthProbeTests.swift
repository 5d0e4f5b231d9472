import Testing
import Vial
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

    /// Every Redis in use is a dependency: when it goes, the instance is not ready (503 naming
    /// each), but still alive, so it is taken out of rotation rather than restarted.
    @Test(.enabled(if: RedisTestServer.isAvailable)) func readinessFollowsRedis() async throws {
        let redis = try RedisTestServer()
        let client = try await BundledApp([
            "RATELIMIT_STORAGE_URI": redis.url, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis.url,
            "JWT_BLOCKLIST_STORAGE_URI": redis.url,
        ]).app.testClient()
        let ready = try await client.get("/health/ready")
        #expect(ready.status == .ok)
        #expect(try ready.json()["checks"] == ["database": "ok", "rate_limits": "ok", "cache": "ok", "token_blocklist": "ok"])
        redis.stop()
        let down = try await client.get("/health/ready")
        #expect(down.status == .serviceUnavailable)
        let error = try down.json()["error"]
        #expect(error?["code"] == "not_ready")
        #expect(error?["details"] == ["database": "ok", "rate_limits": "unavailable", "cache": "unavailable", "token_blocklist": "unavailable"])
        #expect(try await client.get("/health/live").status == .ok)
        try redis.start()
        var back = false
        for _ in 0..<100 where !back {
            try await Task.sleep(for: .milliseconds(100))
            back = try await client.get("/health/ready").status == .ok
        }
        #expect(back)
    }
}
