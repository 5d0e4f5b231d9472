import Foundation
import NIOConcurrencyHelpers
import Testing
import Vial
@testable import VialMiddleware
import VialTesting

@Suite struct SimpleCacheTests {
    let clock = ManualClock()

    @Test func entriesExpire() async throws {
        let cache = SimpleCache(clock: clock)
        try await cache.set("k", [1, 2, 3], timeout: 10, tags: [])
        #expect(try await cache.get("k")?.value == [1, 2, 3])
        #expect(try await cache.get("k")?.ttl == 10)
        clock.advance(10)
        #expect(try await cache.get("k") == nil)
    }

    /// Issue 16, item 9: one client's entries pushed out everyone's. An owner's share is bounded:
    /// past it, the owner's own oldest entry goes.
    @Test func oneOwnerCannotPushOutTheOthers() async throws {
        let cache = SimpleCache(maxEntries: 100, maxEntriesPerOwner: 10, clock: clock)
        try await cache.set("admin-list", [1], timeout: 60, tags: [], owner: "user:1:admin")
        for index in 0..<600 {
            try await cache.set("junk\(index)", [2], timeout: 60, tags: [], owner: "user:2:user")
        }
        #expect(try await cache.get("admin-list") != nil)
        #expect(cache.usage.entries == 11)
        #expect(try await cache.get("junk599") != nil)
        #expect(try await cache.get("junk589") == nil)
        try await cache.delete(tag: "none")
        try await cache.clear()
        try await cache.set("again", [3], timeout: 60, tags: [], owner: "user:2:user")
        #expect(cache.usage.entries == 1)
    }

    @Test func leastRecentlyUsedGoesFirstWhenFull() async throws {
        let cache = SimpleCache(maxEntries: 2, clock: clock)
        try await cache.set("a", [1], timeout: 60, tags: [])
        try await cache.set("b", [2], timeout: 60, tags: [])
        _ = try await cache.get("a")  // a is now more recent than b
        try await cache.set("c", [3], timeout: 60, tags: [])
        #expect(try await cache.get("a") != nil)
        #expect(try await cache.get("b") == nil)
        #expect(try await cache.get("c") != nil)
        #expect(cache.usage.entries == 2)
    }

    @Test func byteBoundIsKept() async throws {
        let cache = SimpleCache(maxEntries: 100, maxBytes: 10, clock: clock)
        for index in 0..<5 { try await cache.set("k\(index)", [UInt8](repeating: 0, count: 4), timeout: 60, tags: []) }
        #expect(cache.usage.bytes <= 10)
        #expect(try await cache.get("k4") != nil)  // the newest stays
        try await cache.set("huge", [UInt8](repeating: 0, count: 11), timeout: 60, tags: [])
        #expect(try await cache.get("huge") == nil)  // larger than the whole cache: not kept
    }

    @Test func tagsAndPrefixesInvalidate() async throws {
        let cache = SimpleCache(clock: clock)
        try await cache.set("view:1", [1], timeout: 60, tags: ["user:1"])
        try await cache.set("view:2", [2], timeout: 60, tags: ["user:2"])
        try await cache.set("memo:x:1", [3], timeout: 60, tags: [])
        try await cache.delete(tag: "user:1")
        #expect(try await cache.get("view:1") == nil)
        #expect(try await cache.get("view:2") != nil)
        try await cache.delete(prefix: "memo:")
        #expect(try await cache.get("memo:x:1") == nil)
    }

    /// The tag index follows entries replaced, evicted and deleted: a tag deletes what carries
    /// it now, nothing else.
    @Test func aTagDeletesOnlyTheEntriesThatCarryItNow() async throws {
        let cache = SimpleCache(maxEntries: 3, clock: clock)
        try await cache.set("a", [1], timeout: 60, tags: ["t1", "t2"])
        try await cache.set("a", [1], timeout: 60, tags: ["t2"])  // replaced: no longer t1
        try await cache.set("b", [2], timeout: 60, tags: ["t1"])
        try await cache.delete(tag: "t1")
        #expect(try await cache.get("a") != nil)
        #expect(try await cache.get("b") == nil)
        for index in 0..<4 { try await cache.set("x\(index)", [3], timeout: 60, tags: ["t3"]) }  // "a" evicted
        #expect(try await cache.get("a") == nil)
        try await cache.set("a", [4], timeout: 60, tags: [])
        try await cache.delete(tag: "t2")  // evicted "a" carried it; the new "a" does not
        #expect(try await cache.get("a")?.value == [4])
        try await cache.set("b", [5], timeout: 60, tags: ["t4"])
        try await cache.delete(tags: ["t3", "t4"])
        #expect(cache.usage.entries == 1)
    }

    @Test func nullCacheKeepsNothing() async throws {
        let cache = NullCache()
        try await cache.set("k", [1], timeout: 60, tags: [])
        #expect(try await cache.get("k") == nil)
    }
}

@Suite struct CachedMiddlewareTests {
    final class Counter: Sendable {
        let value = NIOLockedValueBox(0)
        func next() -> Int { value.withLockedValue { $0 += 1; return $0 } }
    }

    enum UserKey: StorageKey { typealias Value = String }

    func app(_ counter: Counter, backend: any CacheBackend = SimpleCache()) throws -> (TestClient, Cache) {
        var config = AppConfig()
        config.accessLog = false
        let app = App(config: config)
        let cache = Cache(backend: backend, defaultTimeout: 300)
        app.use(cache)
        // Pretend authentication: X-User becomes the identity, as jwtRequired would make it.
        let codec = JWTCodec(secret: "cache-test-secret")
        let jwt = JWTManager(issuer: TokenIssuer(codec: codec), revocations: MemoryRevocationStore(clock: FixedClock(0)))
        app.use(jwt)
        let items = Blueprint("items")
        items.use(jwtOptional())
        items.get("/items", name: "list", cached(timeout: 60, tags: { req in ["items:\(req.identity ?? "anon")"] })) { req in
            ["n": .int(counter.next()), "user": .string(req.identity ?? "anon")] as JSON
        }
        items.get("/missing", name: "missing", cached(timeout: 60)) { _ -> Response in throw HTTPError.notFound() }
        items.get("/fresh", name: "fresh", cached(timeout: 60, unless: { $0.header("X-No-Cache") != nil })) { _ in
            ["n": .int(counter.next())] as JSON
        }
        app.register(items)
        return (try app.testClient(), cache)
    }

    func token(_ user: String) -> HTTPHeaders {
        let codec = JWTCodec(secret: "cache-test-secret")
        return ["Authorization": "Bearer \(TokenIssuer(codec: codec).accessToken(subject: user, role: "user", fresh: false))"]
    }

    @Test func secondRequestIsAHitWithTheSameBody() async throws {
        let counter = Counter()
        let (client, _) = try app(counter)
        let miss = try await client.get("/items")
        #expect(miss.header("X-Cache") == "MISS")
        #expect(miss.header("Cache-Control") == "private, max-age=60")
        let hit = try await client.get("/items")
        #expect(hit.header("X-Cache") == "HIT")
        #expect(hit.text == miss.text)
        #expect(hit.header("ETag") == miss.header("ETag"))
        #expect(hit.header("ETag")?.hasPrefix("\"") == true)
        #expect(counter.value.withLockedValue { $0 } == 1)
    }

    @Test func oneUsersAnswerNeverReachesAnother() async throws {
        let counter = Counter()
        let (client, _) = try app(counter)
        let alice = try await client.get("/items", headers: token("alice")).json()
        let bob = try await client.get("/items", headers: token("bob")).json()
        #expect(alice["user"] == "alice")
        #expect(bob["user"] == "bob")
        #expect(try await client.get("/items", headers: token("alice")).json() == alice)
    }

    @Test func ifNoneMatchGives304WithoutRunningTheHandler() async throws {
        let counter = Counter()
        let (client, _) = try app(counter)
        let etag = try #require(try await client.get("/items").header("ETag"))
        let notModified = try await client.get("/items", headers: ["If-None-Match": etag])
        #expect(notModified.status == .notModified)
        #expect(notModified.body.readableBytes == 0)
        #expect(counter.value.withLockedValue { $0 } == 1)
        #expect(try await client.get("/items", headers: ["If-None-Match": "\"other\""]).status == .ok)
    }

    @Test func queryStringIsPartOfTheKeyInAnyOrder() async throws {
        let counter = Counter()
        let (client, _) = try app(counter)
        let first = try await client.get("/items?a=1&b=2").text
        #expect(try await client.get("/items?b=2&a=1").text == first)
        #expect(try await client.get("/items?a=2").text != first)
    }

    @Test func onlySuccessesAreCachedAndUnlessSkips() async throws {
        let counter = Counter()
        let (client, _) = try app(counter)
        #expect(try await client.get("/missing").header("X-Cache") == nil)
        #expect(try await client.get("/missing").status == .notFound)
        _ = try await client.get("/fresh")
        #expect(try await client.get("/fresh", headers: ["X-No-Cache": "1"]).header("X-Cache") == nil)
        #expect(counter.value.withLockedValue { $0 } == 2)
    }

    @Test func tagInvalidationDropsOnlyThatUsersEntries() async throws {
        let counter = Counter()
        let (client, cache) = try app(counter)
        _ = try await client.get("/items", headers: token("alice"))
        _ = try await client.get("/items", headers: token("bob"))
        try await cache.invalidate(tag: "items:alice")
        #expect(try await client.get("/items", headers: token("alice")).header("X-Cache") == "MISS")
        #expect(try await client.get("/items", headers: token("bob")).header("X-Cache") == "HIT")
    }

    @Test func nullCacheMissesEveryTime() async throws {
        let counter = Counter()
        let (client, _) = try app(counter, backend: NullCache())
        _ = try await client.get("/items")
        #expect(try await client.get("/items").header("X-Cache") == "MISS")
    }

    @Test func memoizeComputesOncePerKeyUntilForgotten() async throws {
        let cache = Cache(backend: SimpleCache())
        let counter = Counter()
        let first = try await cache.memoized("square", key: "3") { counter.next() * 0 + 9 }
        let second = try await cache.memoized("square", key: "3") { counter.next() * 0 + 9 }
        #expect(first == 9 && second == 9)
        #expect(counter.value.withLockedValue { $0 } == 1)
        try await cache.forget("square", key: "3")
        _ = try await cache.memoized("square", key: "3") { counter.next() }
        #expect(counter.value.withLockedValue { $0 } == 2)
        try await cache.set("manual", ["a": 1], timeout: 60)
        #expect(try await cache.get("manual", as: [String: Int].self) == ["a": 1])
        try await cache.delete("manual")
        #expect(try await cache.get("manual", as: [String: Int].self) == nil)
    }
}
