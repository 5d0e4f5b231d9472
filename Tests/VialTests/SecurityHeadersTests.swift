import Testing
import Vial
import VialTesting

@Suite struct SecurityHeadersTests {
    func app(trusting proxies: Set<String> = []) -> App {
        var config = AppConfig()
        config.accessLog = false
        config.trustedProxies = proxies
        let app = App(config: config)
        app.use(SecurityHeaders())
        app.get("/plain") { _ in "x" }
        app.get("/framed") { _ in Response.text("x", headers: ["X-Frame-Options": "SAMEORIGIN"]) }
        return app
    }

    @Test func addsTheDefaultHeaders() async throws {
        let response = try await app().testClient().get("/plain")
        #expect(response.header("X-Content-Type-Options") == "nosniff")
        #expect(response.header("X-Frame-Options") == "DENY")
        #expect(response.header("Referrer-Policy") == "no-referrer")
        #expect(response.header("Content-Security-Policy") != nil)
        #expect(response.header("Strict-Transport-Security") == nil)
    }

    @Test func keepsAHeaderTheHandlerSet() async throws {
        #expect(try await app().testClient().get("/framed").header("X-Frame-Options") == "SAMEORIGIN")
    }

    @Test func addsHSTSOnlyForHTTPSFromATrustedProxy() async throws {
        var trusted = try app(trusting: ["10.0.0.1"]).testClient()
        trusted.remoteAddress = "10.0.0.1"
        let https = try await trusted.get("/plain", headers: ["X-Forwarded-Proto": "https"])
        #expect(https.header("Strict-Transport-Security") != nil)
        var untrusted = try app().testClient()
        untrusted.remoteAddress = "10.0.0.9"
        let spoofed = try await untrusted.get("/plain", headers: ["X-Forwarded-Proto": "https"])
        #expect(spoofed.header("Strict-Transport-Security") == nil)
    }

    @Test func appliesToErrorResponsesToo() async throws {
        #expect(try await app().testClient().get("/missing").header("X-Content-Type-Options") == "nosniff")
    }
}
