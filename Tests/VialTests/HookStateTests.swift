import Testing
import VialTesting
@testable import Vial

/// Flask's request context: what before-hooks store (`g`) is seen by the error handlers,
/// after-hooks and teardown of the same request — 404 and 405 included — and teardown gets the
/// original error even when a handler rendered it.
@Suite struct HookStateTests {
    enum UserKey: StorageKey { typealias Value = String }

    func app(_ trace: Trace) -> App {
        let app = App()
        app.before { (request: inout Request) in request.storage[UserKey.self] = "ada" }
        app.errorHandler(.notFound) { request, _ in
            .text("404 for \(request.storage[UserKey.self] ?? "nobody")", status: .notFound)
        }
        app.errorHandler(.methodNotAllowed) { request, _ in
            .text("405 for \(request.storage[UserKey.self] ?? "nobody")", status: .methodNotAllowed)
        }
        app.errorHandler(for: TeapotError.self) { request, _ in
            .text("teapot for \(request.storage[UserKey.self] ?? "nobody")", status: .init(statusCode: 418))
        }
        app.after { request, response in
            var response = response
            response.headers.replaceOrAdd(name: "X-User", value: request.storage[UserKey.self] ?? "nobody")
            return response
        }
        app.teardown { request, error in
            await trace.add("\(request.storage[UserKey.self] ?? "nobody") \(error.map { "\(type(of: $0))" } ?? "clean")")
        }
        app.get("/ok") { _ in "ok" }
        app.get("/teapot") { _ -> Response in throw TeapotError() }
        return app
    }

    @Test func errorHandlersSeeWhatBeforeHooksStored() async throws {
        let client = try app(Trace()).testClient()
        #expect(try await client.get("/teapot").text == "teapot for ada")
        #expect(try await client.get("/nowhere").text == "404 for ada")
        #expect(try await client.delete("/ok").text == "405 for ada")
    }

    @Test func afterHooksAndTeardownSeeWhatBeforeHooksStored() async throws {
        let trace = Trace()
        let client = try app(trace).testClient()
        #expect(try await client.get("/ok").header("X-User") == "ada")
        #expect(try await client.get("/nowhere").header("X-User") == "ada")
        #expect(await trace.events == ["ada clean", "ada HTTPError"])
    }

    @Test func teardownGetsTheOriginalErrorEvenWhenAHandlerRenderedIt() async throws {
        let trace = Trace()
        let response = try await app(trace).testClient().get("/teapot")
        #expect(response.status.code == 418)
        #expect(await trace.events == ["ada TeapotError"])
    }

    @Test func anAfterHookErrorGoesThroughTheAppsFiveHundredHandler() async throws {
        let trace = Trace()
        let app = App()
        app.errorHandler(.internalServerError) { _, error in
            .text("500 handler saw \(type(of: error))", status: .internalServerError)
        }
        app.after { _, response in
            if response.headers.first(name: "X-Fail") == nil {
                var failing = response
                failing.headers.add(name: "X-Fail", value: "1")
                throw OtherError()
            }
            return response
        }
        app.after { _, response in
            var response = response
            response.headers.add(name: "X-Seen", value: "yes")
            return response
        }
        app.teardown { _, error in await trace.add(error.map { "\(type(of: $0))" } ?? "clean") }
        app.get("/x") { _ in "x" }
        let response = try await app.testClient().get("/x")
        #expect(response.status == .internalServerError)
        #expect(response.text == "500 handler saw OtherError")
        // The after-hooks ran over the 500 too, as Flask's finalize_request does.
        #expect(response.header("X-Seen") == "yes")
        #expect(await trace.events == ["OtherError"])
    }

    @Test func middlewareValuesReachTheErrorHandlerToo() async throws {
        struct Identify: Middleware {
            var name: String { "identify" }
            func handle(_ request: Request, next: Handler) async throws -> Response {
                var request = request
                request.storage[UserKey.self] = "grace"
                return try await next(request)
            }
        }
        let app = App()
        app.use(Identify())
        app.errorHandler(for: TeapotError.self) { request, _ in .text(request.storage[UserKey.self] ?? "nobody") }
        app.get("/teapot") { _ -> Response in throw TeapotError() }
        #expect(try await app.testClient().get("/teapot").text == "grace")
    }
}
