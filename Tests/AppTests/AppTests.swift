import Foundation
import Testing
import Vial
@testable import VialApp

@Suite struct AppFactoryTests {
    @Test(arguments: ClientKind.allCases) func healthAnswersOK(kind: ClientKind) async throws {
        var config = AppConfig(environment: .testing)
        config.accessLog = false
        try await kind.run(makeApp(config: config)) { client in
            let response = try await client.get("/health")
            #expect(response.status == .ok)
            #expect(try response.json() == ["status": "ok"])
        }
    }

    /// docs/routes.md is the output of `App routes`; regenerate it with
    /// `swift run App routes > /tmp/r && …` (see the page's header) when routes change.
    @Test func routesDocMatchesTheAppRoutesCommand() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/routes.md"), encoding: .utf8)
        let table = RouteListing.render(try makeApp(config: AppConfig(environment: .testing)).routes())
        #expect(doc == RoutesDoc.render(table))
    }

    @Test func configErrorsNameTheVariable() {
        #expect(throws: ConfigError(variable: "PORT", reason: "must be an integer from 0 to 65535 (got 'abc')")) {
            _ = try AppConfig.load(from: ["PORT": "abc"])
        }
        #expect(throws: ConfigError.self) { _ = try AppConfig.load(from: ["APP_ENV": "staging"]) }
        #expect(throws: ConfigError.self) { _ = try AppConfig.load(from: ["MAX_CONTENT_LENGTH": "-1"]) }
    }

    @Test func configReadsTheEnvironment() throws {
        let config = try AppConfig.load(from: [
            "APP_ENV": "production", "PORT": "8080", "HOST": "0.0.0.0", "TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
        ])
        #expect(config.environment == .production)
        #expect(config.port == 8080)
        #expect(config.host == "0.0.0.0")
        #expect(config.trustedProxies == ["10.0.0.1", "10.0.0.2"])
    }

    @Test func dotEnvParses() throws {
        let values = try DotEnv.parse("""
            # comment
            export PORT=8080
            JWT_SECRET_KEY="quoted value"
            NAME=plain # trailing comment

            """)
        #expect(values == ["PORT": "8080", "JWT_SECRET_KEY": "quoted value", "NAME": "plain"])
        #expect(throws: ConfigError.self) { _ = try DotEnv.parse("not a pair") }
    }
}
