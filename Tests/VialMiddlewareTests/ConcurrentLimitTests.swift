import Testing
import Vial
@testable import VialMiddleware
import VialTesting

/// Parallel requests over real sockets, spread over the server's event loops.
@Suite struct ConcurrentLimitTests {
    @Test(arguments: RateLimitStrategy.allCases) func exactlyTheLimitPassesOverASocket(strategy: RateLimitStrategy) async throws {
        var config = AppConfig()
        config.accessLog = false
        config.eventLoopThreads = 2
        let app = App(config: config)
        // Frozen clock: the hour window must not roll over mid-test.
        try RateLimiter(strategy: strategy, clock: FixedClock(1_800_000_030)).install(on: app)
        app.get("/limited", limit("20 per hour")) { _ in "ok" }
        let statuses = try await app.withLiveServer { client in
            try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<60 { group.addTask { try await client.get("/limited").status.code } }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
        }
        #expect(statuses.filter { $0 == 200 }.count == 20)
        #expect(statuses.filter { $0 == 429 }.count == 40)
    }
}
