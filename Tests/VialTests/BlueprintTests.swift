import Testing
@testable import Vial
import VialTesting

@Suite struct BlueprintTests {
    @Test func prefixAtCreationNamesEndpointsAfterTheBlueprint() async throws {
        let app = App()
        let tasks = Blueprint("tasks", urlPrefix: "/api/tasks")
        tasks.get("/<int:task_id>", name: "get_task") { req in "task \(try req.param("task_id", as: Int.self))" }
        app.register(tasks)
        let client = try app.testClient()
        #expect(try await client.get("/api/tasks/3").text == "task 3")
        #expect(try app.routes().map(\.endpoint) == ["tasks.get_task"])
    }

    @Test func prefixAtRegistrationOverridesCreation() async throws {
        let app = App()
        let tasks = Blueprint("tasks", urlPrefix: "/old")
        tasks.get("/", name: "list") { _ in "list" }
        app.register(tasks, urlPrefix: "/api/tasks")
        let client = try app.testClient()
        #expect(try await client.get("/api/tasks/").text == "list")
        #expect(try await client.get("/api/tasks").header("Location") == "/api/tasks/")  // strict slashes
        #expect(try await client.get("/old/").status == .notFound)
    }

    @Test func nestedBlueprintsJoinPrefixesAndDotNames() async throws {
        let app = App()
        let api = Blueprint("api", urlPrefix: "/api")
        let v1 = Blueprint("v1")
        v1.get("/ping", name: "ping") { req in req.endpoint ?? "-" }
        api.register(v1, urlPrefix: "/v1")
        app.register(api)
        let client = try app.testClient()
        #expect(try await client.get("/api/v1/ping").text == "api.v1.ping")
    }

    @Test func sameBlueprintMountsTwiceUnderDifferentNames() async throws {
        let app = App()
        let items = Blueprint("items")
        items.get("/", name: "list") { req in try req.urlFor(".list") }
        app.register(items, urlPrefix: "/v1/items")
        app.register(items, urlPrefix: "/v2/items", name: "items_v2")
        let client = try app.testClient()
        #expect(try await client.get("/v1/items/").text == "/v1/items/")
        #expect(try await client.get("/v2/items/").text == "/v2/items/")
    }

    @Test func mountingTwiceUnderOneNameFails() {
        let app = App()
        let items = Blueprint("items")
        items.get("/", name: "list") { _ in "x" }
        app.register(items, urlPrefix: "/a")
        app.register(items, urlPrefix: "/b")
        #expect(throws: RoutingError.self) { _ = try app.build() }
    }

    @Test func duplicateEndpointNamesFail() {
        let app = App()
        app.get("/a", name: "same") { _ in "a" }
        app.get("/b", name: "same") { _ in "b" }
        #expect(throws: RoutingError.duplicateName("endpoint 'same' is used by both '/a' and '/b'")) { _ = try app.build() }
    }

    @Test func clashingRulesFailAtBuild() {
        let app = App()
        app.get("/a/<int:x>", name: "one") { _ in "a" }
        let bp = Blueprint("bp")
        bp.get("/a/<int:y>", name: "two") { _ in "b" }
        app.register(bp)
        #expect(throws: RoutingError.self) { _ = try app.build() }
    }

    @Test func defaultEndpointNameComesFromMethodAndRule() throws {
        let app = App()
        app.get("/api/greet/<name>") { _ in "x" }
        app.post("/") { _ in "x" }
        #expect(try app.routes().map(\.endpoint) == ["get_api_greet_name", "post_index"])
    }
}

/// Records the order things ran in.
actor Trace {
    var events: [String] = []
    func add(_ event: String) { events.append(event) }
}

struct Tag: Middleware {
    let label: String
    let trace: Trace
    var name: String { label }
    func handle(_ request: Request, next: Handler) async throws -> Response {
        await trace.add("\(label)>")
        var response = try await next(request)
        await trace.add("<\(label)")
        response.headers.add(name: "X-Trail", value: label)
        return response
    }
}

@Suite struct MiddlewareTests {
    @Test func middlewareRunsAppThenBlueprintThenRoute() async throws {
        let trace = Trace()
        let app = App()
        app.use(Tag(label: "app", trace: trace))
        let bp = Blueprint("bp", urlPrefix: "/bp")
        bp.use(Tag(label: "bp", trace: trace))
        bp.get("/x", name: "x", Tag(label: "route", trace: trace)) { _ in
            await trace.add("handler")
            return "ok"
        }
        app.register(bp)
        let response = try await app.testClient().get("/bp/x")
        #expect(await trace.events == ["app>", "bp>", "route>", "handler", "<route", "<bp", "<app"])
        #expect(response.headers["X-Trail"] == ["route", "bp", "app"])
        #expect(try app.routes()[0].middleware == ["app", "bp", "route"])
    }

    @Test func middlewareCanShortCircuit() async throws {
        let app = App()
        let deny = MiddlewareFunction(name: "deny") { _, _ in Response.text("denied", status: .forbidden) }
        app.get("/secret", deny) { _ in "secret" }
        app.get("/open") { _ in "open" }
        let client = try app.testClient()
        #expect(try await client.get("/secret").status == .forbidden)
        #expect(try await client.get("/open").text == "open")
    }

    @Test func middlewareSeesHandlerErrorsAsResponses() async throws {
        let app = App()
        let seen = MiddlewareFunction(name: "seen") { request, next in
            var response = try await next(request)
            response.headers.add(name: "X-Seen-Status", value: "\(response.status.code)")
            return response
        }
        app.get("/missing", seen) { _ in throw HTTPError.notFound("nothing") }
        let response = try await app.testClient().get("/missing")
        #expect(response.header("X-Seen-Status") == "404")
    }

    @Test func middlewareErrorsAreRenderedAsJSON() async throws {
        let app = App()
        let auth = MiddlewareFunction(name: "auth") { _, _ in throw HTTPError.unauthorized("Missing Authorization header") }
        app.get("/me", auth) { _ in "me" }
        let response = try await app.testClient().get("/me")
        #expect(response.status == .unauthorized)
        #expect(response.header("WWW-Authenticate") == "Bearer")
        #expect(try response.json()["error"]?["message"] == "Missing Authorization header")
    }

    @Test func appMiddlewareSeesNotFound() async throws {
        let app = App()
        app.use(MiddlewareFunction(name: "stamp") { request, next in
            var response = try await next(request)
            response.headers.add(name: "X-Stamp", value: "1")
            return response
        })
        let response = try await app.testClient().get("/nowhere")
        #expect(response.status == .notFound)
        #expect(response.header("X-Stamp") == "1")
    }

    @Test func middlewareCanPassValuesThroughStorage() async throws {
        enum UserKey: StorageKey { typealias Value = String }
        let app = App()
        let identify = MiddlewareFunction(name: "identify") { request, next in
            var request = request
            request.storage[UserKey.self] = "alice"
            return try await next(request)
        }
        app.get("/who", identify) { req in req.storage[UserKey.self] ?? "nobody" }
        #expect(try await app.testClient().get("/who").text == "alice")
    }
}

@Suite struct HookTests {
    @Test func beforeHooksRunAppThenBlueprintAndAfterHooksInReverse() async throws {
        let trace = Trace()
        let app = App()
        app.before { (_: inout Request) in await trace.add("before app") }
        app.after { _, response in
            await trace.add("after app")
            return response
        }
        let bp = Blueprint("bp", urlPrefix: "/bp")
        bp.before { (_: inout Request) in await trace.add("before bp") }
        bp.after { _, response in
            await trace.add("after bp")
            return response
        }
        bp.get("/x", name: "x") { _ in
            await trace.add("handler")
            return "ok"
        }
        app.register(bp)
        _ = try await app.testClient().get("/bp/x")
        #expect(await trace.events == ["before app", "before bp", "handler", "after bp", "after app"])
    }

    @Test func beforeHookCanAnswerInsteadOfTheHandler() async throws {
        let app = App()
        app.before { (request: inout Request) -> Response? in
            request.header("X-Block") != nil ? Response.text("blocked", status: .forbidden) : nil
        }
        app.get("/x") { _ in "handler" }
        let client = try app.testClient()
        #expect(try await client.get("/x", headers: ["X-Block": "1"]).text == "blocked")
        #expect(try await client.get("/x").text == "handler")
    }

    @Test func afterHooksRunOnErrorResponses() async throws {
        let app = App()
        app.after { _, response in
            var response = response
            response.headers.add(name: "X-After", value: "yes")
            return response
        }
        app.get("/fail") { _ -> Response in throw HTTPError.badRequest("no") }
        let client = try app.testClient()
        #expect(try await client.get("/fail").header("X-After") == "yes")
        #expect(try await client.get("/missing").header("X-After") == "yes")
    }

    @Test func teardownRunsWithTheEscapingError() async throws {
        let trace = Trace()
        let app = App()
        app.teardown { _, error in await trace.add(error == nil ? "clean" : "error") }
        app.after { _, _ in throw HTTPError.badRequest("after hook failed") }
        app.get("/x") { _ in "x" }
        let response = try await app.testClient().get("/x")
        #expect(response.status == .internalServerError)
        #expect(await trace.events == ["error"])
    }
}

struct TeapotError: Error {}
struct OtherError: Error {}

@Suite struct ErrorHandlerTests {
    func app() -> App {
        let app = App()
        app.errorHandler(.notFound) { _, _ in .text("app 404", status: .notFound) }
        app.errorHandler(for: TeapotError.self) { _, _ in .text("app teapot", status: .init(statusCode: 418)) }
        let bp = Blueprint("bp", urlPrefix: "/bp")
        bp.errorHandler(.notFound) { _, _ in .text("bp 404", status: .notFound) }
        bp.errorHandler(for: TeapotError.self) { _, _ in .text("bp teapot", status: .init(statusCode: 418)) }
        bp.get("/missing", name: "missing") { _ -> Response in throw HTTPError.notFound("x") }
        bp.get("/teapot", name: "teapot") { _ -> Response in throw TeapotError() }
        app.register(bp)
        app.get("/missing") { _ -> Response in throw HTTPError.notFound("x") }
        app.get("/teapot") { _ -> Response in throw TeapotError() }
        app.get("/crash") { _ -> Response in throw OtherError() }
        return app
    }

    @Test func blueprintStatusHandlerWinsForItsRoutes() async throws {
        #expect(try await app().testClient().get("/bp/missing").text == "bp 404")
    }

    @Test func appStatusHandlerAppliesOutsideTheBlueprint() async throws {
        #expect(try await app().testClient().get("/missing").text == "app 404")
    }

    @Test func blueprintTypeHandlerWinsForItsRoutes() async throws {
        let client = try app().testClient()
        #expect(try await client.get("/bp/teapot").text == "bp teapot")
        #expect(try await client.get("/teapot").text == "app teapot")
    }

    @Test func blueprintHandlerSeesNotFoundUnderItsPrefix() async throws {
        let client = try app().testClient()
        #expect(try await client.get("/bp/nothing-here").text == "bp 404")
        #expect(try await client.get("/elsewhere").text == "app 404")
    }

    @Test func statusHandlerBeatsTypeHandlerForHTTPErrors() async throws {
        let app = App()
        app.errorHandler(for: HTTPError.self) { _, _ in .text("by type") }
        app.errorHandler(.conflict) { _, _ in .text("by status", status: .conflict) }
        app.get("/c") { _ -> Response in throw HTTPError.conflict("taken") }
        app.get("/f") { _ -> Response in throw HTTPError.forbidden("no") }
        let client = try app.testClient()
        #expect(try await client.get("/c").text == "by status")
        #expect(try await client.get("/f").text == "by type")
    }

    @Test func unknownErrorsAreA500ThatLeaksNothing() async throws {
        let response = try await app().testClient().get("/crash")
        #expect(response.status == .internalServerError)
        let json = try response.json()
        #expect(json["status"] == "error")
        #expect(json["error"]?["code"] == "internal_error")
        #expect(!response.text.contains("OtherError"))
    }

    @Test func fiveHundredHandlerCatchesUnknownErrors() async throws {
        let app = App()
        app.errorHandler(.internalServerError) { _, _ in .text("custom 500", status: .internalServerError) }
        app.get("/crash") { _ -> Response in throw OtherError() }
        #expect(try await app.testClient().get("/crash").text == "custom 500")
    }

    @Test func defaultErrorsUseTheEnvelope() async throws {
        let response = try await App().testClient().get("/nothing")
        #expect(
            response.text
                == #"{"error":{"code":"not_found","message":"The requested URL was not found on the server."},"status":"error"}"# + "\n")
    }

    @Test func methodNotAllowedIsJSONWithAllow() async throws {
        let app = App()
        app.get("/only-get") { _ in "x" }
        let response = try await app.testClient().delete("/only-get")
        #expect(response.status == .methodNotAllowed)
        #expect(response.header("Allow") == "GET, HEAD, OPTIONS")
        #expect(try response.json()["error"]?["code"] == "method_not_allowed")
    }

    @Test func abortCarriesStatusMessageCodeAndDetails() async throws {
        let app = App()
        app.get("/x") { _ -> Response in try abort(.unprocessableEntity, "Bad", code: "bad_thing", details: ["f": ["m"]]) }
        let json = try await app.testClient().get("/x").json()
        #expect(json == ["status": "error", "error": ["message": "Bad", "code": "bad_thing", "details": ["f": ["m"]]]])
    }
}
