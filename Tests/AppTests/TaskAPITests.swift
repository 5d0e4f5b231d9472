import Foundation
import Testing
import Vial
import VialBlueprints
import VialMiddleware
import VialApp
import VialTesting

/// The guide's section 9 suite (auth workshop and tasks), through the whole app in-process.
@Suite struct TaskAPITests {
    struct Fixture {
        let client: TestClient
        let services: BundledServices
        var userToken = ""
        var adminToken = ""
    }

    func fixture() async throws -> Fixture {
        let bundled = try await BundledApp(["TRUSTED_HOSTS": "api.test, localhost"])
        var fixture = Fixture(client: try bundled.app.testClient(), services: bundled.services)
        fixture.userToken = try await login(fixture.client, "user", "password")
        fixture.adminToken = try await login(fixture.client, "admin", "password")
        return fixture
    }

    func login(_ client: TestClient, _ username: String, _ password: String) async throws -> String {
        let response = try await client.post("/auth/login", json: ["username": .string(username), "password": .string(password)])
        #expect(response.status == .ok)
        return try #require(try response.json()["access_token"]?.stringValue)
    }

    func auth(_ token: String) -> HTTPHeaders { ["Authorization": "Bearer \(token)", "Host": "api.test"] }

    // MARK: auth

    @Test func registerCreatesAUser() async throws {
        let f = try await fixture()
        let response = try await f.client.post(
            "/auth/register", json: ["username": "alice", "email": "Alice@Example.com", "password": "wonderland"])
        #expect(response.status == .created)
        let json = try response.json()
        #expect(json["status"] == "success")
        #expect(json["message"] == "User registered successfully")
        #expect(json["data"]?["username"] == "alice")
        #expect(json["data"]?["email"] == "alice@example.com")
        #expect(json["data"]?["role"] == "user")
        #expect(json["data"]?["password_hash"] == nil)
        #expect(json["data"]?["created_at"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func registerRefusesTakenNamesAndEmails() async throws {
        let f = try await fixture()
        let name = try await f.client.post("/auth/register", json: ["username": "user", "email": "new@example.com", "password": "password1"])
        #expect(name.status == .conflict)
        #expect(try name.json()["error"]?["code"] == "username_taken")
        let email = try await f.client.post("/auth/register", json: ["username": "newbie", "email": "user@example.com", "password": "password1"])
        #expect(email.status == .conflict)
        #expect(try email.json()["error"]?["code"] == "email_taken")
    }

    /// A validly signed token is not enough: its subject must be a user, and the role is the
    /// account's, never the token's (a forged `role: admin` saw everyone's tasks; issue 10, item 1).
    @Test func theRoleComesFromTheUserRecordNotTheToken() async throws {
        let f = try await fixture()
        _ = try await f.client.post("/api/tasks/", json: ["title": "admin's"], headers: auth(f.adminToken))
        _ = try await f.client.post("/api/tasks/", json: ["title": "user's"], headers: auth(f.userToken))
        let user = try #require(try await f.services.users.find(username: "user"))
        let forged = f.services.jwt.issuer.accessToken(subject: String(user.id!), role: "admin", fresh: true)
        let seen = try await f.client.get("/api/tasks/", headers: auth(forged)).json()
        #expect(seen["meta"]?["total"] == 1)  // an admin would see both
        #expect(seen["data"]?[0]?["title"] == "user's")
        let nobody = f.services.jwt.issuer.accessToken(subject: "999", role: "admin", fresh: true)
        let refused = try await f.client.get("/api/tasks/", headers: auth(nobody))
        #expect(refused.status == .unauthorized)
        #expect(refused.header("WWW-Authenticate") == "Bearer")
        #expect(try await f.client.get("/auth/me", headers: auth(nobody)).status == .unauthorized)
    }

    /// `User` and `user` would be two accounts a person cannot tell apart (issue 10, item 10).
    @Test func usernamesDifferingOnlyByCaseAreTaken() async throws {
        let f = try await fixture()
        let shouting = try await f.client.post("/auth/register", json: ["username": "USER", "email": "loud@example.com", "password": "password1"])
        #expect(shouting.status == .conflict)
        #expect(try shouting.json()["error"]?["code"] == "username_taken")
    }

    @Test func registerValidatesWith400AndDetails() async throws {
        let f = try await fixture()
        let missing = try await f.client.post("/auth/register", json: [:])
        #expect(missing.status == .badRequest)
        #expect(try missing.json()["error"]?["details"]?.objectValue?.keys.sorted() == ["email", "password", "username"])
        let bad = try await f.client.post("/auth/register", json: ["username": "a b", "email": "nope", "password": "short", "role": "admin"])
        #expect(bad.status == .badRequest)
        #expect(try bad.json()["error"]?["details"]?.objectValue?.keys.sorted() == ["email", "password", "role", "username"])
        let notJSON = try await f.client.send(.POST, "/auth/register", body: "username=x", contentType: "application/x-www-form-urlencoded")
        #expect(notJSON.status == .unsupportedMediaType)
    }

    @Test func loginReturnsOAuthStyleTokens() async throws {
        let f = try await fixture()
        let json = try await f.client.post("/auth/login", json: ["username": "user", "password": "password"]).json()
        #expect(json["token_type"] == "Bearer")
        #expect(json["expires_in"] == 3600)
        #expect(json["refresh_token"]?.stringValue?.split(separator: ".").count == 3)
        #expect(json["status"] == nil)  // token responses are not enveloped
    }

    @Test func loginFailsTheSameWayForWrongPasswordAndUnknownUser() async throws {
        let f = try await fixture()
        let wrong = try await f.client.post("/auth/login", json: ["username": "user", "password": "wrong-password"])
        let unknown = try await f.client.post("/auth/login", json: ["username": "nobody", "password": "wrong-password"])
        #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
        #expect(wrong.text == unknown.text)
        #expect(try await f.client.post("/auth/login", json: ["username": "user"]).status == .badRequest)
    }

    @Test func refreshNeedsARefreshToken() async throws {
        let f = try await fixture()
        let tokens = try await f.client.post("/auth/login", json: ["username": "user", "password": "password"]).json()
        let refresh = try #require(tokens["refresh_token"]?.stringValue)
        let refreshed = try await f.client.send(.POST, "/auth/refresh", body: "", headers: auth(refresh))
        #expect(refreshed.status == .ok)
        let fresh = try #require(try refreshed.json()["access_token"]?.stringValue)
        #expect(try await f.client.get("/auth/me", headers: auth(fresh)).status == .ok)
        #expect(try f.services.jwt.codec.verify(fresh).fresh == false)
        let withAccess = try await f.client.send(.POST, "/auth/refresh", body: "", headers: auth(f.userToken))
        #expect(withAccess.status == .unauthorized)
        #expect(withAccess.header("WWW-Authenticate") == "Bearer")
    }

    @Test func logoutRevokesTheToken() async throws {
        let f = try await fixture()
        #expect(try await f.client.get("/auth/me", headers: auth(f.userToken)).json()["data"]?["username"] == "user")
        #expect(try await f.client.send(.POST, "/auth/logout", body: "", headers: auth(f.userToken)).status == .ok)
        let after = try await f.client.get("/auth/me", headers: auth(f.userToken))
        #expect(after.status == .unauthorized)
        #expect(try after.json()["error"]?["code"] == "token_revoked")
    }

    // MARK: tasks

    func create(_ f: Fixture, _ title: String, token: String? = nil, extra: [String: JSON] = [:]) async throws -> JSON {
        var body = extra
        body["title"] = .string(title)
        let response = try await f.client.post("/api/tasks/", json: .object(body), headers: auth(token ?? f.userToken))
        #expect(response.status == .created)
        return try response.json()["data"] ?? .null
    }

    @Test func tasksNeedAToken() async throws {
        let f = try await fixture()
        let response = try await f.client.get("/api/tasks/")
        #expect(response.status == .unauthorized)
        #expect(response.header("WWW-Authenticate") == "Bearer")
    }

    @Test func createReturns201WithAbsoluteLocation() async throws {
        let f = try await fixture()
        let response = try await f.client.post(
            "/api/tasks/", json: ["title": "  Write tests  ", "due_date": "2026-12-01"], headers: auth(f.userToken))
        #expect(response.status == .created)
        let task = try #require(try response.json()["data"])
        #expect(response.header("Location") == "http://api.test/api/tasks/\(task["id"]!.intValue!)")
        #expect(task["title"] == "Write tests")
        #expect(task["status"] == "pending")
        #expect(task["description"] == .null)
        #expect(task["due_date"] == "2026-12-01")
        #expect(task["owner_id"] == 2)
    }

    @Test func tasksAnswerWithAndWithoutTheSlashWithoutARedirect() async throws {
        // SPEC: the tasks blueprint opts out of strict slashes, so both spellings answer directly.
        let f = try await fixture()
        for path in ["/api/tasks", "/api/tasks/"] {
            let created = try await f.client.post(path, json: ["title": .string("via \(path)")], headers: auth(f.userToken))
            #expect(created.status == .created, "POST \(path)")
            let listed = try await f.client.get(path, headers: auth(f.userToken))
            #expect(listed.status == .ok, "GET \(path)")
        }
        let listed = try await f.client.get("/api/tasks", headers: auth(f.userToken))
        #expect(try listed.json()["data"]?.arrayValue?.count == 2)
    }

    @Test func createValidatesWith422() async throws {
        let f = try await fixture()
        let response = try await f.client.post(
            "/api/tasks/", json: ["title": "", "status": "done", "due_date": "tomorrow", "owner_id": 1, "colour": "red"],
            headers: auth(f.userToken))
        #expect(response.status == .unprocessableEntity)
        #expect(try response.json()["error"]?["details"]?.objectValue?.keys.sorted() == ["colour", "due_date", "owner_id", "status", "title"])
        let malformed = try await f.client.send(.POST, "/api/tasks/", body: "{", contentType: "application/json", headers: auth(f.userToken))
        #expect(malformed.status == .badRequest)
        let form = try await f.client.send(.POST, "/api/tasks/", body: "title=x", contentType: "text/plain", headers: auth(f.userToken))
        #expect(form.status == .unsupportedMediaType)
    }

    /// A title of one grapheme cluster holding 600 KB of combining marks passed the 150-character
    /// limit, and descriptions had none (40 MB stored in 12 s; issue 10, item 5).
    @Test func lengthsCountCodePointsAndDescriptionsHaveAMaximum() async throws {
        let f = try await fixture()
        let oneGrapheme = "e" + String(repeating: "\u{301}", count: 300_000)
        let title = try await f.client.post("/api/tasks/", json: ["title": .string(oneGrapheme)], headers: auth(f.userToken))
        #expect(title.status == .unprocessableEntity)
        #expect(try title.json()["error"]?["details"]?["title"]?[0] == "Length must be between 1 and 150.")
        let long = try await f.client.post(
            "/api/tasks/", json: ["title": "t", "description": .string(String(repeating: "d", count: 10_001))], headers: auth(f.userToken))
        #expect(long.status == .unprocessableEntity)
        #expect(try long.json()["error"]?["details"]?["description"] != nil)
        let fits = try await f.client.post(
            "/api/tasks/", json: ["title": "é", "description": .string(String(repeating: "d", count: 10_000))], headers: auth(f.userToken))
        #expect(fits.status == .created)
    }

    @Test func usersSeeTheirOwnTasksAndAdminsSeeAll() async throws {
        let f = try await fixture()
        _ = try await create(f, "mine")
        _ = try await create(f, "admin's", token: f.adminToken)
        let mine = try await f.client.get("/api/tasks", headers: auth(f.userToken)).json()
        #expect(mine["count"] == 1)
        #expect(mine["data"]?[0]?["title"] == "mine")
        let all = try await f.client.get("/api/tasks/", headers: auth(f.adminToken)).json()
        #expect(all["count"] == 2)
        #expect(all["data"]?[0]?["title"] == "admin's")  // newest first
    }

    @Test func listFiltersAndPaginates() async throws {
        let f = try await fixture()
        for index in 1...5 { _ = try await create(f, "task \(index)", extra: index <= 2 ? ["status": "completed"] : [:]) }
        let page = try await f.client.get("/api/tasks/?page=2&per_page=2", headers: auth(f.userToken)).json()
        #expect(page["meta"] == ["page": 2, "per_page": 2, "total": 5, "pages": 3])
        #expect(page["count"] == 2)
        #expect(page["data"]?[0]?["title"] == "task 3")
        let completed = try await f.client.get("/api/tasks/?status=completed", headers: auth(f.userToken)).json()
        #expect(completed["meta"]?["total"] == 2)
        // The total comes with the page's rows; a page past the end, which has none, still knows it.
        let past = try await f.client.get("/api/tasks/?page=9&per_page=2", headers: auth(f.userToken)).json()
        #expect(past["meta"] == ["page": 9, "per_page": 2, "total": 5, "pages": 3])
        #expect(past["count"] == 0)
        let pastFiltered = try await f.client.get("/api/tasks/?status=completed&page=3&per_page=2", headers: auth(f.userToken)).json()
        #expect(pastFiltered["meta"]?["total"] == 2)
        for bad in ["status=done", "page=0", "page=x", "per_page=500"] {
            #expect(try await f.client.get("/api/tasks/?\(bad)", headers: auth(f.userToken)).status == .badRequest, "\(bad)")
        }
    }

    @Test func getIs404ForMissingAnd403ForOthers() async throws {
        let f = try await fixture()
        let adminTask = try await create(f, "admin only", token: f.adminToken)
        let id = adminTask["id"]!.intValue!
        let other = try await f.client.get("/api/tasks/\(id)", headers: auth(f.userToken))
        #expect(other.status == .forbidden)
        let missing = try await f.client.get("/api/tasks/999", headers: auth(f.userToken))
        #expect(missing.status == .notFound)
        #expect(try missing.json()["error"]?["message"] == "Task with ID 999 not found")
        #expect(try await f.client.get("/api/tasks/\(id)", headers: auth(f.adminToken)).status == .ok)
    }

    @Test func putReplacesTheWholeTask() async throws {
        let f = try await fixture()
        let task = try await create(f, "draft", extra: ["description": "notes", "due_date": "2026-12-01"])
        let id = task["id"]!.intValue!
        let replaced = try await f.client.put("/api/tasks/\(id)", json: ["title": "final", "status": "completed"], headers: auth(f.userToken))
        #expect(replaced.status == .ok)
        let data = try replaced.json()["data"]
        #expect(data?["title"] == "final" && data?["status"] == "completed")
        #expect(data?["description"] == .null && data?["due_date"] == .null)
        let incomplete = try await f.client.put("/api/tasks/\(id)", json: ["title": "only"], headers: auth(f.userToken))
        #expect(incomplete.status == .unprocessableEntity)
        #expect(try incomplete.json()["error"]?["details"]?["status"] == ["Missing data for required field."])
    }

    @Test func patchChangesOnlyWhatIsSent() async throws {
        let f = try await fixture()
        let task = try await create(f, "draft", extra: ["description": "notes"])
        let id = task["id"]!.intValue!
        let patched = try await f.client.patch("/api/tasks/\(id)", json: ["status": "completed"], headers: auth(f.userToken)).json()
        #expect(patched["data"]?["status"] == "completed")
        #expect(patched["data"]?["description"] == "notes")
        #expect(patched["data"]?["title"] == "draft")
        #expect(try await f.client.patch("/api/tasks/\(id)", json: [:], headers: auth(f.userToken)).status == .badRequest)
        #expect(try await f.client.patch("/api/tasks/\(id)", json: ["colour": "red"], headers: auth(f.userToken)).status == .badRequest)
        #expect(try await f.client.patch("/api/tasks/\(id)", json: ["title": "t", "colour": "red"], headers: auth(f.userToken)).status == .unprocessableEntity)
        #expect(try await f.client.patch("/api/tasks/\(id)", json: ["title": nil], headers: auth(f.userToken)).status == .unprocessableEntity)
    }

    @Test func statusRouteSetsTheStatus() async throws {
        let f = try await fixture()
        let id = try await create(f, "flip")["id"]!.intValue!
        let done = try await f.client.put("/api/tasks/\(id)/status", json: ["status": "completed"], headers: auth(f.userToken))
        #expect(try done.json()["data"]?["status"] == "completed")
        #expect(try await f.client.put("/api/tasks/\(id)/status", json: ["status": "done"], headers: auth(f.userToken)).status == .unprocessableEntity)
        #expect(try await f.client.put("/api/tasks/999/status", json: ["status": "pending"], headers: auth(f.userToken)).status == .notFound)
    }

    @Test func deleteIsForTheOwnerOrAnAdmin() async throws {
        let f = try await fixture()
        let adminTask = try await create(f, "admin's", token: f.adminToken)["id"]!.intValue!
        let userTask = try await create(f, "user's")["id"]!.intValue!
        #expect(try await f.client.delete("/api/tasks/\(adminTask)", headers: auth(f.userToken)).status == .forbidden)
        let own = try await f.client.delete("/api/tasks/\(userTask)", headers: auth(f.userToken))
        #expect(own.status == .noContent)
        #expect(own.body.readableBytes == 0)
        #expect(try await f.client.delete("/api/tasks/\(adminTask)", headers: auth(f.adminToken)).status == .noContent)
        #expect(try await f.client.get("/api/tasks/\(userTask)", headers: auth(f.userToken)).status == .notFound)
    }

    @Test func updatedAtMovesOnEveryChange() async throws {
        // Given the bundled app on a clock we move by hand (the factory hands it to the blueprints)
        let clock = ManualClock()
        let bundled = try await BundledApp(clock: clock)
        let client = try bundled.app.testClient()
        let token = bundled.token(1)
        // When the task is created, then patched and its status changed a minute apart each
        let created = try await client.post("/api/tasks/", json: ["title": "t"], headers: auth(token)).json()["data"]!
        let id = created["id"]!.intValue!
        clock.advance(60)
        let patched = try await client.patch("/api/tasks/\(id)", json: ["title": "u"], headers: auth(token)).json()["data"]!
        clock.advance(60)
        let flipped = try await client.put("/api/tasks/\(id)/status", json: ["status": "completed"], headers: auth(token)).json()["data"]!
        // Then updated_at moves each time and created_at never does
        #expect(created["updated_at"] == "2027-01-15T08:00:00Z")
        #expect(patched["updated_at"] == "2027-01-15T08:01:00Z")
        #expect(flipped["updated_at"] == "2027-01-15T08:02:00Z")
        #expect(flipped["created_at"] == created["created_at"])
    }
}
