import Foundation
import NIOHTTP1
import Testing
@testable import Vial
import VialTesting

/// A note as an API answers with it: `encode(to:)` writes `body` even when nil.
struct NoteView: Model, Encodable, Equatable {
    var id: Int
    var title: String
    var body: String?
    var priority: NotePriority

    static let rules: [String: FieldRules] = ["body": FieldRules(required: true, description: "The text, if any")]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(body, forKey: .body)
        try container.encode(priority, forKey: .priority)
    }
}

/// A top-level answer, as token endpoints give.
struct Receipt: Model, Encodable, DocumentedResponse {
    var number: Int
}

@Suite struct TypedResponseTests {
    static func app() -> App {
        var config = AppConfig()
        config.accessLog = false
        let app = App("typed-responses", config: config)
        let note = NoteView(id: 7, title: "Milk", body: nil, priority: .low)
        app.post("/notes", docs: RouteDocs(summary: "Create", responses: [201: .returned("The note; Location is its URL")])) {
            _ -> Created<NoteView> in Created(note, location: "/notes/7")
        }
        app.get("/notes/<int:id>") { _ -> Envelope<NoteView> in Envelope(note, message: "found") }
        app.get("/notes") { _ -> Page<NoteView> in Page([note], meta: PageMeta(page: 2, perPage: 1, total: 3)) }
        app.get("/all") { _ -> Items<NoteView> in Items([note, note]) }
        app.post("/work") { _ -> Accepted<NoteView> in Accepted(note, location: "/jobs/1") }
        app.get("/receipt") { _ -> Receipt in Receipt(number: 42) }
        app.mountAPIDocs(title: "Typed", version: "1")
        return app
    }

    /// What each wrapper sends: its status, its envelope, its headers.
    @Test func eachTypedAnswerSendsItsStatusAndEnvelope() async throws {
        let client = try Self.app().testClient()
        let note: JSON = ["id": 7, "title": "Milk", "body": nil, "priority": "low"]
        let created = try await client.post("/notes", json: [:])
        #expect(created.status == .created && created.headers["Location"] == ["/notes/7"])
        #expect(try created.json() == ["status": "success", "data": note])
        #expect(try await client.get("/notes/7").json() == ["status": "success", "data": note, "message": "found"])
        let page = try await client.get("/notes").json()
        #expect(page == ["status": "success", "data": [note], "count": 1, "meta": ["page": 2, "per_page": 1, "total": 3, "pages": 3]])
        #expect(try await client.get("/all").json() == ["status": "success", "data": [note, note], "count": 2])
        let accepted = try await client.post("/work", json: [:])
        #expect(accepted.status == .accepted && accepted.headers["Location"] == ["/jobs/1"])
        #expect(try await client.get("/receipt").json() == ["number": 42])
    }

    /// The success answer of each route is documented from the handler's return type, with the
    /// type's status; a route's own description is kept.
    @Test func theReturnTypeDocumentsTheAnswer() async throws {
        let document = try await Self.app().testClient().get("/openapi.json").json()
        let paths = try #require(document["paths"])
        func schema(_ path: String, _ method: String, _ status: String) -> JSON? {
            paths[path]?[method]?["responses"]?[status]?["content"]?["application/json"]?["schema"]
        }
        let created = try #require(paths["/notes"]?["post"]?["responses"]?["201"])
        #expect(created["description"] == "The note; Location is its URL")
        #expect(created["headers"]?["Location"]?["schema"] == ["type": "string"])
        #expect(paths["/work"]?["post"]?["responses"]?["202"]?["headers"]?["Location"] != nil)
        #expect(paths["/notes/{id}"]?["get"]?["responses"]?["200"]?["headers"] == nil)
        #expect(schema("/notes", "post", "201")?["properties"]?["data"] == ["$ref": "#/components/schemas/NoteView"])
        #expect(paths["/notes"]?["post"]?["responses"]?["200"] == nil)
        #expect(schema("/notes/{id}", "get", "200")?["properties"]?["data"] == ["$ref": "#/components/schemas/NoteView"])
        #expect(schema("/notes", "get", "200")?["properties"]?["meta"] != nil)
        #expect(schema("/notes", "get", "200")?["properties"]?["data"]?["items"] == ["$ref": "#/components/schemas/NoteView"])
        #expect(schema("/all", "get", "200")?["properties"]?["meta"] == nil)
        #expect(schema("/work", "post", "202") != nil)
        #expect(schema("/receipt", "get", "200") == ["$ref": "#/components/schemas/Receipt"])
        let view = try #require(document["components"]?["schemas"]?["NoteView"])
        // `required: true` on an optional field: always present, possibly null.
        #expect(view["required"] == ["id", "title", "body", "priority"])
        #expect(view["properties"]?["body"]?["type"] == ["string", "null"])
        #expect(view["properties"]?["priority"]?["enum"] == ["low", "high"])
    }

    /// `.returned` on a route whose handler's type documents nothing (or another status) fails
    /// the build instead of documenting an empty answer.
    @Test func aReturnedAnswerTheHandlerDoesNotGiveFailsTheBuild() {
        let untyped = App("untyped")
        untyped.get("/x", docs: RouteDocs(responses: [200: .returned("The note")])) { _ in Response.json(["a": 1]) }
        #expect(throws: RoutingError.self) { try untyped.build() }
        let otherStatus = App("other-status")
        otherStatus.post("/x", docs: RouteDocs(responses: [200: .returned("The note")])) { _ -> Created<NoteView> in
            Created(NoteView(id: 1, title: "x", body: nil, priority: .low), location: nil)
        }
        do {
            _ = try otherStatus.build()
            Issue.record("the build should fail")
        } catch {
            #expect("\(error)".contains("documents its 200 answer as what its handler returns"))
        }
    }

    /// A route that states a body by hand for the type's status keeps it.
    @Test func aBodyStatedByHandStands() async throws {
        var config = AppConfig()
        config.accessLog = false
        let app = App("by-hand", config: config)
        app.get("/x", docs: RouteDocs(responses: [200: .media("text/plain", "Said by hand")])) { _ -> Receipt in Receipt(number: 1) }
        app.mountAPIDocs(title: "T", version: "1")
        let document = try await app.testClient().get("/openapi.json").json()
        #expect(document["paths"]?["/x"]?["get"]?["responses"]?["200"]?["content"]?["text/plain"] != nil)
    }

    /// What the type documents accepts what it encodes: the schema is checked against the wire.
    @Test func theDocumentedSchemaAcceptsWhatTheTypeSends() throws {
        for note in [NoteView(id: 1, title: "a", body: nil, priority: .high), NoteView(id: 2, title: "b", body: "c", priority: .low)] {
            let sent = try JSON(encoding: note)
            guard case .object(let members) = sent else { Issue.record("not an object"); continue }
            var problems = Problems()
            _ = NoteView.schema.check(members, at: { "" }, partial: false, into: &problems)
            #expect(problems.isEmpty)
        }
    }
}
