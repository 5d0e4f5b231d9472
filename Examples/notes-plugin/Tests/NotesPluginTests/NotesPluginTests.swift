import Foundation
import NotesPlugin
import Testing
import Vial
import VialApp
import VialBlueprints
import VialTesting

/// The notes plugin installed next to the bundled ones, tested through the in-process client.
@Suite struct NotesPluginTests {
    let application = Application("notes-app", plugins: Bundled.plugins + [NotesPlugin()])

    /// The app on a migrated in-memory database with the development users, and a logged-in client.
    func start(_ variables: [String: String] = [:]) async throws -> (Assembly, TestClient, user: HTTPHeaders, admin: HTTPHeaders) {
        var config = try AppConfig.load(from: variables.merging(["APP_ENV": "testing"]) { mine, _ in mine })
        config.accessLog = false
        let assembly = try application.assembleInMemory(config: config)
        for plugin in assembly.plugins { _ = try await plugin.seed(assembly, samples: false) }
        let client = try assembly.app.testClient()
        func login(_ name: String) async throws -> HTTPHeaders {
            let answer = try await client.post("/auth/login", json: ["username": .string(name), "password": "password"]).json()
            return ["Authorization": "Bearer \(try #require(answer["access_token"]?.stringValue))"]
        }
        return (assembly, client, try await login("user"), try await login("admin"))
    }

    @Test func createListGetAndDeleteMyNotes() async throws {
        let (_, client, user, _) = try await start()
        let created = try await client.post("/api/notes/", json: ["title": "Groceries", "body": "eggs milk bread"], headers: user)
        #expect(created.status == .created)
        #expect(created.header("Location")?.hasSuffix("/api/notes/1") == true)
        #expect(try created.json()["data"]?["title"] == "Groceries")
        let list = try await client.get("/api/notes/", headers: user).json()
        #expect(list["count"] == 1)
        #expect(try await client.get("/api/notes/1", headers: user).json()["data"]?["body"] == "eggs milk bread")
        #expect(try await client.delete("/api/notes/1", headers: user).status == .noContent)
        #expect(try await client.get("/api/notes/1", headers: user).status == .notFound)
    }

    @Test func notesAreTheirAuthorsAlone() async throws {
        let (_, client, user, admin) = try await start()
        _ = try await client.post("/api/notes/", json: ["title": "Mine"], headers: user)
        #expect(try await client.get("/api/notes/1", headers: admin).status == .notFound)
        #expect(try await client.get("/api/notes/", headers: admin).json()["count"] == 0)
        #expect(try await client.get("/api/notes/").status == .unauthorized)
    }

    @Test func badInputIsA422WithDetails() async throws {
        let (_, client, user, _) = try await start()
        let answer = try await client.post("/api/notes/", json: ["title": "", "colour": "red"], headers: user)
        #expect(answer.status == .unprocessableEntity)
        let details = try answer.json()["error"]?["details"]
        #expect(details?["title"] != nil)
        #expect(details?["colour"] != nil)
    }

    /// The typed body: every problem by path, the default for an absent body, the title trimmed.
    @Test func theTypedBodyChecksAndDecodes() async throws {
        let (_, client, user, _) = try await start()
        let refused = try await client.post("/api/notes/", json: ["title": 7, "body": nil], headers: user)
        #expect(try refused.json()["error"]?["details"] == ["title": ["Not a valid string."], "body": ["Field may not be null."]])
        let created = try await client.post("/api/notes/", json: ["title": "  Trimmed  "], headers: user).json()
        #expect(created["data"]?["title"] == "Trimmed" && created["data"]?["body"] == "")
        let document = try await client.get("/openapi.json").json()
        #expect(document["components"]?["schemas"]?["NoteInput"]?["properties"]?["body"]?["default"] == "")
        #expect(document["components"]?["schemas"]?["Note"]?["properties"]?["words"]?["readOnly"] == true)
    }

    @Test func theWordCountJobFillsInTheNote() async throws {
        let (assembly, client, user, _) = try await start()
        _ = try await client.post("/api/notes/", json: ["title": "Three little words", "body": "and two"], headers: user)
        #expect(try await client.get("/api/notes/1", headers: user).json()["data"]?["words"] == .null)
        let queue = try #require(assembly[JobsPlugin.Queue.self])
        while try await queue.runNext() {}
        #expect(try await client.get("/api/notes/1", headers: user).json()["data"]?["words"] == 5)
    }

    @Test func theMaxPerUserSettingIsEnforcedAndChecked() async throws {
        let (_, client, user, _) = try await start(["NOTES_MAX_PER_USER": "1"])
        #expect(try await client.post("/api/notes/", json: ["title": "one"], headers: user).status == .created)
        let second = try await client.post("/api/notes/", json: ["title": "two"], headers: user)
        #expect(second.status == .conflict)
        #expect(try second.json()["error"]?["code"] == "too_many_notes")
        await #expect(throws: ConfigError(variable: "NOTES_MAX_PER_USER", reason: "must be a whole number from 1 to 100000 (got 'lots')")) {
            _ = try await start(["NOTES_MAX_PER_USER": "lots"])
        }
    }

    @Test func theNotesTableIsTheNotesPluginsOwnMigration() async throws {
        let (assembly, _, _, _) = try await start()
        let state = try await assembly.migrator.current(assembly.database)
        #expect(state["notes"] == "0002")
        let routes = try assembly.app.routes().filter { $0.endpoint.hasPrefix("notes.") }
        #expect(routes.map(\.endpoint).sorted() == ["notes.create_note", "notes.delete_note", "notes.get_note", "notes.list_notes"])
        #expect(routes.allSatisfy { $0.middleware == ["jwt", "limit(60 per minute)"] })
    }
}
