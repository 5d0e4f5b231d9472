import NIOPosix
import Testing
@testable import Vial
import VialTesting

/// `runBlocking` leaves the event loop a handler runs on.
@Suite struct BlockingTests {
    @Test func blockingWorkRunsOffTheHandlersEventLoop() async throws {
        var config = AppConfig()
        config.accessLog = false
        let app = App(config: config)
        app.get("/where") { _ in
            let onLoop = MultiThreadedEventLoopGroup.currentEventLoop != nil
            let inPoolOnLoop = try await runBlocking { MultiThreadedEventLoopGroup.currentEventLoop != nil }
            return "handler on a loop: \(onLoop); blocking work on a loop: \(inPoolOnLoop)"
        }
        let answer = try await app.withLiveServer { client in try await client.get("/where").text }
        #expect(answer == "handler on a loop: true; blocking work on a loop: false")
    }

    @Test func errorsComeBack() async {
        struct Failed: Error {}
        await #expect(throws: Failed.self) { try await runBlocking { throw Failed() } }
    }
}
