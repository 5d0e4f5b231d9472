import Testing
import Vial
import VialTesting

/// Flask's URL processors — `url_value_preprocessor`, `url_defaults` — and `after_this_request`.
@Suite struct URLProcessorTests {
    enum LangKey: StorageKey { typealias Value = String }
    enum TraceKey: StorageKey { typealias Value = [String] }

    /// The pattern of Flask's docs: a language code in every URL of a blueprint, taken out of
    /// the values once, and put back into every URL built to the blueprint's endpoints.
    func languageApp() -> App {
        let app = App()
        let pages = Blueprint("pages", urlPrefix: "/<lang_code>")
        pages.urlValuePreprocessor { req in
            req.storage[LangKey.self] = req.parameters.removeValue(forKey: "lang_code")
        }
        pages.urlDefaults { build in
            guard build.values["lang_code"] == nil, build.expects("lang_code"),
                let lang = build.request?.storage[LangKey.self]
            else { return }
            build.values["lang_code"] = lang
        }
        pages.get("/", name: "index") { _ in "index" }
        pages.get("/about", name: "about") { req in
            "\(req.storage[LangKey.self] ?? "-") \(req.parameters["lang_code"] ?? "taken") \(try req.urlFor(".index"))"
        }
        app.register(pages)
        app.get("/elsewhere", name: "elsewhere") { req in try req.urlFor("pages.index", ["lang_code": "fr"]) }
        return app
    }

    @Test func aPreprocessorTakesValuesOutAndURLDefaultsPutThemBack() async throws {
        let client = try languageApp().testClient()
        #expect(try await client.get("/de/about").text == "de taken /de/")
        #expect(try await client.get("/en/about").text == "en taken /en/")
    }

    @Test func aBlueprintsURLDefaultsServeOnlyItsEndpoints() async throws {
        let app = languageApp()
        // Outside the blueprint the request has no language: the caller's value stands.
        #expect(try await app.testClient().get("/elsewhere").text == "/fr/")
        // Outside a request, the hook sees no request and adds nothing.
        #expect(throws: RoutingError.self) { try app.urlFor("pages.index") }
    }

    @Test func theAppsURLDefaultsServeEveryEndpointAndSeeNoRequestOutsideOne() throws {
        let app = App()
        app.urlDefaults { build in
            if build.expects("tenant"), build.values["tenant"] == nil {
                build.values["tenant"] = build.request == nil ? "jobs" : "web"
            }
        }
        let reports = Blueprint("reports", urlPrefix: "/t/<tenant>")
        reports.get("/summary", name: "summary") { _ in "" }
        app.register(reports)
        app.get("/plain", name: "plain") { _ in "" }
        #expect(try app.urlFor("reports.summary") == "/t/jobs/summary")
        #expect(try app.urlFor("plain") == "/plain")  // does not expect a tenant: nothing added
    }

    static func trace(_ req: inout Request, _ step: String) {
        req.storage[TraceKey.self] = (req.storage[TraceKey.self] ?? []) + [step]
    }

    @Test func preprocessorsRunBeforeEveryBeforeHookAppFirst() async throws {
        let app = App()
        let bp = Blueprint("bp", urlPrefix: "/bp")
        bp.before { req in
            Self.trace(&req, "bp before")
            return nil
        }
        bp.urlValuePreprocessor { req in Self.trace(&req, "bp values") }
        app.before { req in
            Self.trace(&req, "app before")
            return nil
        }
        app.urlValuePreprocessor { req in Self.trace(&req, "app values") }
        bp.get("/x") { req in (req.storage[TraceKey.self] ?? []).joined(separator: ", ") }
        app.register(bp)
        #expect(
            try await app.testClient().get("/bp/x").text == "app values, bp values, app before, bp before")
    }

    @Test func aPreprocessorsErrorIsAnsweredByTheErrorHandlers() async throws {
        let app = App()
        let pages = Blueprint("pages", urlPrefix: "/<lang_code>")
        pages.urlValuePreprocessor { req in
            guard ["de", "en"].contains(req.parameters["lang_code"] ?? "") else {
                throw HTTPError(.notFound, "No such language")
            }
        }
        pages.get("/about") { _ in "about" }
        app.register(pages)
        let client = try app.testClient()
        #expect(try await client.get("/en/about").status == .ok)
        let missing = try await client.get("/xx/about")
        #expect(missing.status == .notFound)
        #expect(missing.text.contains("No such language"))
    }

    static func stamping(_ req: inout Request, _ value: String) {
        req.afterThisRequest { response in
            var response = response
            response.headers.add(name: "X-Stamp", value: value)
            return response
        }
    }

    @Test func afterThisRequestChangesTheHandlersAnswerBeforeTheAfterHooks() async throws {
        let app = App()
        app.before { req in
            Self.stamping(&req, "one")
            Self.stamping(&req, "two")
            return nil
        }
        app.after { _, response in
            var response = response
            response.headers.add(name: "X-Seen", value: response.headers[canonicalForm: "X-Stamp"].joined(separator: ","))
            return response
        }
        app.get("/x") { _ in "x" }
        app.get("/other") { _ in "other" }
        let response = try await app.testClient().get("/x")
        #expect(response.headers[canonicalForm: "X-Stamp"] == ["one", "two"])
        #expect(response.header("X-Seen") == "one,two")
    }

    @Test func afterThisRequestAppliesToEarlyAndErrorAnswers() async throws {
        let app = App()
        app.before { req in
            Self.stamping(&req, "yes")
            return req.headers.first(name: "X-Early") != nil ? Response(status: .accepted) : nil
        }
        app.get("/fails") { _ -> String in throw HTTPError(.conflict, "taken") }
        app.get("/x") { _ in "x" }
        let client = try app.testClient()
        #expect(try await client.get("/x", headers: ["X-Early": "1"]).header("X-Stamp") == "yes")
        let failed = try await client.get("/fails")
        #expect(failed.status == .conflict)
        #expect(failed.header("X-Stamp") == "yes")
    }

    @Test func aFailingCallbackIsAnUnhandledError() async throws {
        let app = App()
        struct Broken: Error {}
        app.before { req in
            req.afterThisRequest { _ in throw Broken() }
            return nil
        }
        app.get("/x") { _ in "x" }
        let client = try app.testClient()
        #expect(try await client.get("/x").status == .internalServerError)
    }

    @Test func aMiddlewaresCallbackRuns() async throws {
        struct Stamp: Middleware {
            var name: String { "stamp" }
            func handle(_ request: Request, next: Handler) async throws -> Response {
                var request = request
                request.afterThisRequest { response in
                    var response = response
                    response.headers.add(name: "X-Stamp", value: "middleware")
                    return response
                }
                return try await next(request)
            }
        }
        let app = App()
        app.get("/x", Stamp()) { _ in "x" }
        app.get("/fails", Stamp()) { _ -> String in throw HTTPError(.conflict, "taken") }
        // With a before-hook the core of hooks runs it; without, the boundary inside the middleware.
        let hooked = Blueprint("hooked")
        hooked.before { _ in nil }
        hooked.get("/y", Stamp()) { _ in "y" }
        app.register(hooked)
        let client = try app.testClient()
        #expect(try await client.get("/x").header("X-Stamp") == "middleware")
        let failed = try await client.get("/fails")
        #expect(failed.status == .conflict)
        #expect(failed.header("X-Stamp") == "middleware")
        // Run once, whichever layer runs it.
        #expect(try await client.get("/y").headers[canonicalForm: "X-Stamp"] == ["middleware"])
    }
}
