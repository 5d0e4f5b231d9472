import NIOCore
import Testing
import Vial
@testable import VialMiddleware
import VialTesting

/// `RedisCache` against a real redis-server; two clients stand for two instances.
@Suite(.enabled(if: RedisTestServer.isAvailable, "needs redis-server (apt-get install redis-server)"))
struct RedisCacheTests {
    @Test func bytesRoundTripWithTheirLifetime() async throws {
        let server = try RedisTestServer()
        let cache = RedisCache(redis: try RedisClient(url: server.url, timeout: .seconds(5)))
        let binary: [UInt8] = [0, 255, 10, 13, 0xC3]  // not UTF-8
        try await cache.set("k", binary, timeout: 30, tags: [])
        let hit = try await cache.get("k")
        #expect(hit?.value == binary)
        #expect((hit?.ttl ?? 0) > 10 && (hit?.ttl ?? 0) <= 30)  // a loaded machine may take seconds between the two
        #expect(try await cache.get("other") == nil)
        try await cache.delete("k")
        #expect(try await cache.get("k") == nil)
    }

    /// A tag dropped on one instance drops the entries another instance stored under it.
    @Test func tagsInvalidateAcrossInstances() async throws {
        let server = try RedisTestServer()
        let a = RedisCache(redis: try RedisClient(url: server.url, timeout: .seconds(5)))
        let b = RedisCache(redis: try RedisClient(url: server.url, timeout: .seconds(5)))
        try await a.set("list:1", [1], timeout: 60, tags: ["user:1", "admins"])
        try await a.set("detail:1", [2], timeout: 60, tags: ["user:1"])
        try await a.set("list:2", [3], timeout: 60, tags: ["user:2"])
        try await b.delete(tag: "user:1")
        #expect(try await a.get("list:1") == nil)
        #expect(try await a.get("detail:1") == nil)
        #expect(try await a.get("list:2")?.value == [3])
    }

    /// Several tags in one pipelined call (a task write drops its owner's and the admins').
    @Test func severalTagsGoInOneCall() async throws {
        let server = try RedisTestServer()
        let cache = RedisCache(redis: try RedisClient(url: server.url, timeout: .seconds(5)))
        try await cache.set("list:1", [1], timeout: 60, tags: ["user:1"])
        try await cache.set("list:admin", [2], timeout: 60, tags: ["admins"])
        try await cache.set("list:2", [3], timeout: 60, tags: ["user:2"])
        try await cache.delete(tags: ["user:1", "admins", "nobody"])
        #expect(try await cache.get("list:1") == nil)
        #expect(try await cache.get("list:admin") == nil)
        #expect(try await cache.get("list:2")?.value == [3])
    }

    @Test func prefixesAndClearTouchOnlyTheirKeys() async throws {
        let server = try RedisTestServer()
        let redis = try RedisClient(url: server.url, timeout: .seconds(5))
        let cache = RedisCache(redis: redis)
        try await cache.set("memo:f*:1", [1], timeout: 60, tags: [])
        try await cache.set("memo:f*:2", [2], timeout: 60, tags: [])
        try await cache.set("memo:fx:1", [3], timeout: 60, tags: [])  // `*` is not a wildcard here
        try await redis.send(["SET", "someone-elses-key", "kept"])
        try await cache.delete(prefix: "memo:f*:")
        #expect(try await cache.get("memo:f*:1") == nil)
        #expect(try await cache.get("memo:fx:1")?.value == [3])
        try await cache.clear()
        #expect(try await cache.get("memo:fx:1") == nil)
        #expect(try await redis.send(["GET", "someone-elses-key"]).string == "kept")
    }

    /// The check in small: a write on instance A is never followed by a stale cached
    /// list on instance B. Two apps, one Redis, one shared "database" (the counter).
    @Test func aWriteOnOneInstanceIsNotFollowedByAStaleListOnAnother() async throws {
        let server = try RedisTestServer()
        let counter = CachedMiddlewareTests.Counter()
        let fixture = CachedMiddlewareTests()
        let (a, cacheA) = try fixture.app(counter, backend: RedisCache(redis: try RedisClient(url: server.url, timeout: .seconds(5))))
        let (b, _) = try fixture.app(counter, backend: RedisCache(redis: try RedisClient(url: server.url, timeout: .seconds(5))))
        let first = try await b.get("/items", headers: fixture.token("7"))
        #expect(first.header("X-Cache") == "MISS")
        #expect(try await a.get("/items", headers: fixture.token("7")).header("X-Cache") == "HIT")  // B's entry, seen by A
        try await cacheA.invalidate(tag: "items:7")  // A writes, then drops the tag
        let after = try await b.get("/items", headers: fixture.token("7"))
        #expect(after.header("X-Cache") == "MISS")
        #expect(try after.json()["n"] != first.json()["n"])
    }

    /// With Redis gone, cached views answer uncached (a miss), never a 500.
    @Test func anUnreachableRedisServesUncached() async throws {
        let server = try RedisTestServer()
        let counter = CachedMiddlewareTests.Counter()
        let (client, _) = try CachedMiddlewareTests().app(
            counter, backend: RedisCache(redis: try RedisClient(url: server.url, timeout: .milliseconds(200))))
        server.stop()
        let one = try await client.get("/items")
        let two = try await client.get("/items")
        #expect(one.status == .ok && two.status == .ok)
        #expect(try one.json()["n"] != two.json()["n"])
    }
}
