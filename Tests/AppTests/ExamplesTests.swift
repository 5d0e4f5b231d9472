import Foundation
import Testing
import Vial
import VialTesting
@testable import VialExamples

/// Each example answers as the guide's curl lines say.
@Suite struct ExamplesTests {
    func app(_ name: String) throws -> App {
        var config = AppConfig()
        config.accessLog = false
        return try #require(ExampleCatalog.named(name)).make(config)
    }

    @Test func catalogListsEveryExample() {
        let listing = ExampleCatalog.listing
        for name in ["hello", "greet", "products", "users", "search", "items", "headers", "tasks-memory", "tasks-enhanced", "email-jobs", "stream", "chat"] {
            #expect(listing.contains("  \(name) "))
        }
    }

    @Test(arguments: ClientKind.allCases) func chat(kind: ClientKind) async throws {
        try await kind.run(try app("chat")) { client in
            #expect(try await client.get("/").text.contains("new WebSocket("))
            // A nickname is checked before the upgrade.
            await #expect(throws: WebSocketHandshakeRefused.self) { try await client.webSocket("/rooms/lobby") { _ in } }
            let ada = try await client.openWebSocket("/rooms/lobby?nick=ada", headers: [:])
            #expect(try await ada.receiveJSON() == ["type": "welcome", "room": "lobby", "members": ["ada"]])
            #expect(try await ada.receiveJSON() == ["type": "join", "nick": "ada"])
            let bob = try await client.openWebSocket("/rooms/lobby?nick=bob", headers: [:])
            #expect(try await bob.receiveJSON()["members"] == ["ada", "bob"])
            #expect(try await ada.receiveJSON() == ["type": "join", "nick": "bob"])
            // Another room hears nothing of this one.
            let eve = try await client.openWebSocket("/rooms/other?nick=eve", headers: [:])
            #expect(try await eve.receiveJSON()["members"] == ["eve"])
            try await bob.send(json: ["text": "hi ada"])
            #expect(try await ada.receiveJSON() == ["type": "message", "nick": "bob", "text": "hi ada"])
            try await ada.send("not json")
            #expect(try await ada.receiveJSON()["type"] == "error")
            await bob.close()
            #expect(try await ada.receiveJSON() == ["type": "leave", "nick": "bob"])
            #expect(try await eve.receiveJSON() == ["type": "join", "nick": "eve"])
            await #expect(throws: TestWebSocketTimeout.self) { try await eve.receive(timeout: .milliseconds(200)) }
            await ada.close()
            await eve.close()
        }
    }

    @Test(arguments: ClientKind.allCases) func stream(kind: ClientKind) async throws {
        try await kind.run(try app("stream")) { client in
            // curl -N http://127.0.0.1:5000/clock?count=2 (resuming after event 5)
            let clock = try await client.get("/clock?count=2", headers: ["Last-Event-ID": "5"])
            #expect(clock.header("Content-Type") == "text/event-stream")
            #expect(clock.text.contains("id: 6\nevent: tick\ndata: "))
            #expect(clock.text.contains("id: 7\n"))
            #expect(!clock.text.contains("id: 8\n"))
            let export = try await client.get("/export?rows=3000")
            #expect(export.header("Content-Type") == "application/x-ndjson")
            let lines = export.text.split(separator: "\n")
            #expect(lines.count == 3000)
            #expect(lines.first == #"{"done":true,"id":1,"title":"Row 1"}"#)
            #expect(lines.last == #"{"done":false,"id":3000,"title":"Row 3000"}"#)
            // curl -s -T file http://127.0.0.1:5000/upload
            let upload = try await client.send(.PUT, "/upload", body: "hello")
            #expect(try upload.json() == ["bytes": 5, "sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"])
            // curl -s -T file http://127.0.0.1:5000/store: saved to instance/uploads as it arrives
            let stored = try await client.send(.PUT, "/store", body: "hello, disk")
            let name = try #require(try stored.json()["name"]?.stringValue)
            #expect(try stored.json()["bytes"] == 11)
            let path = FileManager.default.currentDirectoryPath + "/instance/uploads/" + name
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "hello, disk")
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    @Test(arguments: ClientKind.allCases) func emailJobs(kind: ClientKind) async throws {
        try await kind.run(try app("email-jobs")) { client in
            let email: JSON = ["recipient": "user@example.com", "subject": "Task Created: Report", "body": "Your task was created."]
            let accepted = try await client.post("/api/emails", json: email)
            #expect(accepted.status == .accepted)
            let job = try #require(try accepted.json()["data"])
            #expect(job["state"] == "queued")
            #expect(job["name"] == "send_confirmation_email")
            let location = try #require(accepted.header("Location"))
            #expect(location.hasSuffix("/api/jobs/\(job["id"]!.stringValue!)"))
            #expect(try await client.post("/api/emails", json: ["recipient": "not-an-email"]).status == .unprocessableEntity)
            #expect(try await client.get("/api/jobs/nope").status == .notFound)
            guard kind == .live else { return }  // workers run with the live server (app.addServices), not in-process
            var state: JSON?
            for _ in 0..<500 {
                state = try await client.get("/api/jobs/\(job["id"]!.stringValue!)").json()["data"]?["state"]
                if state == "succeeded" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(state == "succeeded")
            #expect(try await client.get("/api/outbox").json()["data"] == [email])
        }
    }

    @Test(arguments: ClientKind.allCases) func hello(kind: ClientKind) async throws {
        try await kind.run(try app("hello")) { client in
            // curl http://127.0.0.1:5000/
            let root = try await client.get("/")
            #expect(root.text == "Hello, World! This is my first Flask API.")
            // curl -i http://127.0.0.1:5000/api/hello
            let hello = try await client.get("/api/hello")
            #expect(hello.status == .ok)
            #expect(hello.header("Content-Type") == "application/json")
            #expect(hello.text == #"{"message":"Hello from the API!","status":"success","version":"1.0"}"# + "\n")
        }
    }

    @Test(arguments: ClientKind.allCases) func greet(kind: ClientKind) async throws {
        try await kind.run(try app("greet")) { client in
            let welcome = try await client.get("/api/welcome").json()
            #expect(welcome == ["endpoints_available": ["/api/welcome", "/api/greet/<name>"], "message": "Welcome to our Simple API!"])
            #expect(try await client.get("/api/greet/Alice").json() == ["greeting": "Hello, Alice! Nice to meet you."])
            #expect(try await client.get("/api/greet/Bob").json() == ["greeting": "Hello, Bob! Nice to meet you."])
            #expect(try await client.get("/api/greet/Jane%20Doe").json() == ["greeting": "Hello, Jane Doe! Nice to meet you."])
        }
    }

    @Test(arguments: ClientKind.allCases) func products(kind: ClientKind) async throws {
        try await kind.run(try app("products")) { client in
            let product = try await client.get("/product/XYZ-789").json()
            #expect(product == ["message": "Fetching details for product SKU: XYZ-789", "sku": "XYZ-789"])
        }
    }

    @Test(arguments: ClientKind.allCases) func users(kind: ClientKind) async throws {
        try await kind.run(try app("users")) { client in
            #expect(try await client.get("/api/users/1").json()["name"] == "Alice")
            #expect(try await client.get("/api/users/2").json()["name"] == "Bob")
            let missing = try await client.get("/api/users/3")
            #expect(missing.status == .notFound)
            #expect(try missing.json() == ["error": "404 Not Found: User with ID 3 not found"])
            // The int converter rejects "abc" before the handler: still the JSON 404 handler.
            let abc = try await client.get("/api/users/abc")
            #expect(abc.status == .notFound)
            #expect(abc.header("Content-Type") == "application/json")
        }
    }

    @Test(arguments: ClientKind.allCases) func search(kind: ClientKind) async throws {
        try await kind.run(try app("search")) { client in
            let python = try await client.get("/api/search?q=python").json()
            #expect(python["limit_applied"] == 20)
            #expect(python["sorting"] == "default")
            #expect(python["results"] == ["Result for 'python' - 1", "Result for 'python' - 2"])
            let flask = try await client.get("/api/search?q=flask&limit=5&sort=date").json()
            #expect(flask["limit_applied"] == 5)
            #expect(flask["sorting"] == "date")
            let missing = try await client.get("/api/search")
            #expect(missing.status == .badRequest)
            #expect(try missing.json() == ["error": "Missing 'q' query parameter"])
            #expect(try await client.get("/api/search?q=test&limit=abc").json()["limit_applied"] == 20)
        }
    }

    @Test(arguments: ClientKind.allCases) func items(kind: ClientKind) async throws {
        try await kind.run(try app("items")) { client in
            let laptop = try await client.post(
                "/api/items", json: ["name": "Laptop", "price": 1200.50, "description": "A powerful laptop"])
            #expect(laptop.status == .created)
            #expect(try laptop.json() == ["id": 1, "name": "Laptop", "price": 1200.5, "description": "A powerful laptop"])
            let mouse = try await client.post("/api/items", json: ["name": "Mouse", "price": 25])
            #expect(try mouse.json() == ["id": 2, "name": "Mouse", "price": 25, "description": nil])
            #expect(try await client.get("/api/items").json().arrayValue?.count == 2)

            let notJSON = try await client.send(.POST, "/api/items", body: "name=x", contentType: "application/x-www-form-urlencoded")
            #expect(notJSON.status == .unsupportedMediaType)
            #expect(try notJSON.json() == ["error": "Request must be JSON"])
            let noPrice = try await client.post("/api/items", json: ["name": "Pen"])
            #expect(noPrice.status == .badRequest)
            let badTypes = try await client.post("/api/items", json: ["name": 5, "price": "cheap"])
            #expect(try badTypes.json() == ["error": "'name' must be a string, 'price' must be a number"])

            let put = try await client.put(
                "/api/items/1", json: ["name": "Gaming Laptop", "price": 1500.00, "description": "Upgraded laptop"])
            #expect(put.status == .ok)
            #expect(try put.json()["name"] == "Gaming Laptop")
            let deleted = try await client.delete("/api/items/2")
            #expect(deleted.status == .noContent)
            #expect(deleted.body.readableBytes == 0)
            #expect(try await client.get("/api/items/2").status == .notFound)
            #expect(try await client.get("/api/items/1").json()["price"] == 1500.0)
        }
    }

    @Test(arguments: ClientKind.allCases) func headers(kind: ClientKind) async throws {
        try await kind.run(try app("headers")) { client in
            let plain = try await client.get("/api/show-headers", headers: ["User-Agent": "curl/8.0", "Accept": "*/*"])
            let json = try plain.json()
            #expect(json["user_agent"] == "curl/8.0")
            #expect(json["accept_header"] == "*/*")
            let custom = try await client.get("/api/show-headers", headers: ["X-Custom-Header": "MyValue"]).json()
            #expect(custom["all_headers"]?["X-Custom-Header"] == "MyValue")
            #expect(custom["user_agent"] == nil || custom["user_agent"] == .null)
        }
    }

    @Test(arguments: ClientKind.allCases) func responses(kind: ClientKind) async throws {
        try await kind.run(try app("responses")) { client in
            #expect(try await client.get("/good").header("Content-Type") == "application/json")
            let created = try await client.send(.POST, "/api/resource", body: "")
            #expect(created.status == .created)
            #expect(created.header("Location") == "/api/resource/123")
            #expect(created.header("X-Custom-Info") == "Some value")
            #expect(try await client.send(.POST, "/api/things", body: "").status == .created)
            #expect(try await client.get("/api/things").json() == ["items": []])
        }
    }

    @Test(arguments: ClientKind.allCases) func tasksMemory(kind: ClientKind) async throws {
        try await kind.run(try app("tasks-memory")) { client in
            #expect(try await client.get("/api/tasks").json().arrayValue?.count == 3)
            #expect(try await client.get("/api/tasks?status=pending").json() == [["id": 3, "title": "Explore Routing", "status": "pending"]])
            #expect(try await client.get("/api/tasks?status=completed").json().arrayValue?.count == 2)
            #expect(try await client.get("/api/tasks/1").json()["title"] == "Learn Flask Basics")
            let missing = try await client.get("/api/tasks/99")
            #expect(missing.status == .notFound)
            #expect(try missing.json() == ["error": "Task with ID 99 not found"])
            let created = try await client.post("/api/tasks", json: ["title": "Learn Advanced Flask"])
            #expect(created.status == .created)
            #expect(try created.json() == ["id": 4, "title": "Learn Advanced Flask", "status": "pending"])
            let empty = try await client.post("/api/tasks", json: [:])
            #expect(empty.status == .badRequest)
            #expect(try empty.json() == ["error": "Missing 'title' in request body"])
            let form = try await client.send(.POST, "/api/tasks", body: "title=Learn More", contentType: "application/x-www-form-urlencoded")
            #expect(form.status == .unsupportedMediaType)
            #expect(try form.json() == ["error": "Request must be JSON"])
            #expect(try await client.get("/api/tasks").json().arrayValue?.count == 4)
        }
    }

    @Test(arguments: ClientKind.allCases) func tasksEnhanced(kind: ClientKind) async throws {
        try await kind.run(try app("tasks-enhanced")) { client in
            let list = try await client.get("/api/tasks")
            #expect(list.status == .ok)
            #expect(try list.json()["status"] == "success")
            #expect(try list.json()["data"]?.arrayValue?.count == 3)

            let created = try await client.post("/api/tasks", json: ["title": "Review Status Codes"])
            #expect(created.status == .created)
            let location = try #require(created.header("Location"))
            #expect(location.hasPrefix("http://"))
            #expect(location.hasSuffix("/api/tasks/4"))
            #expect(try created.json() == ["status": "success", "data": ["id": 4, "title": "Review Status Codes", "status": "pending"]])

            #expect(try await client.get("/api/tasks/4").json()["data"]?["id"] == 4)
            let updated = try await client.put("/api/tasks/4/status", json: ["status": "completed"])
            #expect(try updated.json()["data"]?["status"] == "completed")
            let invalid = try await client.put("/api/tasks/4/status", json: ["status": "done"])
            #expect(invalid.status == .badRequest)

            let deleted = try await client.delete("/api/tasks/4")
            #expect(deleted.status == .noContent)
            #expect(deleted.body.readableBytes == 0)
            let gone = try await client.get("/api/tasks/4")
            #expect(gone.status == .notFound)
            #expect(try gone.json()["error"]?["message"] == "Task with ID 4 not found")
            #expect(try gone.json()["status"] == "error")

            let wrong = try await client.post("/api/tasks", json: ["wrong_field": "some value"])
            #expect(wrong.status == .badRequest)
            #expect(try wrong.json()["error"]?["message"] == "Missing 'title' in request body")
        }
    }
}

extension ExamplesTests {
    @Test(arguments: ClientKind.allCases) func mountBundled(kind: ClientKind) async throws {
        try await kind.run(try app("mount-bundled")) { client in
            let registered = try await client.post(
                "/v1/account/register", json: ["username": "zoe", "email": "zoe@example.com", "password": "zoe-password"])
            #expect(registered.status == .created)
            let token = try #require(
                try await client.post("/v1/account/login", json: ["username": "zoe", "password": "zoe-password"]).json()["access_token"]?.stringValue)
            let headers: HTTPHeaders = ["Authorization": "Bearer \(token)"]
            let created = try await client.post("/v1/todo/", json: ["title": "from the example"], headers: headers)
            #expect(created.status == .created)
            #expect(created.header("Location")?.hasSuffix("/v1/todo/1") == true)
            #expect(try await client.get("/v1/todo/1", headers: headers).json()["data"]?["title"] == "from the example")
            #expect(try await client.get("/v1/stats/whoami", headers: headers).json() == ["user_id": "1", "role": "user"])
            #expect(try await client.get("/v1/stats/whoami").status == .unauthorized)
        }
    }
}
