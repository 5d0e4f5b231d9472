import Testing
@testable import Vial
import VialTesting

@Suite struct CORSTests {
    func client(credentials: Bool = false, origins: [CORS.Origin] = [.exact("https://app.example.com"), .pattern("https://*.example.dev")])
        throws -> TestClient
    {
        var config = AppConfig()
        config.accessLog = false
        let app = App(config: config)
        app.use(CORS(origins: origins, credentials: credentials))
        app.get("/items") { _ in ["ok": true] as JSON }
        app.post("/items") { _ in "created" }
        return try app.testClient()
    }

    @Test func allowedOriginGetsTheHeaders() async throws {
        let response = try await client().get("/items", headers: ["Origin": "https://app.example.com"])
        #expect(response.header("Access-Control-Allow-Origin") == "https://app.example.com")
        #expect(response.header("Vary") == "Origin")
        #expect(response.header("Access-Control-Expose-Headers")?.contains("X-Request-ID") == true)
    }

    @Test func patternOriginsMatchSubdomains() async throws {
        let client = try client()
        #expect(try await client.get("/items", headers: ["Origin": "https://preview.example.dev"]).header("Access-Control-Allow-Origin") == "https://preview.example.dev")
        #expect(try await client.get("/items", headers: ["Origin": "https://example.dev"]).header("Access-Control-Allow-Origin") == nil)
        #expect(try await client.get("/items", headers: ["Origin": "https://evil.com/x.example.dev"]).header("Access-Control-Allow-Origin") == nil)
    }

    @Test func disallowedOriginsGetNothing() async throws {
        let response = try await client().get("/items", headers: ["Origin": "https://evil.example.com"])
        #expect(response.status == .ok)
        #expect(response.header("Access-Control-Allow-Origin") == nil)
    }

    @Test func preflightIsAnsweredWithoutTheHandler() async throws {
        let response = try await client(credentials: true).options(
            "/items",
            headers: [
                "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Content-Type, X-Secret",
            ])
        #expect(response.status == .noContent)
        #expect(response.header("Access-Control-Allow-Methods")?.contains("POST") == true)
        #expect(response.header("Access-Control-Allow-Headers") == "Content-Type")
        #expect(response.header("Access-Control-Allow-Credentials") == "true")
        #expect(response.header("Access-Control-Max-Age") == "600")
    }

    @Test func anyOriginIsStarWithoutCredentials() async throws {
        let response = try await client(origins: [.any]).get("/items", headers: ["Origin": "https://whoever.io"])
        #expect(response.header("Access-Control-Allow-Origin") == "*")
        let echoed = try await client(credentials: true, origins: [.any]).get("/items", headers: ["Origin": "https://whoever.io"])
        #expect(echoed.header("Access-Control-Allow-Origin") == "https://whoever.io")
    }
}
