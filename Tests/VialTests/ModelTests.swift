import Foundation
import Testing
@testable import Vial
import VialTesting

enum NotePriority: String, Codable, CaseIterable, Sendable { case low, high }
enum NoteLevel: Int, Codable, CaseIterable, Sendable { case one = 1, two = 2 }

struct NoteAddress: Model, Equatable {
    var street: String
    var zip: String
    static let rules: [String: FieldRules] = ["zip": FieldRules(.pattern("[0-9]{5}", description: "Not a ZIP code."))]
}

struct NoteInput: Model {
    var title: String
    var body: String?
    var tags: [String]
    var priority: NotePriority?
    var level: NoteLevel?
    var address: NoteAddress?
    var due: CalendarDate?
    var at: Date?
    var ref: UUID?
    var price: Decimal?
    var small: Int8?
    var counts: [String: Int]?
    var clear: Patch<String>

    static let rules: [String: FieldRules] = [
        "title": FieldRules(.length(1...20), trim: true, description: "What the note is about", example: "Groceries"),
        "tags": FieldRules(.count(0...3), .unique, items: [.length(1...5)], default: []),
    ]
}

struct TreeNode: Model {
    var name: String
    var children: [TreeNode]
}

struct MisnamedRules: Model {
    var title: String
    static let rules: [String: FieldRules] = ["titel": FieldRules(.length(1...3))]
}

@Suite struct ModelTests {
    func field(_ name: String, _ schema: Schema = NoteInput.schema) throws -> Field {
        try #require(schema.fields.first { $0.name == name })
    }

    func details(_ body: JSON) -> JSON? {
        do {
            _ = try NoteInput.validate(body)
            return nil
        } catch let error as HTTPError {
            return error.details
        } catch {
            return .string("unexpected \(error)")
        }
    }

    @Test func fieldsAreLearnedFromTheType() throws {
        let schema = NoteInput.schema
        #expect(schema.name == "NoteInput")
        #expect(schema.fields.map(\.name) == [
            "title", "body", "tags", "priority", "level", "address", "due", "at", "ref", "price", "small", "counts", "clear",
        ])
        let title = try field("title")
        #expect(title.kind == .string && title.required && !title.nullable && title.trim)
        #expect(title.description == "What the note is about" && title.example == "Groceries")
        let body = try field("body")
        #expect(body.kind == .string && !body.required && body.nullable)
        let tags = try field("tags")
        #expect(tags.kind == .array && !tags.required && tags.defaultValue == [])
        #expect(tags.items?.kind == .string)
        guard case .length(1, 5)? = tags.items?.rules.first else { Issue.record("item rules: \(String(describing: tags.items?.rules))"); return }
        guard case .oneOf(["low", "high"])? = try field("priority").rules.first else { Issue.record("priority"); return }
        let level = try field("level")
        guard level.kind == .integer, case .oneOf(["1", "2"])? = level.rules.first else { Issue.record("level"); return }
        let address = try field("address")
        #expect(address.kind == .object && address.schema?.name == "NoteAddress" && address.nullable)
        #expect(address.schema?.fields.map(\.name) == ["street", "zip"])
        #expect(try field("due").kind == .date)
        #expect(try field("at").kind == .dateTime)
        #expect(try field("ref").kind == .uuid)
        #expect(try field("price").kind == .number)
        guard case .range(-128, 127)? = try field("small").rules.first else { Issue.record("Int8 bounds"); return }
        let counts = try field("counts")
        #expect(counts.kind == .object && counts.schema == nil && counts.items?.kind == .integer)
        let clear = try field("clear")
        #expect(clear.kind == .string && !clear.required && clear.nullable)
    }

    @Test func aValidBodyDecodesWithDefaultsAndTrimmedText() throws {
        let note = try NoteInput.validate([
            "title": "  Groceries ", "priority": "high", "level": 2, "address": ["street": "Main St", "zip": "12345"],
            "due": "2026-12-04", "at": "2026-12-04T09:30:00.250Z", "ref": "6F9619FF-8B86-D011-B42D-00C04FC964FF",
            "price": 2.5, "small": -7, "counts": ["a": 1], "clear": nil,
        ])
        #expect(note.title == "Groceries")
        #expect(note.tags == [])
        #expect(note.body == nil)
        #expect(note.priority == .high && note.level == .two)
        #expect(note.address == NoteAddress(street: "Main St", zip: "12345"))
        #expect(note.due == CalendarDate(year: 2026, month: 12, day: 4))
        #expect(note.at == Date(timeIntervalSince1970: 1_796_376_600.25))
        #expect(note.ref == UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF"))
        #expect(note.price == Decimal(string: "2.5"))
        #expect(note.small == -7)
        #expect(note.counts == ["a": 1])
        #expect(note.clear == .null)
        #expect(try NoteInput.validate(["title": "t"]).clear == .absent)
        #expect(try NoteInput.validate(["title": "t", "clear": "x"]).clear == .value("x"))
    }

    @Test func everyProblemIsNamedByItsPath() {
        let errors = details([
            "tags": ["ab", "ab", "toolong", 4], "address": ["street": 1, "zip": "x", "extra": true], "small": 1000,
            "priority": "mid", "level": 3, "due": "2026-02-30", "at": "yesterday", "ref": "nope", "counts": ["a": "b"],
            "unknown": 1,
        ])
        #expect(errors == [
            "title": ["Missing data for required field."],
            "tags": ["Must hold at most 3 items.", "Items must be unique."],
            "tags[2]": ["Length must be between 1 and 5."],
            "tags[3]": ["Not a valid string."],
            "address.street": ["Not a valid string."],
            "address.zip": ["Not a ZIP code."],
            "address.extra": ["Unknown field."],
            "small": ["Must be less than or equal to 127."],
            "priority": ["Must be one of: low, high."],
            "level": ["Must be one of: 1, 2."],
            "due": ["Not a valid date (YYYY-MM-DD)."],
            "at": ["Not a valid date-time (ISO 8601 with a zone)."],
            "ref": ["Not a valid UUID."],
            "counts.a": ["Not a valid integer."],
            "unknown": ["Unknown field."],
        ])
    }

    /// The bad input of issue 19: out-of-range and huge integers, wrong types at every depth, a
    /// body that is not an object — each a 422 with its path, never a trap.
    @Test func hostileValuesAreRefusedNotTrapped() throws {
        #expect(details(["title": "t", "small": 9_223_372_036_854_775_807]) == ["small": ["Must be less than or equal to 127."]])
        #expect(details(["title": "t", "small": -129]) == ["small": ["Must be greater than or equal to -128."]])
        let huge = try JSON(parsing: Array(#"{"title": "t", "small": 123456789012345678901234567890}"#.utf8))
        #expect(details(huge) == ["small": ["Not a valid integer."]])
        #expect(details(["title": ["t"]]) == ["title": ["Not a valid string."]])
        #expect(details(["title": "t", "address": [["street": "s"]]]) == ["address": ["Not a valid object."]])
        #expect(details(["title": "t", "tags": "a"]) == ["tags": ["Not a valid list."]])
        #expect(details(["title": nil]) == ["title": ["Field may not be null."]])
        #expect(details([1, 2]) == ["_schema": ["Invalid input type."]])
    }

    /// 100,000 bad elements are one short answer: 50 paths listed, the rest counted.
    @Test func problemsAreListedUpToALimit() throws {
        let errors = try #require(details(["title": "t", "tags": .array(Array(repeating: 1, count: 100_000))])?.objectValue)
        #expect(errors.count == Problems.limit + 1)
        // The list's own problem comes first, then its first 49 elements; the rest are counted.
        #expect(errors["tags"] == ["Must hold at most 3 items.", "Items must be unique."])
        #expect(errors["tags[0]"] == ["Not a valid string."] && errors["tags[48]"] != nil && errors["tags[49]"] == nil)
        #expect(errors["_schema"] == [.string("\(100_000 - (Problems.limit - 1)) more problems not listed.")])
    }

    @Test func aTypeNestedInItselfIsLearnedAndDecoded() throws {
        let children = try field("children", TreeNode.schema)
        #expect(children.kind == .any && children.required)
        let tree = try TreeNode.validate(["name": "root", "children": [["name": "leaf", "children": []]]])
        #expect(tree.children.first?.name == "leaf")
    }

    /// A rule for a field the type does not decode is a programming error: named, not ignored.
    @Test func rulesForAnUnknownFieldAreReported() {
        #expect(MisnamedRules.schema.learningError?.contains("'titel'") == true)
        #expect(throws: ModelLearningError.self) { try MisnamedRules.validate(["title": "t"]) }
    }

    @Test func requestsDecodeModelsWithOneAnswer() async throws {
        var config = AppConfig()
        config.accessLog = false
        let app = App("models", config: config)
        app.post("/notes") { req in
            let note = try req.decode(NoteInput.self)
            return Response.json(["title": .string(note.title), "tags": .array(note.tags.map(JSON.string))], status: .created)
        }
        let client = try app.testClient()
        let created = try await client.post("/notes", json: ["title": " Milk ", "tags": ["food"]])
        #expect(created.status == .created)
        #expect(try created.json() == ["title": "Milk", "tags": ["food"]])
        let refused = try await client.post("/notes", json: ["tags": [1]])
        #expect(refused.status == .unprocessableEntity)
        #expect(try refused.json()["error"]?["details"] == ["title": ["Missing data for required field."], "tags[0]": ["Not a valid string."]])
        let notJSON = try await client.send(.POST, "/notes", body: "title=x", contentType: "application/x-www-form-urlencoded")
        #expect(notJSON.status == .unsupportedMediaType)
    }

    @Test func openAPIShowsModelsAsSharedComponents() async throws {
        var config = AppConfig()
        config.accessLog = false
        let app = App("models-docs", config: config)
        app.post("/notes", docs: RouteDocs(summary: "Create", request: NoteInput.schema, responses: [201: .envelope(NoteInput.schema, "Created")])) {
            _ in Response(status: .created)
        }
        app.mountAPIDocs(title: "Models", version: "1")
        let document = try await app.testClient().get("/openapi.json").json()
        let schemas = try #require(document["components"]?["schemas"])
        let note = try #require(schemas["NoteInput"]?["properties"])
        #expect(schemas["NoteAddress"]?["properties"]?["zip"]?["pattern"] == "^(?:[0-9]{5})$")
        #expect(note["address"]?["anyOf"] == [["$ref": "#/components/schemas/NoteAddress"], ["type": "null"]])
        #expect(note["tags"]?["type"] == "array" && note["tags"]?["maxItems"] == 3 && note["tags"]?["uniqueItems"] == true)
        #expect(note["tags"]?["items"]?["maxLength"] == 5 && note["tags"]?["default"] == [])
        #expect(note["due"]?["format"] == "date" && note["at"]?["format"] == "date-time" && note["ref"]?["format"] == "uuid")
        #expect(note["level"]?["enum"] == [1, 2] && note["priority"]?["enum"] == ["low", "high"])
        #expect(note["counts"]?["additionalProperties"]?["type"] == "integer")
        #expect(note["small"]?["minimum"] == -128 && note["small"]?["maximum"] == 127)
        let required = try #require(schemas["NoteInput"]?["required"]?.arrayValue)
        #expect(required == ["title"])
    }
}

extension ModelTests {
    /// A documented model that cannot be learned fails the app's build, naming the type and route.
    @Test func anUnlearnableDocumentedModelFailsTheBuild() {
        let app = App("bad-model")
        app.post("/things", docs: RouteDocs(request: MisnamedRules.schema)) { _ in "x" }
        #expect(throws: RoutingError.self) { try app.build() }
        do {
            _ = try app.build()
        } catch {
            #expect("\(error)".contains("MisnamedRules.rules names 'titel'") && "\(error)".contains("'/things'"))
        }
    }
}

/// A PATCH body: absent leaves a field alone, a value sets it; `status` may not be null.
struct NotePatch: Model {
    var title: Patch<String>
    var status: Patch<NotePriority>
    var due: Patch<CalendarDate>
    static let requiresAField = true
    static let rules: [String: FieldRules] = ["status": FieldRules(nullable: false), "title": FieldRules(.length(1...20))]
}

extension ModelTests {
    @Test func aPatchModelTellsAbsentNullAndValuesApartAndNeedsAField() throws {
        let patch = try NotePatch.validate(["due": nil, "status": "low"])
        #expect(patch.title == .absent && patch.due == .null && patch.status == .value(.low))
        #expect(throws: HTTPError(.badRequest, "No updatable field given (expected one of: due, status, title)", code: "no_fields")) {
            try NotePatch.validate([:])
        }
        do {
            _ = try NotePatch.validate(["status": nil, "title": nil])
            Issue.record("null status accepted")
        } catch let error as HTTPError {
            #expect(error.details == ["status": ["Field may not be null."]])  // a Patch title may be null
        }
    }
}

/// A scalar whose own check goes beyond its documented field (the schema sees an integer).
struct EvenNumber: ModelValue, Sendable {
    var value: Int
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        value = try container.decode(Int.self)
        guard value % 2 == 0 else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "Not even.") }
    }
    init(value: Int) { self.value = value }
    static let modelField = Field("", .integer)
    static let placeholder = EvenNumber(value: 0)
}

/// A model whose own `init(from:)` checks two fields together.
struct Span: Model {
    var low: Int
    var high: Int
    var steps: [EvenNumber]
    enum CodingKeys: String, CodingKey { case low, high, steps }
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        low = try container.decode(Int.self, forKey: .low)
        high = try container.decode(Int.self, forKey: .high)
        steps = try container.decode([EvenNumber].self, forKey: .steps)
        guard low <= high else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "low may not exceed high."))
        }
    }
}

extension ModelTests {
    /// A type's own check that fails after the schema passed is a validation answer named like
    /// the schema's (`steps[1]`), and one about the whole body is `_schema` — not "malformed JSON".
    @Test func aModelsOwnCheckIsAnsweredLikeTheSchemas() {
        func details(_ body: JSON) -> (HTTPResponseStatus, JSON?)? {
            do {
                _ = try Span.validate(body)
                return nil
            } catch let error as HTTPError {
                return (error.status, error.details)
            } catch {
                return nil
            }
        }
        let element = details(["low": 1, "high": 2, "steps": [2, 3]])
        #expect(element?.0 == .unprocessableEntity && element?.1 == ["steps[1]": ["Not even."]])
        let whole = details(["low": 3, "high": 2, "steps": []])
        #expect(whole?.0 == .unprocessableEntity && whole?.1 == ["_schema": ["low may not exceed high."]])
    }

    /// Plain `Decodable` bodies (through Foundation's decoder) name list elements the same way.
    @Test func decodingErrorsUseJSONPaths() throws {
        struct Plain: Decodable { var items: [[Int]] }
        do {
            _ = try JSONCoding.decoder.decode(Plain.self, from: Data(#"{"items": [[1], [2, "x"]]}"#.utf8))
            Issue.record("decoded")
        } catch let error as DecodingError {
            #expect(HTTPError(decoding: error).details == ["items[1][1]": ["Expected a value of type Int."]])
        }
    }
}
