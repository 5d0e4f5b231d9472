import Testing
import VialTesting
@testable import Vial

/// Flask's `PROPAGATE_EXCEPTIONS` (on when testing) and `TRAP_HTTP_EXCEPTIONS`: the test client
/// rethrows the handler's own error instead of handing back a rendered 500.
@Suite struct ErrorPropagationTests {
    struct Broken: Error, Equatable { var detail: String }

    func app(_ config: AppConfig, teardown trace: Trace? = nil) -> App {
        let app = App(config: config)
        app.get("/broken") { _ -> Response in throw Broken(detail: "the real cause") }
        app.get("/forbidden") { _ -> Response in throw HTTPError.forbidden("no") }
        app.errorHandler(.internalServerError) { _, _ in .text("500 handler", status: .internalServerError) }
        app.errorHandler(.forbidden) { _, _ in .text("403 handler", status: .forbidden) }
        if let trace { app.teardown { _, error in await trace.add(error.map { "\(type(of: $0))" } ?? "clean") } }
        return app
    }

    @Test func inTheTestingEnvironmentTheTestClientRethrowsTheHandlersError() async throws {
        let trace = Trace()
        let client = try app(AppConfig(environment: .testing), teardown: trace).testClient()
        await #expect(throws: Broken(detail: "the real cause")) { try await client.get("/broken") }
        // Hooks still ran; HTTP errors still go to their handlers.
        #expect(await trace.events == ["Broken"])
        #expect(try await client.get("/forbidden").text == "403 handler")
    }

    @Test func elsewhereItIsARendered500UnlessSwitchedOn() async throws {
        #expect(try await app(AppConfig()).testClient().get("/broken").text == "500 handler")
        var off = AppConfig(environment: .testing)
        off.propagateExceptions = false
        #expect(try await app(off).testClient().get("/broken").text == "500 handler")
        var on = AppConfig()
        on.propagateExceptions = true
        await #expect(throws: Broken.self) { try await app(on).testClient().get("/broken") }
    }

    @Test func aHandlerByTypeStillTakesItsErrors() async throws {
        let app = App(config: AppConfig(environment: .testing))
        app.errorHandler(for: Broken.self) { _, error in .text("handled \(error.detail)", status: .conflict) }
        app.get("/broken") { _ -> Response in throw Broken(detail: "x") }
        #expect(try await app.testClient().get("/broken").text == "handled x")
    }

    @Test func trapHTTPExceptionsRethrowsHTTPErrorsBeforeTheirHandlers() async throws {
        var config = AppConfig()
        config.trapHTTPExceptions = true
        let client = try app(config).testClient()
        await #expect(throws: HTTPError.self) { try await client.get("/forbidden") }
        await #expect(throws: HTTPError.self) { try await client.get("/nowhere") }
    }

    @Test func theSettingsAreReadFromTheEnvironment() throws {
        #expect(try AppConfig.load(from: ["APP_ENV": "testing"]).errorPropagation.unhandled)
        #expect(try !AppConfig.load(from: ["APP_ENV": "testing", "PROPAGATE_EXCEPTIONS": "false"]).errorPropagation.unhandled)
        #expect(try AppConfig.load(from: ["PROPAGATE_EXCEPTIONS": "true"]).errorPropagation.unhandled)
        #expect(try AppConfig.load(from: ["TRAP_HTTP_EXCEPTIONS": "1"]).errorPropagation.httpErrors)
    }

    @Test func theServerAlwaysAnswers500() async throws {
        let app = app(AppConfig(environment: .testing))
        try await app.withLiveServer { client in
            let response = try await client.get("/broken")
            #expect(response.status == .internalServerError)
            #expect(response.text == "500 handler")
        }
    }
}
