import Testing
import Vial
import VialBlueprints
import VialMiddleware
import VialApp
import VialTesting

/// Rate limits and caching as the bundled app wires them.
@Suite struct LimitsAndCacheWiringTests {
    func client(_ variables: [String: String] = [:]) async throws -> (TestClient, BundledServices) {
        let bundled = try await BundledApp(variables)
        return (try bundled.app.testClient(), bundled.services)
    }

    func token(_ client: TestClient, _ name: String) async throws -> HTTPHeaders {
        let json = try await client.post("/auth/login", json: ["username": .string(name), "password": "password"]).json()
        return ["Authorization": "Bearer \(json["access_token"]!.stringValue!)"]
    }

    @Test func loginIsLimitedToFivePerMinute() async throws {
        let (client, _) = try await client(["RATELIMIT_ENABLED": "true"])
        for _ in 0..<5 {
            let response = try await client.post("/auth/login", json: ["username": "user", "password": "wrong-password"])
            #expect(response.status == .unauthorized)
            #expect(response.header("X-RateLimit-Limit") == "5")
        }
        let blocked = try await client.post("/auth/login", json: ["username": "user", "password": "password"])
        #expect(blocked.status == .tooManyRequests)
        #expect(blocked.header("Retry-After") != nil)
        #expect(try blocked.json()["status"] == "error")
    }

    /// Two instances on one Redis (`RATELIMIT_STORAGE_URI=redis://…`) share the login limit:
    /// five attempts in all, whichever instance they reach (issue 11).
    @Test(.enabled(if: RedisTestServer.isAvailable, "needs redis-server"))
    func instancesOnOneRedisShareTheLoginLimit() async throws {
        let redis = try RedisTestServer()
        let settings = ["RATELIMIT_ENABLED": "true", "RATELIMIT_STORAGE_URI": redis.url]
        let (a, services) = try await client(settings)
        let (b, _) = try await client(settings)
        #expect(services.limiter.storage is RedisRateLimitStorage)
        let login: JSON = ["username": "user", "password": "wrong-password"]
        var statuses: [UInt] = []
        for index in 0..<7 { statuses.append(try await (index % 2 == 0 ? a : b).post("/auth/login", json: login).status.code) }
        #expect(statuses == [401, 401, 401, 401, 401, 429, 429])
    }

    @Test func redisSettingsSelectTheRedisBackends() throws {
        let services = try BundledServices(variables: [
            "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": "redis://127.0.0.1:1/0", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/1",
            "JWT_BLOCKLIST_STORAGE_URI": "redis://127.0.0.1:1/2",
        ])
        #expect(services.cache.backend is RedisCache)
        #expect(services.limiter.storage is RedisRateLimitStorage)
        #expect(services.jwt.revocations is RedisRevocationStore)
    }

    @Test func theServicesClockDrivesTheLoginWindow() async throws {
        let clock = ManualClock()
        let client = try await BundledApp(["RATELIMIT_ENABLED": "true"], clock: clock).app.testClient()
        let login: JSON = ["username": "user", "password": "wrong-password"]
        for _ in 0..<5 { _ = try await client.post("/auth/login", json: login) }
        #expect(try await client.post("/auth/login", json: login).status == .tooManyRequests)
        clock.advance(60)
        #expect(try await client.post("/auth/login", json: login).status == .unauthorized)
    }

    @Test func defaultsApplyElsewhereAndHealthIsExempt() async throws {
        let (client, _) = try await client(["RATELIMIT_ENABLED": "true", "RATELIMIT_DEFAULT": "2 per hour"])
        for _ in 0..<3 { #expect(try await client.get("/health").status == .ok) }
        _ = try await client.post("/auth/register", json: [:])
        _ = try await client.post("/auth/register", json: [:])
        #expect(try await client.post("/auth/register", json: [:]).status == .tooManyRequests)
    }

    @Test func limitsAreOffUnderTestingByDefault() async throws {
        let (client, _) = try await client()
        for _ in 0..<7 { #expect(try await client.post("/auth/login", json: ["username": "user", "password": "x"]).status == .unauthorized) }
    }

    @Test func taskReadsAreCachedPerUserAndEveryWriteInvalidates() async throws {
        let (client, _) = try await client()
        let user = try await token(client, "user")
        let admin = try await token(client, "admin")
        #expect(try await client.get("/api/tasks/", headers: user).header("X-Cache") == "MISS")
        #expect(try await client.get("/api/tasks/", headers: user).header("X-Cache") == "HIT")
        _ = try await client.get("/api/tasks/", headers: admin)
        // create → the user's list and the admins' lists are dropped
        let created = try await client.post("/api/tasks/", json: ["title": "t"], headers: user).json()["data"]!
        let id = created["id"]!.intValue!
        let list = try await client.get("/api/tasks/", headers: user)
        #expect(list.header("X-Cache") == "MISS")
        #expect(try list.json()["count"] == 1)
        #expect(try await client.get("/api/tasks/", headers: admin).json()["count"] == 1)
        // detail cached, then each write route drops it
        _ = try await client.get("/api/tasks/\(id)", headers: user)
        #expect(try await client.get("/api/tasks/\(id)", headers: user).header("X-Cache") == "HIT")
        let writes: [(HTTPMethod, JSON?)] = [
            (.PUT, ["title": "u", "status": "pending"]), (.PATCH, ["title": "v"]),
        ]
        for (method, body) in writes {
            _ = try await client.send(method, "/api/tasks/\(id)", json: body!, headers: user)
            let detail = try await client.get("/api/tasks/\(id)", headers: user)
            #expect(detail.header("X-Cache") == "MISS", "\(method)")
            _ = try await client.get("/api/tasks/\(id)", headers: user)
        }
        _ = try await client.put("/api/tasks/\(id)/status", json: ["status": "completed"], headers: user)
        #expect(try await client.get("/api/tasks/\(id)", headers: user).json()["data"]?["status"] == "completed")
        _ = try await client.delete("/api/tasks/\(id)", headers: user)
        #expect(try await client.get("/api/tasks/\(id)", headers: user).status == .notFound)
        #expect(try await client.get("/api/tasks/", headers: admin).json()["count"] == 0)
    }

    @Test func badLimitAndCacheSettingsAreNamed() {
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["RATELIMIT_DEFAULT": "lots"]) }
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["RATELIMIT_STORAGE_URI": "memcached://x"]) }
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["RATELIMIT_STORAGE_URI": "redis://x/db"]) }
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["CACHE_TYPE": "Memcached"]) }
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["CACHE_TYPE": "RedisCache"]) }  // no CACHE_REDIS_URL
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["JWT_BLOCKLIST_STORAGE_URI": "memcached://x"]) }
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["RATELIMIT_ENABLED": "maybe"]) }
    }
}

extension LimitsAndCacheWiringTests {
    @Test func corsOriginsSettingInstallsCORS() async throws {
        let (client, _) = try await client(["CORS_ORIGINS": "https://app.example.com, https://*.example.dev"])
        let allowed = try await client.get("/health", headers: ["Origin": "https://preview.example.dev"])
        #expect(allowed.header("Access-Control-Allow-Origin") == "https://preview.example.dev")
        #expect(try await client.get("/health", headers: ["Origin": "https://evil.example"]).header("Access-Control-Allow-Origin") == nil)
        let (plain, _) = try await self.client()
        #expect(try await plain.get("/health", headers: ["Origin": "https://app.example.com"]).header("Access-Control-Allow-Origin") == nil)
    }

    @Test func productionAddsSecurityHeaders() async throws {
        var config = try AppConfig.load(from: ["APP_ENV": "production", "JWT_SECRET_KEY": "a-production-secret-value-0123456789abcdef"])
        config.accessLog = false
        let services = try BundledServices(config)
        let production = try services.app.testClient()
        #expect(try await production.get("/health").header("X-Content-Type-Options") == "nosniff")
        let (development, _) = try await client(["APP_ENV": "development"])
        #expect(try await development.get("/health").header("X-Content-Type-Options") == nil)
    }

    @Test func rateLimitStrategyIsConfigurable() throws {
        let services = try BundledServices(variables: ["RATELIMIT_STRATEGY": "sliding-window-counter"])
        #expect(services.limiter.strategy == .slidingWindowCounter)
        #expect(throws: ConfigError.self) { _ = try BundledServices(variables: ["RATELIMIT_STRATEGY": "leaky-bucket"]) }
    }
}
