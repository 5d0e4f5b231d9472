import Foundation
import Testing
import Vial
import VialApp
import VialBlueprints
import VialMiddleware
import VialTesting

/// Issue 16's findings on the bundled API, each failing on the app as it was.
@Suite struct HardeningIITests {
    func login(_ client: TestClient, _ username: String = "user", _ password: String = "password") async throws -> JSON {
        let response = try await client.post("/auth/login", json: ["username": .string(username), "password": .string(password)])
        #expect(response.status == .ok)
        return try response.json()
    }

    /// Item 6: token answers (RFC 6749 §5.1) and every other auth answer carry `no-store`;
    /// probes and the docs say how they may be cached.
    @Test func tokenAnswersAndProbesAreNotCached() async throws {
        let bundled = try await BundledApp()
        let client = try bundled.app.testClient()
        let tokens = try await client.post("/auth/login", json: ["username": "user", "password": "password"])
        #expect(tokens.header("Cache-Control") == "no-store")
        #expect(tokens.header("Pragma") == "no-cache")
        let access = try #require(try tokens.json()["access_token"]?.stringValue)
        let refresh = try #require(try tokens.json()["refresh_token"]?.stringValue)
        let me = try await client.get("/auth/me", headers: ["Authorization": "Bearer \(access)"])
        #expect(me.header("Cache-Control") == "no-store")
        let refreshed = try await client.send(.POST, "/auth/refresh", json: [:], headers: ["Authorization": "Bearer \(refresh)"])
        #expect(refreshed.status == .ok)
        #expect(refreshed.header("Cache-Control") == "no-store")
        let refused = try await client.post("/auth/login", json: ["username": "user", "password": "wrong"])
        #expect(refused.status == .unauthorized)
        #expect(refused.header("Cache-Control") == "no-store")
        for path in ["/health", "/health/live", "/health/ready"] {
            #expect(try await client.get(path).header("Cache-Control") == "no-store", "\(path)")
        }
        #expect(try await client.get("/openapi.json").header("Cache-Control") == "no-cache")
        #expect(try await client.get("/docs").header("Cache-Control") == "no-cache")
    }

    /// Item 3: a NUL in JSON text is refused by validation (422 for tasks, 400 for auth), on
    /// the way in; it never logs in as the user before the NUL.
    @Test func textWithNULIsRefusedNotCut() async throws {
        let bundled = try await BundledApp()
        let client = try bundled.app.testClient()
        let auth: HTTPHeaders = ["Authorization": "Bearer \(bundled.token(1))"]
        let task = try await client.post("/api/tasks/", json: ["title": "visible\u{0}hidden"], headers: auth)
        #expect(task.status == .unprocessableEntity)
        #expect(try task.json()["error"]?["details"]?["title"] == ["May not contain the NUL character (U+0000)."])
        let login = try await client.post("/auth/login", json: ["username": "admin\u{0}x", "password": "password"])
        #expect(login.status == .badRequest)
        #expect(try login.json()["access_token"] == nil)
        let register = try await client.post(
            "/auth/register", json: ["username": "nul", "email": "nul@example.com", "password": "pass\u{0}word1"])
        #expect(register.status == .badRequest)
        let list = try await client.get("/api/tasks/?status=pending%00", headers: auth)
        #expect(list.status == .badRequest)
    }

    /// Item 3, below validation: text with a NUL that reaches the database through a path with
    /// no schema (a query argument here) is 400 `invalid_text`, not a 500 or a cut value.
    @Test func textWithNULThatReachesTheDatabaseIs400() async throws {
        let bundled = try await BundledApp()
        let database = bundled.services.database
        bundled.app.get("/echo") { req in
            try await database.read("SELECT ? AS q", [.text(req.query("q") ?? "")]).first?.string("q") ?? ""
        }
        let client = try bundled.app.testClient()
        #expect(try await client.get("/echo?q=ab").text == "ab")
        let refused = try await client.get("/echo?q=a%00b")
        #expect(refused.status == .badRequest)
        #expect(try refused.json()["error"]?["code"] == "invalid_text")
    }

    /// Item 4: the error answer stays small whatever the number of unknown keys.
    @Test func errorAnswersDoNotGrowWithTheInput() async throws {
        let bundled = try await BundledApp()
        let client = try bundled.app.testClient()
        var members: [String: JSON] = ["username": "many", "email": "m@example.com", "password": "password123"]
        for index in 0..<60_000 { members["k\(index)"] = 1 }
        let response = try await client.post("/auth/register", json: .object(members))
        #expect(response.status == .badRequest)
        #expect(response.body.readableBytes < 2_048)
    }

    /// Item 10: a logout with the access token left the same login's refresh token able to mint
    /// access tokens for 7 days. Both tokens of a login share a session id, which logout revokes.
    @Test(arguments: ["access_token", "refresh_token"]) func loggingOutWithEitherTokenEndsTheLogin(with presented: String) async throws {
        let bundled = try await BundledApp()
        let client = try bundled.app.testClient()
        let tokens = try await login(client)
        let other = try await login(client)
        let access: HTTPHeaders = ["Authorization": "Bearer \(tokens["access_token"]!.stringValue!)"]
        let refresh: HTTPHeaders = ["Authorization": "Bearer \(tokens["refresh_token"]!.stringValue!)"]
        let refreshed = try await client.send(.POST, "/auth/refresh", json: [:], headers: refresh)
        let minted: HTTPHeaders = ["Authorization": "Bearer \(try refreshed.json()["access_token"]!.stringValue!)"]
        let logout = try await client.send(
            .POST, "/auth/logout", json: [:], headers: ["Authorization": "Bearer \(tokens[presented]!.stringValue!)"])
        #expect(logout.status == .ok)
        #expect(try await client.send(.POST, "/auth/refresh", json: [:], headers: refresh).status == .unauthorized)
        #expect(try await client.get("/auth/me", headers: access).status == .unauthorized)
        #expect(try await client.get("/auth/me", headers: minted).status == .unauthorized)
        // Another login of the same user goes on.
        let elsewhere: HTTPHeaders = ["Authorization": "Bearer \(other["access_token"]!.stringValue!)"]
        #expect(try await client.get("/auth/me", headers: elsewhere).status == .ok)
    }

    /// Item 8: an admin demoted in the database kept getting the cached all-users answers for
    /// up to 60 s. The role (checked within 1 s) is part of the key.
    @Test func cachedViewsDoNotOutliveADemotion() async throws {
        let clock = ManualClock()
        let bundled = try await BundledApp(clock: clock)
        let client = try bundled.app.testClient()
        let admin: HTTPHeaders = ["Authorization": "Bearer \(bundled.token(0))"]
        let user: HTTPHeaders = ["Authorization": "Bearer \(bundled.token(1))"]
        #expect(try await client.post("/api/tasks/", json: ["title": "the user's"], headers: user).status == .created)
        #expect(try await client.get("/api/tasks/", headers: admin).header("X-Cache") == "MISS")
        let cached = try await client.get("/api/tasks/", headers: admin)
        #expect(cached.header("X-Cache") == "HIT")
        #expect(try cached.json()["meta"]?["total"] == 1)
        try await bundled.services.database.write("UPDATE users SET role = 'user' WHERE id = ?", [.integer(bundled.users[0].id!)])
        clock.advance(2)  // past the user directory's 1 s
        let demoted = try await client.get("/api/tasks/", headers: admin)
        #expect(demoted.header("X-Cache") == "MISS")
        #expect(try demoted.json()["meta"]?["total"] == 0)
    }

    /// Item 9: 600 requests with junk query strings turned another user's HIT into a MISS.
    /// The key holds the declared query arguments only, and each identity has a bounded share.
    @Test func junkQueryStringsNeitherSplitNorEvictEntries() async throws {
        let bundled = try await BundledApp()
        let client = try bundled.app.testClient()
        let admin: HTTPHeaders = ["Authorization": "Bearer \(bundled.token(0))"]
        let user: HTTPHeaders = ["Authorization": "Bearer \(bundled.token(1))"]
        #expect(try await client.get("/api/tasks/", headers: admin).header("X-Cache") == "MISS")
        for index in 0..<600 {
            _ = try await client.get("/api/tasks/?junk=\(index)", headers: user)
        }
        #expect(try await client.get("/api/tasks/", headers: admin).header("X-Cache") == "HIT")
        #expect(try await client.get("/api/tasks/?junk=x", headers: user).header("X-Cache") == "HIT")
        #expect(try await client.get("/api/tasks/?status=pending", headers: user).header("X-Cache") == "MISS")
        #expect(try await client.get("/api/tasks/?page=1&status=pending&x=1", headers: user).header("X-Cache") == "MISS")
        #expect(try await client.get("/api/tasks/?status=pending&page=1", headers: user).header("X-Cache") == "HIT")
    }
}
