import Foundation
import Testing
import Vial
@testable import VialMiddleware
import VialTesting

/// Storage refunds, on memory and on a real Redis, for every strategy.
@Suite struct RateLimitRefundTests {
    let minute2 = RateLimitItem(amount: 2, seconds: 60)
    let start = 1_800_000_000.0  // a multiple of 60

    func hit(_ storage: any RateLimitStorage, _ strategy: RateLimitStrategy, at now: Double) async throws -> Bool {
        try await storage.hit(key: "k", limit: minute2, strategy: strategy, cost: 1, now: now).allowed
    }

    @Test(arguments: RateLimitStrategy.allCases, StorageKind.available)
    func aRefundedHitFreesItsSlot(strategy: RateLimitStrategy, kind: StorageKind) async throws {
        let (storage, server) = try kind.make()
        defer { withExtendedLifetime(server) {} }
        #expect(try await hit(storage, strategy, at: start + 10))
        #expect(try await hit(storage, strategy, at: start + 20))
        #expect(try await !hit(storage, strategy, at: start + 30))
        try await storage.refund(key: "k", limit: minute2, strategy: strategy, cost: 1, hitAt: start + 20)
        #expect(try await hit(storage, strategy, at: start + 30))
        #expect(try await !hit(storage, strategy, at: start + 31))
    }

    /// Giving back more than was taken, or a hit whose window has passed, never makes room
    /// beyond the limit.
    @Test(arguments: RateLimitStrategy.allCases, StorageKind.available)
    func refundsNeverGoBelowZero(strategy: RateLimitStrategy, kind: StorageKind) async throws {
        let (storage, server) = try kind.make()
        defer { withExtendedLifetime(server) {} }
        #expect(try await hit(storage, strategy, at: start + 10))
        for _ in 0..<3 { try await storage.refund(key: "k", limit: minute2, strategy: strategy, cost: 1, hitAt: start + 10) }
        try await storage.refund(key: "never", limit: minute2, strategy: strategy, cost: 1, hitAt: start + 10)
        #expect(try await hit(storage, strategy, at: start + 11))
        #expect(try await hit(storage, strategy, at: start + 12))
        #expect(try await !hit(storage, strategy, at: start + 13))
    }
}

@Suite struct RateLimitDeductionTests {
    struct NoRefunds: RateLimitStorage {
        let inner = MemoryRateLimitStorage()
        func hit(key: String, limit: RateLimitItem, strategy: RateLimitStrategy, cost: Int, now: Double) async throws -> RateLimitResult {
            try await inner.hit(key: key, limit: limit, strategy: strategy, cost: cost, now: now)
        }
    }

    let clock = ManualClock()

    func app(storage: any RateLimitStorage = MemoryRateLimitStorage(), defaults: String? = nil) throws -> App {
        var config = AppConfig()
        config.accessLog = false
        let app = App(config: config)
        try RateLimiter(storage: storage, defaults: defaults, defaultsDeductWhen: .successful, clock: clock).install(on: app)
        app.post("/notes", name: "create", limit("2 per minute", deductWhen: .except(422))) { req in
            guard req.header("X-Valid") == "yes" else { throw HTTPError(.unprocessableEntity, "Validation failed", code: "validation_error") }
            return Response(status: .created)
        }
        app.get("/login", name: "login", limit("2 per minute", deductWhen: .successful)) { req in
            req.header("X-Password") == "right" ? Response(status: .ok) : Response.error(HTTPError(.unauthorized, "no"))
        }
        app.get("/plain", name: "plain") { req in
            if req.header("X-Fail") != nil { throw HTTPError(.badRequest, "bad") }
            return "ok"
        }
        return app
    }

    /// Flask-Limiter's example: failed validations do not use up the limit; answers it counts do.
    @Test func onlyTheAnswersItCountsUseUpTheLimit() async throws {
        let client = try app().testClient()
        for _ in 0..<5 { #expect(try await client.send(.POST, "/notes", body: "").status == .unprocessableEntity) }
        #expect(try await client.send(.POST, "/notes", body: "", headers: ["X-Valid": "yes"]).status == .created)
        #expect(try await client.send(.POST, "/notes", body: "", headers: ["X-Valid": "yes"]).status == .created)
        #expect(try await client.send(.POST, "/notes", body: "", headers: ["X-Valid": "yes"]).status == .tooManyRequests)
        // Full: even an answer it would not count is refused now (the hit is taken on the way in).
        #expect(try await client.send(.POST, "/notes", body: "").status == .tooManyRequests)
    }

    /// The answer a handler returns (not throws) is judged too, and the app's defaults can count
    /// only successes.
    @Test func returnedAnswersAndDefaultsAreJudged() async throws {
        let client = try app(defaults: "2 per minute").testClient()
        for _ in 0..<4 { #expect(try await client.get("/login").status == .unauthorized) }
        #expect(try await client.get("/login", headers: ["X-Password": "right"]).status == .ok)
        for _ in 0..<4 { #expect(try await client.get("/plain", headers: ["X-Fail": "1"]).status == .badRequest) }
        #expect(try await client.get("/plain").status == .ok)
        #expect(try await client.get("/plain").status == .ok)
        #expect(try await client.get("/plain").status == .tooManyRequests)
    }

    /// The route listing and the documented 429 say what is counted.
    @Test func theListingAndTheDocsSayWhatIsCounted() throws {
        let routes = Dictionary(uniqueKeysWithValues: try app().routes().map { ($0.endpoint, $0) })
        #expect(routes["create"]?.middleware.contains("limit(2 per minute; counts answers other than 422)") == true)
        #expect(routes["login"]?.responses[429]?.description == "Rate limit exceeded (2 per minute; counts successful answers); see Retry-After")
    }

    /// A storage that cannot give hits back keeps them: the limit still holds.
    @Test func aStorageWithoutRefundsCountsEveryAnswer() async throws {
        let client = try app(storage: NoRefunds()).testClient()
        for _ in 0..<2 { #expect(try await client.send(.POST, "/notes", body: "").status == .unprocessableEntity) }
        #expect(try await client.send(.POST, "/notes", body: "", headers: ["X-Valid": "yes"]).status == .tooManyRequests)
    }

    /// Concurrent requests never pass the limit between them, whatever their answers.
    @Test func concurrentRequestsStayWithinTheLimit() async throws {
        let client = try app().testClient()
        let created = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<40 {
                group.addTask { try await client.send(.POST, "/notes", body: "", headers: ["X-Valid": "yes"]).status == .created }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(created == 2)
    }
}
