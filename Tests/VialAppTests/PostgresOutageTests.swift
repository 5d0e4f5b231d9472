import NIOCore
import NIOPosix
import Testing
import VialTesting
@testable import VialApp

/// Issue 16, item 13: with PostgreSQL refusing connections every request waited the whole
/// pool timeout (5 s) for its 503. A probe of its own tells the engine the server is down, and
/// from then on statements fail at once.
@Suite struct PostgresOutageTests {
    /// A loopback port nothing listens on (bound, then closed).
    func refusedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    /// The pool timeout here is ten minutes: only the probe can end the wait within the time limit.
    @Test(.timeLimit(.minutes(1))) func aServerThatRefusesIsKnownDownAndAnsweredAtOnce() async throws {
        let endpoint = try PostgresEndpoint(url: "postgresql://vial@127.0.0.1:\(try await refusedPort())/gone")
        let engine = try PostgresEngine(endpoint, acquireTimeout: .seconds(600))
        let database = AppDatabase(location: .postgres(endpoint), engine: engine)
        await #expect(throws: DatabaseUnavailable.self) { try await database.read("SELECT 1") }
        #expect(engine.isKnownDown)
        for _ in 0..<20 {
            await #expect(throws: DatabaseUnavailable.self) { try await database.ping() }
        }
    }

    /// A busy server is not a down one: with the pool's one connection held by a slow statement,
    /// the next waits `acquireTimeout` (ended by the engine's watcher), gets its 503, and the
    /// slow one finishes untouched.
    @Test(.enabled(if: PostgresTestServer.isAvailable), .timeLimit(.minutes(1)))
    func aStatementWithoutAConnectionInTimeIsEndedAndTheSlowOneFinishes() async throws {
        let server = try #require(await PostgresTestServer.started())
        let endpoint = try PostgresEndpoint(url: try await server.makeDatabase())
        let engine = try PostgresEngine(endpoint, maximumConnections: 1, acquireTimeout: .milliseconds(300))
        let database = AppDatabase(location: .postgres(endpoint), engine: engine)
        // The pool's one connection, made (a loaded machine may take longer than 300 ms to connect).
        for attempt in 1...50 {
            do {
                _ = try await database.read("SELECT 1 AS one")
                break
            } catch is DatabaseUnavailable where attempt < 50 {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        async let slow = database.read("SELECT 1 AS slept FROM pg_sleep(3)")
        try await Task.sleep(for: .seconds(1))  // the slow one holds the connection by now
        // Without the watcher this would wait for the slow statement's connection, and succeed.
        await #expect(throws: DatabaseUnavailable.self) { try await database.read("SELECT 2 AS two") }
        #expect(try await slow.first?.values.first == .integer(1))
        #expect(!engine.isKnownDown)
        #expect(try await database.read("SELECT 3 AS three").first?.int64("three") == 3)
    }
}
