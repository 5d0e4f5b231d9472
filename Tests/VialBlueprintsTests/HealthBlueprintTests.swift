import Testing
import Vial
import VialBlueprints
import VialTesting

@Suite struct HealthBlueprintTests {
    struct Down: Error {}

    func client(_ check: (@Sendable () async throws -> Void)?) throws -> TestClient {
        var config = AppConfig()
        config.accessLog = false
        let app = App(config: config)
        app.register(HealthBlueprint.make(databaseCheck: check))
        return try app.testClient()
    }

    @Test func answersOKWithoutACheck() async throws {
        let response = try await client(nil).get("/health")
        #expect(response.status == .ok)
        #expect(try response.json() == ["status": "ok"])
    }

    @Test func reportsTheDatabaseWhenTheCheckPasses() async throws {
        #expect(try await client({}).get("/health").json() == ["status": "ok", "database": "ok"])
    }

    @Test func answers503WhenTheCheckFails() async throws {
        let response = try await client({ throw Down() }).get("/health")
        #expect(response.status == .serviceUnavailable)
        #expect(try response.json()["error"]?["code"] == "database_unavailable")
    }
}
