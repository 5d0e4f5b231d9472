import Testing
import Vial
import VialTesting

/// Route defaults and several rules per endpoint (Werkzeug's `defaults`, `redirect_defaults` and
/// build order; Flask's blueprint `url_defaults`).
@Suite struct RouteDefaultsTests {
    func usersApp(_ rules: [String] = ["/users/", "/users/page/<int:page>"]) -> App {
        let app = App()
        app.route(rules, name: "users", options: .defaults(["page": 1])) { req in
            "page \(req.parameters["page"] ?? "none")"
        }
        return app
    }

    @Test func aDefaultReachesTheHandler() async throws {
        let app = App()
        app.get("/blog/", name: "blog", options: .defaults(["page": 1, "sort": "new"])) { req in
            "\(req.parameters["page"] ?? "-") \(req.parameters["sort"] ?? "-")"
        }
        #expect(try await app.testClient().get("/blog/").text == "1 new")
    }

    @Test func oneEndpointAnswersOnSeveralRules() async throws {
        let client = try usersApp().testClient()
        #expect(try await client.get("/users/").text == "page 1")
        #expect(try await client.get("/users/page/2").text == "page 2")
    }

    @Test func theURLOfTheDefaultsRedirectsToTheSimplerRule() async throws {
        let client = try usersApp().testClient()
        let redirect = try await client.get("/users/page/1?q=x")
        #expect(redirect.status == .permanentRedirect)
        #expect(redirect.header("Location") == "/users/?q=x")
    }

    @Test func onlyARuleRegisteredBeforeIsARedirectTarget() async throws {
        // Werkzeug only looks at rules of the endpoint registered before the matched one.
        let client = try usersApp(["/users/page/<int:page>", "/users/"]).testClient()
        #expect(try await client.get("/users/page/1").text == "page 1")
        #expect(try await client.get("/users/").text == "page 1")
    }

    @Test func urlForPicksTheRuleTheValuesFit() throws {
        let app = usersApp()
        #expect(try app.urlFor("users", ["page": 1]) == "/users/")
        #expect(try app.urlFor("users") == "/users/")
        #expect(try app.urlFor("users", ["page": 2]) == "/users/page/2")
        #expect(try app.urlFor("users", ["page": 2, "q": "x"]) == "/users/page/2?q=x")
        #expect(try app.urlFor("users", ["page": 1, "q": "x"]) == "/users/?q=x")
    }

    @Test func urlForRefusesAValueOtherThanTheOnlyRulesDefault() {
        let app = App()
        app.get("/blog/", name: "blog", options: .defaults(["page": 1])) { _ in "x" }
        #expect(throws: RoutingError.self) { try app.urlFor("blog", ["page": 2]) }
        do {
            _ = try app.urlFor("blog", ["page": 2])
        } catch {
            #expect("\(error)".contains("'page' fixed to '1'"), "\(error)")
        }
    }

    @Test func aRuleThatCapturesTheNameKeepsTheURLsValue() async throws {
        let app = App()
        app.get("/posts/<int:page>", name: "posts", options: .defaults(["page": 1])) { req in req.parameters["page"] ?? "" }
        #expect(try await app.testClient().get("/posts/7").text == "7")
        let routes = try app.routes()
        #expect(routes.first?.options.defaults.isEmpty == true)
    }

    @Test func aBlueprintMountedTwiceGivesEachMountingItsDefaults() async throws {
        let app = App()
        let pages = Blueprint("pages", urlDefaults: ["lang": "en", "theme": "light"])
        pages.get("/about", name: "about") { req in "\(req.parameters["lang"] ?? "-") \(req.parameters["theme"] ?? "-")" }
        pages.get("/legal", name: "legal", options: .defaults(["lang": "la"])) { req in req.parameters["lang"] ?? "-" }
        app.register(pages, urlPrefix: "/de", name: "de", urlDefaults: ["lang": "de"])
        app.register(pages, urlPrefix: "/en", name: "en")
        let client = try app.testClient()
        #expect(try await client.get("/de/about").text == "de light")  // the mounting's beat the blueprint's
        #expect(try await client.get("/en/about").text == "en light")
        #expect(try await client.get("/de/legal").text == "la")  // the route's own beat both
    }

    @Test func nestedBlueprintsInheritDefaults() async throws {
        let app = App()
        let outer = Blueprint("outer", urlPrefix: "/o", urlDefaults: ["tenant": "acme", "region": "eu"])
        let inner = Blueprint("inner", urlPrefix: "/i", urlDefaults: ["region": "us"])
        inner.get("/where", name: "where") { req in "\(req.parameters["tenant"] ?? "-") \(req.parameters["region"] ?? "-")" }
        outer.register(inner)
        app.register(outer)
        #expect(try await app.testClient().get("/o/i/where").text == "acme us")
    }

    @Test func everyRuleIsListedAndDocumentedUnderItsEndpoint() throws {
        let app = usersApp()
        let routes = try app.routes()
        #expect(routes.map(\.rule) == ["/users/", "/users/page/<int:page>"])
        #expect(routes.map(\.endpoint) == ["users", "users"])
        #expect(routes.map(\.options.defaults) == [["page": "1"], [:]])
        let document = OpenAPIGenerator.document(for: routes, title: "t", version: "1")
        let ids = document.paths.values.compactMap(\.pathItemValue).compactMap(\.get?.operationId)
        #expect(Set(ids) == ["users", "users_2"])
    }

    @Test func anEndpointNameUsedByTwoRegistrationsStillFails() {
        let app = App()
        app.get("/a", name: "same") { _ in "a" }
        app.get("/b", name: "same") { _ in "b" }
        #expect(throws: RoutingError.self) { _ = try app.build() }
    }
}
