import Testing
import VialTesting
@testable import Vial

/// Flask's automatic `OPTIONS`: `Allow` is the union of every rule matching the path (the set a
/// 405 lists), a view may answer `OPTIONS` itself, and `provide_automatic_options` switches it off.
@Suite struct AutomaticOptionsTests {
    @Test func allowIsTheUnionOfEveryRuleMatchingThePath() async throws {
        let app = App()
        app.get("/things/<int:id>") { _ in "int" }
        app.post("/things/<name>") { _ in "name" }
        app.delete("/things/<path:rest>") { _ in "path" }
        let client = try app.testClient()
        let options = try await client.options("/things/5")
        #expect(options.status == .ok)
        #expect(options.header("Allow") == "DELETE, GET, HEAD, OPTIONS, POST")
        // The 405 lists the same set.
        let refused = try await client.send(.PUT, "/things/5", json: [:])
        #expect(refused.status == .methodNotAllowed)
        #expect(refused.header("Allow") == options.header("Allow"))
        // A path only some rules match: only theirs.
        #expect(try await client.options("/things/x").header("Allow") == "DELETE, OPTIONS, POST")
    }

    @Test func aRouteMayAnswerOptionsItself() async throws {
        let app = App()
        app.route("/custom", methods: [.GET, .OPTIONS]) { request in
            request.method == .OPTIONS ? Response(status: .noContent, headers: ["Allow": "GET"]) : .text("got")
        }
        let client = try app.testClient()
        let options = try await client.options("/custom")
        #expect(options.status == .noContent)
        #expect(options.header("Allow") == "GET")
        #expect(try await client.get("/custom").text == "got")
    }

    @Test func twoRulesDeclaringOptionsOnOnePathAreAllowedAndTheFirstAnswers() async throws {
        let app = App()
        app.route("/shared", methods: [.GET, .OPTIONS], name: "reader") { request in
            Response.text(request.method == .OPTIONS ? "reader options" : "read")
        }
        app.route("/shared", methods: [.POST, .OPTIONS], name: "writer") { request in
            Response.text(request.method == .OPTIONS ? "writer options" : "written")
        }
        let client = try app.testClient()
        #expect(try await client.options("/shared").text == "reader options")
        #expect(try await client.post("/shared", json: [:]).text == "written")
        // Any other shared method still clashes.
        let clash = App()
        clash.route("/x", methods: [.GET, .OPTIONS], name: "one") { _ in try .ok("1") }
        clash.route("/x", methods: [.GET, .OPTIONS], name: "two") { _ in try .ok("2") }
        #expect(throws: RoutingError.self) { try clash.build() }
    }

    @Test func automaticOptionsCanBeSwitchedOffPerRoute() async throws {
        let app = App()
        app.get("/quiet", options: RouteOptions(provideAutomaticOptions: false)) { _ in "q" }
        app.get("/chatty") { _ in "c" }
        let client = try app.testClient()
        let quiet = try await client.options("/quiet")
        #expect(quiet.status == .methodNotAllowed)
        #expect(quiet.header("Allow") == "GET, HEAD")
        #expect(try await client.options("/chatty").header("Allow") == "GET, HEAD, OPTIONS")
        #expect(try app.routes().first { $0.endpoint == "get_quiet" }?.allMethods == ["GET", "HEAD"])
    }

    @Test func automaticOptionsCanBeSwitchedOffAppWide() async throws {
        var config = AppConfig()
        config.provideAutomaticOptions = false
        let app = App(config: config)
        app.get("/a") { _ in "a" }
        app.get("/b", options: RouteOptions(provideAutomaticOptions: true)) { _ in "b" }
        let client = try app.testClient()
        #expect(try await client.options("/a").status == .methodNotAllowed)
        #expect(try await client.options("/b").header("Allow") == "GET, HEAD, OPTIONS")
        #expect(try AppConfig.load(from: ["PROVIDE_AUTOMATIC_OPTIONS": "false"]).provideAutomaticOptions == false)
        #expect(throws: ConfigError.self) { try AppConfig.load(from: ["PROVIDE_AUTOMATIC_OPTIONS": "perhaps"]) }
    }

    @Test func oneRuleProvidingOptionsAnswersForThePathWithTheUnion() async throws {
        // Flask: OPTIONS matches the rule that provides it, and answers with every rule's methods.
        let app = App()
        app.get("/mixed", options: RouteOptions(provideAutomaticOptions: false)) { _ in "g" }
        app.post("/mixed") { _ in "p" }
        let options = try await app.testClient().options("/mixed")
        #expect(options.status == .ok)
        #expect(options.header("Allow") == "GET, HEAD, OPTIONS, POST")
    }
}
