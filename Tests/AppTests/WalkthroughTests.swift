import Testing
import Vial
import VialBlueprints
import VialApp
import VialTesting

/// The guide's section 7 curl walk-through, over a real socket.
@Suite struct WalkthroughTests {
    @Test func guideSection7OverASocket() async throws {
        try await BundledApp().app.withLiveServer { client in
            // Register a new user
            let registered = try await client.post(
                "/auth/register", json: ["username": "newuser", "email": "newuser@example.com", "password": "newpassword"])
            #expect(registered.status == .created)

            // Log in as the regular user and as the admin
            func login(_ name: String) async throws -> JSON {
                try await client.post("/auth/login", json: ["username": .string(name), "password": "password"]).json()
            }
            let user = try await login("user")
            let admin = try await login("admin")
            let userAuth: HTTPHeaders = ["Authorization": "Bearer \(user["access_token"]!.stringValue!)"]
            let adminAuth: HTTPHeaders = ["Authorization": "Bearer \(admin["access_token"]!.stringValue!)"]

            // List (empty), then the admin creates a task
            #expect(try await client.get("/api/tasks/", headers: userAuth).json()["count"] == 0)
            let created = try await client.post("/api/tasks/", json: ["title": "Admin's task"], headers: adminAuth)
            #expect(created.status == .created)
            let location = try #require(created.header("Location"))
            #expect(location.hasPrefix("http://127.0.0.1:") && location.hasSuffix("/api/tasks/1"))

            // The user may not delete the admin's task; the admin may
            let forbidden = try await client.delete("/api/tasks/1", headers: userAuth)
            #expect(forbidden.status == .forbidden)
            #expect(try forbidden.json()["status"] == "error")
            let deleted = try await client.delete("/api/tasks/1", headers: adminAuth)
            #expect(deleted.status == .noContent)

            // Refresh the user's access token
            let refreshAuth: HTTPHeaders = ["Authorization": "Bearer \(user["refresh_token"]!.stringValue!)"]
            let refreshed = try await client.send(.POST, "/auth/refresh", body: "", headers: refreshAuth)
            #expect(refreshed.status == .ok)
            #expect(try refreshed.json()["token_type"] == "Bearer")
        }
    }
}

extension WalkthroughTests {
    @Test func limitsAndCacheOverASocket() async throws {
        try await BundledApp(["RATELIMIT_ENABLED": "true"]).app.withLiveServer { client in
            var token = ""
            for attempt in 1...6 {
                let response = try await client.post("/auth/login", json: ["username": "user", "password": "password"])
                if attempt <= 5 {
                    #expect(response.status == .ok)
                    #expect(response.header("X-RateLimit-Remaining") == String(5 - attempt))
                    token = try response.json()["access_token"]?.stringValue ?? ""
                } else {
                    #expect(response.status == .tooManyRequests)
                    #expect(response.header("Retry-After") != nil)
                }
            }
            let auth: HTTPHeaders = ["Authorization": "Bearer \(token)"]
            #expect(try await client.get("/api/tasks/", headers: auth).header("X-Cache") == "MISS")
            let hit = try await client.get("/api/tasks/", headers: auth)
            #expect(hit.header("X-Cache") == "HIT")
            #expect(hit.header("X-RateLimit-Limit") == "120")
            let etag = try #require(hit.header("ETag"))
            var conditional = auth
            conditional.add(name: "If-None-Match", value: etag)
            #expect(try await client.get("/api/tasks/", headers: conditional).status == .notModified)
        }
    }
}
