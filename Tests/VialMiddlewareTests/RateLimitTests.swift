import Foundation
import Testing
import Vial
@testable import VialMiddleware
import VialTesting

@Suite struct RateLimitParsingTests {
    @Test func parsesFlaskLimiterNotation() throws {
        #expect(try RateLimitItem.parse("200 per day;50 per hour").map(\.seconds) == [86_400, 3_600])
        #expect(try RateLimitItem.parse("5/minute") == [RateLimitItem(amount: 5, seconds: 60, description: "5 per 1 minute")])
        #expect(try RateLimitItem.parse("10 per 30 seconds")[0].seconds == 30)
        #expect(try RateLimitItem.parse("1/second, 100 per 2 hours").map(\.amount) == [1, 100])
    }

    @Test func badStringsSayWhatIsWrong() {
        for text in ["", "five per minute", "5 per fortnight", "5 minute", "0 per minute", "5 per 0 minutes"] {
            #expect(throws: RateLimitParseError.self, "\(text)") { try RateLimitItem.parse(text) }
        }
        #expect(throws: RateLimitParseError(text: "5 per fortnight", reason: "unknown unit 'fortnight' in '5 per fortnight'")) {
            try RateLimitItem.parse("5 per fortnight")
        }
    }
}

/// The storage contract, on memory and on a real Redis (where redis-server is installed).
enum StorageKind: String, CaseIterable, Sendable {
    case memory, redis

    static var available: [StorageKind] { RedisTestServer.isAvailable ? [.memory, .redis] : [.memory] }

    /// The storage, and the Redis server behind it (keep it alive for the test).
    func make() throws -> (any RateLimitStorage, RedisTestServer?) {
        switch self {
        case .memory: return (MemoryRateLimitStorage(), nil)
        case .redis:
            let server = try RedisTestServer()
            return (RedisRateLimitStorage(redis: try RedisClient(url: server.url, timeout: .seconds(5))), server)
        }
    }
}

@Suite struct RateLimitStorageTests {
    let minute3 = RateLimitItem(amount: 3, seconds: 60)

    func hits(_ storage: any RateLimitStorage, _ strategy: RateLimitStrategy, at now: Double, count: Int) async throws -> [Bool] {
        var results: [Bool] = []
        for _ in 0..<count {
            results.append(try await storage.hit(key: "k", limit: minute3, strategy: strategy, cost: 1, now: now).allowed)
        }
        return results
    }

    @Test(arguments: StorageKind.available) func fixedWindowResetsAtTheWindowEdge(kind: StorageKind) async throws {
        let (storage, server) = try kind.make()
        defer { withExtendedLifetime(server) {} }
        let start = 1_800_000_000.0  // a multiple of 60
        #expect(try await hits(storage, .fixedWindow, at: start + 10, count: 4) == [true, true, true, false])
        let denied = try await storage.hit(key: "k", limit: minute3, strategy: .fixedWindow, cost: 1, now: start + 10)
        #expect(denied.retryAfter == 50)
        #expect(denied.resetAt == start + 60)
        #expect(try await hits(storage, .fixedWindow, at: start + 60, count: 1) == [true])
    }

    @Test(arguments: StorageKind.available) func movingWindowCountsTheLastPeriodExactly(kind: StorageKind) async throws {
        let (storage, server) = try kind.make()
        defer { withExtendedLifetime(server) {} }
        let start = 1_800_000_000.0
        _ = try await hits(storage, .movingWindow, at: start, count: 1)
        _ = try await hits(storage, .movingWindow, at: start + 30, count: 2)
        let denied = try await storage.hit(key: "k", limit: minute3, strategy: .movingWindow, cost: 1, now: start + 59)
        #expect(!denied.allowed)
        #expect(denied.retryAfter == 1)  // the first hit leaves the window at start + 60
        #expect(try await hits(storage, .movingWindow, at: start + 60.5, count: 2) == [true, false])
    }

    @Test(arguments: StorageKind.available) func slidingWindowCounterWeighsThePreviousWindow(kind: StorageKind) async throws {
        let (storage, server) = try kind.make()
        defer { withExtendedLifetime(server) {} }
        let start = 1_800_000_000.0
        #expect(try await hits(storage, .slidingWindowCounter, at: start + 50, count: 3) == [true, true, true])
        // 15 s into the next window the previous 3 hits weigh 3 × 45/60 = 2.25: room for none.
        #expect(try await hits(storage, .slidingWindowCounter, at: start + 75, count: 1) == [false])
        // 45 s in they weigh 0.75: room for two.
        #expect(try await hits(storage, .slidingWindowCounter, at: start + 105, count: 3) == [true, true, false])
    }

    @Test(arguments: RateLimitStrategy.allCases, StorageKind.available)
    func exactlyTheLimitIsAllowedUnderConcurrency(strategy: RateLimitStrategy, kind: StorageKind) async throws {
        let (storage, server) = try kind.make()
        defer { withExtendedLifetime(server) {} }
        let limit = RateLimitItem(amount: 50, seconds: 3600)
        let now = 1_800_000_000.0
        let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<400 {
                group.addTask { try await storage.hit(key: "shared", limit: limit, strategy: strategy, cost: 1, now: now).allowed }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(allowed == 50)
    }

    @Test func expiredKeysAreSwept() async throws {
        let storage = MemoryRateLimitStorage(maxKeys: 10)
        let limit = RateLimitItem(amount: 1, seconds: 1)
        for index in 0..<10 { _ = try await storage.hit(key: "k\(index)", limit: limit, strategy: .fixedWindow, cost: 1, now: 100) }
        _ = try await storage.hit(key: "late", limit: limit, strategy: .fixedWindow, cost: 1, now: 200)
        #expect(storage.keyCount == 1)
    }
}

@Suite struct RateLimiterMiddlewareTests {
    struct Broken: RateLimitStorage {
        func hit(key: String, limit: RateLimitItem, strategy: RateLimitStrategy, cost: Int, now: Double) async throws -> RateLimitResult {
            throw CocoaError(.featureUnsupported)
        }
    }

    let clock = ManualClock()

    func client(
        defaults: String? = "3 per minute", storage: any RateLimitStorage = MemoryRateLimitStorage(), enabled: Bool = true,
        failOpen: Bool = true, trusting: Set<String> = []
    ) throws -> TestClient {
        var config = AppConfig()
        config.accessLog = false
        config.trustedProxies = trusting
        let app = App(config: config)
        let limiter = try RateLimiter(
            storage: storage, defaults: defaults, enabled: enabled, failOpen: failOpen, exempt: ["health"], clock: clock)
        limiter.install(on: app)
        app.get("/plain") { _ in "plain" }
        app.get("/health", name: "health") { _ in "ok" }
        app.post("/login", limit("2 per minute")) { _ in "login" }
        app.get("/a", limit("2 per minute", shared: "ab")) { _ in "a" }
        app.get("/b", limit("2 per minute", shared: "ab")) { _ in "b" }
        app.get("/free", rateLimitExempt()) { _ in "free" }
        app.get("/per-user", limit("1 per minute", key: .custom { $0.header("X-User") ?? "anon" })) { _ in "u" }
        return try app.testClient()
    }

    @Test func routeLimitAnswers429WithRetryAfterAndHeaders() async throws {
        clock.advance(40)  // 40 s into a minute
        let client = try client()
        let first = try await client.send(.POST, "/login", body: "")
        #expect(first.header("X-RateLimit-Limit") == "2")
        #expect(first.header("X-RateLimit-Remaining") == "1")
        #expect(first.header("X-RateLimit-Reset") == String(Int(clock.now / 60 + 1) * 60))
        _ = try await client.send(.POST, "/login", body: "")
        let third = try await client.send(.POST, "/login", body: "")
        #expect(third.status == .tooManyRequests)
        #expect(third.header("Retry-After") == "20")
        #expect(third.header("X-RateLimit-Remaining") == "0")
        #expect(try third.json()["error"]?["code"] == "rate_limit_exceeded")
        clock.advance(20)
        #expect(try await client.send(.POST, "/login", body: "").status == .ok)
    }

    @Test func defaultsApplyToRoutesWithoutTheirOwnLimits() async throws {
        let client = try client()
        for _ in 0..<3 { #expect(try await client.get("/plain").status == .ok) }
        #expect(try await client.get("/plain").status == .tooManyRequests)
        // A route with its own limit is not also held to the defaults.
        for _ in 0..<2 { #expect(try await client.send(.POST, "/login", body: "").status == .ok) }
    }

    @Test func exemptionsSkipTheDefaults() async throws {
        let client = try client()
        for _ in 0..<5 {
            #expect(try await client.get("/health").status == .ok)
            #expect(try await client.get("/free").status == .ok)
        }
        #expect(try await client.get("/health").header("X-RateLimit-Limit") == nil)
    }

    @Test func sharedLimitsCountAcrossRoutes() async throws {
        let client = try client()
        #expect(try await client.get("/a").status == .ok)
        #expect(try await client.get("/b").status == .ok)
        #expect(try await client.get("/a").status == .tooManyRequests)
    }

    @Test func keysSeparateClients() async throws {
        var one = try client()
        #expect(try await one.get("/per-user", headers: ["X-User": "alice"]).status == .ok)
        #expect(try await one.get("/per-user", headers: ["X-User": "alice"]).status == .tooManyRequests)
        #expect(try await one.get("/per-user", headers: ["X-User": "bob"]).status == .ok)
        // By address: another peer has its own budget.
        for _ in 0..<3 { _ = try await one.get("/plain") }
        one.remoteAddress = "10.1.1.1"
        #expect(try await one.get("/plain").status == .ok)
    }

    @Test func forwardedForCountsOnlyFromTrustedProxies() async throws {
        var viaProxy = try client(trusting: ["10.0.0.1"])
        viaProxy.remoteAddress = "10.0.0.1"
        for index in 0..<5 {
            #expect(try await viaProxy.get("/plain", headers: ["X-Forwarded-For": "203.0.113.\(index)"]).status == .ok)
        }
        var untrusted = try client(trusting: [])
        untrusted.remoteAddress = "10.0.0.9"
        for index in 0..<3 { _ = try await untrusted.get("/plain", headers: ["X-Forwarded-For": "203.0.113.\(index)"]) }
        #expect(try await untrusted.get("/plain", headers: ["X-Forwarded-For": "198.51.100.1"]).status == .tooManyRequests)
    }

    @Test func disabledLimiterLimitsNothing() async throws {
        let client = try client(enabled: false)
        for _ in 0..<5 { #expect(try await client.send(.POST, "/login", body: "").status == .ok) }
        #expect(try await client.get("/plain").header("X-RateLimit-Limit") == nil)
    }

    @Test func storageFailureFailsOpenOrAnswers503() async throws {
        #expect(try await client(storage: Broken()).get("/plain").status == .ok)
        let closed = try await client(storage: Broken(), failOpen: false).get("/plain")
        #expect(closed.status == .serviceUnavailable)
        #expect(try closed.json()["error"]?["code"] == "rate_limit_unavailable")
    }

    @Test func limitsShowInTheRouteListing() throws {
        let app = App()
        app.post("/login", limit("5 per minute")) { _ in "x" }
        #expect(try app.routes()[0].middleware == ["limit(5 per minute)"])
    }
}

extension RateLimiterMiddlewareTests {
    /// Issue 19: a route under a blueprint's limit and a stricter one of its own documented the
    /// blueprint's in its 429; it names the one that binds first (the lowest rate).
    @Test func the429DocumentsTheLimitThatBindsFirst() throws {
        let app = App()
        try RateLimiter(storage: MemoryRateLimitStorage(), defaults: nil, clock: clock).install(on: app)
        let notes = Blueprint("notes", urlPrefix: "/notes")
        notes.use(limit("60 per minute"))
        notes.post("/", name: "create", limit("5 per minute")) { _ in "created" }
        notes.get("/", name: "list") { _ in "list" }
        notes.get("/burst", name: "burst", limit("2 per second; 1000 per day")) { _ in "burst" }
        app.register(notes)
        let routes = Dictionary(uniqueKeysWithValues: try app.routes().map { ($0.endpoint, $0) })
        #expect(routes["notes.create"]?.responses[429]?.description
            == "Rate limit exceeded: 5 per 1 minute binds first; also 60 per 1 minute; see Retry-After")
        #expect(routes["notes.list"]?.responses[429]?.description == "Rate limit exceeded (60 per minute); see Retry-After")
        #expect(routes["notes.burst"]?.responses[429]?.description.hasPrefix("Rate limit exceeded: 1000 per 1 day binds first") == true)
    }
}
