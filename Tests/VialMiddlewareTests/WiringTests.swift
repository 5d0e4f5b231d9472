import Testing
import Vial
@testable import VialMiddleware
import VialTesting

/// Middleware that needs other middleware finds it at `build()`: a missing one fails the build
/// naming the route, instead of a 500 (or a limit that is listed but never enforced) at run time.
@Suite struct WiringTests {
    let codec = JWTCodec(secret: "wiring-secret-0123456789abcdef")

    func app() -> App {
        var config = AppConfig()
        config.accessLog = false
        return App(config: config)
    }

    func jwt() -> JWTManager {
        JWTManager(issuer: TokenIssuer(codec: codec), revocations: MemoryRevocationStore(clock: FixedClock(0)))
    }

    @Test func jwtRequiredWithoutAManagerFailsTheBuild() throws {
        let app = app()
        let notes = Blueprint("notes", urlPrefix: "/notes")
        notes.use(jwtRequired())
        notes.get("/", name: "list") { _ in "[]" }
        app.register(notes)
        #expect {
            try app.build()
        } throws: { error in
            "\(error)".contains("route 'notes.list' (/notes/) uses jwt, but none is installed outside it")
        }
        app.use(jwt())
        // A manager added later still counts: resolution happens at build, after all registration.
        #expect(throws: Never.self) { try app.build() }
    }

    @Test func jwtOptionalAndRoleRequiredNeedAManagerToo() throws {
        for check in [jwtOptional(), roleRequired("admin")] {
            let app = app()
            app.get("/x", name: "x", check) { _ in "x" }
            #expect(throws: RoutingError.self) { try app.build() }
        }
    }

    @Test func limitWithoutARateLimiterFailsTheBuild() throws {
        let app = app()
        app.post("/login", name: "login", limit("5 per minute")) { _ in "ok" }
        #expect {
            try app.build()
        } throws: { error in
            "\(error)".contains("route 'login' (/login) uses limit(5 per minute), but none is installed outside it")
        }
        try RateLimiter().install(on: app)
        #expect(throws: Never.self) { try app.build() }
    }

    @Test func cachedWithoutACacheFailsTheBuild() throws {
        let app = app()
        app.get("/report", name: "report", cached(timeout: 30)) { _ in "big" }
        #expect {
            try app.build()
        } throws: { error in
            "\(error)".contains("route 'report' (/report) uses cached(30s), but none is installed outside it")
        }
        app.use(Cache())
        #expect(throws: Never.self) { try app.build() }
    }

    @Test func aManagerInsideTheCheckDoesNotCount() throws {
        // The manager must wrap the check: installed on the route after it, it would run too late.
        let app = app()
        app.get("/x", name: "x", jwtRequired(), jwt()) { _ in "x" }
        #expect(throws: RoutingError.self) { try app.build() }
    }

    /// Flask-Limiter applies default limits before the view's decorators: a request that the token
    /// check refuses is counted too, so guessing tokens is limited.
    @Test func defaultLimitsCountRequestsTheTokenCheckRefuses() async throws {
        let clock = ManualClock()
        let app = app()
        try RateLimiter(defaults: "2 per minute", clock: clock).install(on: app)
        app.use(jwt())
        let notes = Blueprint("notes", urlPrefix: "/notes")
        notes.use(jwtRequired())
        notes.get("/", name: "list") { _ in "[]" }
        app.register(notes)
        let client = try app.testClient()
        let first = try await client.get("/notes/", headers: ["Authorization": "Bearer forged"])
        #expect(first.status == .unauthorized)
        #expect(first.header("X-RateLimit-Remaining") == "1")
        #expect(try await client.get("/notes/").status == .unauthorized)
        let third = try await client.get("/notes/", headers: ["Authorization": "Bearer forged"])
        #expect(third.status == .tooManyRequests)
        #expect(third.header("Retry-After") != nil)
    }

    @Test func routesWithTheirOwnLimitsSkipTheDefaults() async throws {
        let app = app()
        try RateLimiter(defaults: "1 per minute", clock: ManualClock()).install(on: app)
        app.get("/own", name: "own", limit("3 per minute")) { _ in "own" }
        let client = try app.testClient()
        for _ in 0..<3 { #expect(try await client.get("/own").status == .ok) }
        #expect(try await client.get("/own").status == .tooManyRequests)
    }
}
