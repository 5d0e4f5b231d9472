import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing
@testable import Vial
import VialTesting

/// A service that records what happened to it.
final class RecordingService: Service, Sendable {
    let events = NIOLockedValueBox([String]())

    func run() async throws {
        events.withLockedValue { $0.append("started") }
        try? await gracefulShutdown()
        events.withLockedValue { $0.append("stopped gracefully") }
    }
}

/// Services added to the app run with the live server and stop after it.
@Suite struct AppServicesTests {
    @Test func liveServerRunsTheAppsServicesAndStopsThem() async throws {
        let service = RecordingService()
        let app = App()
        app.get("/seen") { _ in .json(.array(service.events.withLockedValue { $0 }.map(JSON.string))) }
        app.addServices(service)
        let seen = try await app.withLiveServer { client in
            // The service may still be starting when the first request arrives; ask until it says so.
            for _ in 0..<500 {
                if try await client.get("/seen").json() == ["started"] { return true }
                try await Task.sleep(for: .milliseconds(10))
            }
            return false
        }
        #expect(seen)
        #expect(service.events.withLockedValue { $0 } == ["started", "stopped gracefully"])
    }

    @Test func anAppWithoutServicesStillServes() async throws {
        let app = App()
        app.get("/") { _ in "ok" }
        #expect(try await app.withLiveServer { client in try await client.get("/").text } == "ok")
    }
}
