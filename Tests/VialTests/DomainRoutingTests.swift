import Testing
@testable import Vial
import VialTesting

/// Subdomain and host matching (Flask's `subdomain_matching` and `host_matching`): the
/// multi-tenant API of `<tenant>.api.example.com`.
@Suite struct DomainRoutingTests {
    static func config(serverName: String? = "api.example.com") -> AppConfig {
        var config = AppConfig()
        config.serverName = serverName
        return config
    }

    /// The main site on `SERVER_NAME`, a tenant blueprint on `<tenant>.`, an admin one on `admin.`.
    func tenantApp() -> App {
        let app = App(config: Self.config())
        app.get("/", name: "home") { _ in "home" }
        let tenant = Blueprint("tenant", subdomain: "<tenant>")
        tenant.get("/", name: "index") { req in "tenant \(req.parameters["tenant"] ?? "-")" }
        tenant.get("/link", name: "link") { req in try req.urlFor(".index", ["tenant": "other"]) }
        tenant.get("/self", name: "self") { req in try req.urlFor(".index", ["tenant": req.parameters["tenant"]!]) }
        let admin = Blueprint("admin", subdomain: "admin")
        admin.get("/", name: "index") { _ in "admin" }
        app.register(admin)
        app.register(tenant)
        return app
    }

    func get(_ client: TestClient, _ host: String, _ path: String = "/") async throws -> TestResponse {
        try await client.get(path, headers: ["Host": host])
    }

    @Test func aSubdomainPlaceholderReachesTheHandler() async throws {
        let client = try tenantApp().testClient()
        #expect(try await get(client, "acme.api.example.com").text == "tenant acme")
        #expect(try await get(client, "ACME.api.example.com:8080").text == "tenant acme")
    }

    @Test func aLiteralSubdomainBeatsAPlaceholder() async throws {
        let client = try tenantApp().testClient()
        #expect(try await get(client, "admin.api.example.com").text == "admin")
    }

    @Test func routesWithoutASubdomainAnswerOnServerNameOnly() async throws {
        let client = try tenantApp().testClient()
        #expect(try await get(client, "api.example.com").text == "home")
        // A host outside SERVER_NAME matches nothing, as Werkzeug's "invalid subdomain".
        #expect(try await get(client, "other.example.org").status == .notFound)
        #expect(try await get(client, "127.0.0.1").status == .notFound)
    }

    @Test func nestedBlueprintsJoinSubdomains() async throws {
        let app = App(config: Self.config())
        let outer = Blueprint("outer", subdomain: "<region>")
        let inner = Blueprint("inner", subdomain: "<tenant>")
        inner.get("/", name: "index") { req in "\(req.parameters["tenant"]!) in \(req.parameters["region"]!)" }
        let plain = Blueprint("plain")
        plain.get("/plain", name: "index") { req in "plain in \(req.parameters["region"]!)" }
        outer.register(inner)
        outer.register(plain)
        app.register(outer)
        let client = try app.testClient()
        #expect(try await get(client, "acme.eu.api.example.com").text == "acme in eu")
        #expect(try await get(client, "eu.api.example.com", "/plain").text == "plain in eu")
        #expect(try app.urlFor("outer.inner.index", ["tenant": "acme", "region": "eu"]) == "http://acme.eu.api.example.com/")
    }

    @Test func aMountingOrARouteSetsItsOwnSubdomain() async throws {
        let app = App(config: Self.config())
        let pages = Blueprint("pages", subdomain: "www")
        pages.get("/about", name: "about") { _ in "about" }
        pages.get("/status", name: "status", options: RouteOptions(subdomain: "status")) { _ in "status" }
        app.register(pages, name: "docs", subdomain: "docs")
        let client = try app.testClient()
        #expect(try await get(client, "docs.api.example.com", "/about").text == "about")
        #expect(try await get(client, "www.api.example.com", "/about").status == .notFound)
        #expect(try await get(client, "status.api.example.com", "/status").text == "status")
    }

    @Test func urlForNamesTheHostOfARuleOnAnotherHost() async throws {
        let app = tenantApp()
        let client = try app.testClient()
        #expect(try await get(client, "acme.api.example.com", "/link").text == "http://other.api.example.com/")
        // The request's own host: a path, as any URL.
        #expect(try await get(client, "acme.api.example.com", "/self").text == "/")
        #expect(try app.urlFor("tenant.index", ["tenant": "acme"]) == "http://acme.api.example.com/")
        #expect(try app.urlFor("home") == "http://api.example.com/")
        // A value that does not make a host name is refused, never written into the URL.
        #expect(throws: RoutingError.self) { try app.urlFor("tenant.index", ["tenant": "evil.com/x?"]) }
    }

    @Test func aSubdomainNeedsServerName() {
        let app = App(config: Self.config(serverName: nil))
        let tenant = Blueprint("tenant", subdomain: "<tenant>")
        tenant.get("/") { _ in "x" }
        app.register(tenant)
        #expect(throws: RoutingError.self) { _ = try app.build() }
    }

    @Test func hostMatchingAnswersOnTheRoutesHostOnly() async throws {
        let app = App()
        app.get("/", name: "any") { _ in "any host" }
        app.get("/", name: "tenant", options: RouteOptions(host: "<tenant>.example.com")) { req in
            "tenant \(req.parameters["tenant"]!)"
        }
        app.get("/status", name: "status", options: RouteOptions(host: "status.example.com")) { _ in "up" }
        let client = try app.testClient()
        #expect(try await get(client, "acme.example.com").text == "tenant acme")
        #expect(try await get(client, "localhost").text == "any host")
        #expect(try await get(client, "status.example.com", "/status").text == "up")
        #expect(try await get(client, "acme.example.com", "/status").status == .notFound)
        #expect(try app.urlFor("tenant", ["tenant": "acme"]) == "http://acme.example.com/")
    }

    @Test func hostAndSubdomainDoNotMix() {
        let app = App(config: Self.config())
        app.get("/a", options: RouteOptions(host: "a.example.com")) { _ in "a" }
        app.get("/b", options: RouteOptions(subdomain: "b")) { _ in "b" }
        #expect(throws: RoutingError.self) { _ = try app.build() }
    }

    @Test func theListingShowsADomainColumn() throws {
        let text = RouteListing.render(try tenantApp().routes(), sort: .match)
        let lines = text.split(separator: "\n")
        #expect(lines[0].hasPrefix("Endpoint      Methods  Domain    Rule"))
        #expect(lines.contains { $0.hasPrefix("tenant.index  GET      <tenant>  /") })
        #expect(lines.contains { $0.hasPrefix("admin.index   GET      admin     /") })
    }

    @Test func theSameSegmentsOnTwoDomainsDoNotClash() throws {
        // `/` on admin., on <tenant>. and on SERVER_NAME: three rules, no clash at build.
        _ = try tenantApp().build()
    }

    @Test func theStreamedBodyLimitIsFoundOnTheRequestsHost() throws {
        // The server asks before reading a body whether its route streams it: with domains, the
        // route depends on the Host header too.
        let app = App(config: Self.config())
        let uploads = Blueprint("uploads", subdomain: "<tenant>")
        uploads.post("/up", streamedBody(maxSize: 4096)) { _ in "ok" }
        app.register(uploads)
        app.post("/up") { _ in "buffered" }
        let responder = try app.build()
        #expect(responder.streamedBodyLimit(method: .POST, uri: "/up?x=1", host: "acme.api.example.com") == 4096)
        #expect(responder.streamedBodyLimit(method: .POST, uri: "/up", host: "api.example.com") == nil)
        #expect(responder.streamedBodyLimit(method: .POST, uri: "/up", host: nil) == nil)
    }
}
