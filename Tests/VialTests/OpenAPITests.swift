import Testing
@testable import Vial
import VialTesting

@Suite struct OpenAPITests {
    static let item = Schema(
        named: "Item", .string("name", required: true, length: 1...50, example: "bolt"), .integer("quantity", range: 0...1000),
        .readOnly("id"))

    func app(_ values: [String: String] = [:]) -> App {
        var config = AppConfig()
        config.values = values
        config.accessLog = false
        let app = App("docs-test", config: config)
        let auth = MiddlewareFunction(name: "auth", docs: MiddlewareDocs(security: ["bearerAuth"], responses: [401: .error("No token")])) {
            request, next in try await next(request)
        }
        let items = Blueprint("items", urlPrefix: "/items")
        items.use(auth)
        items.post("/", name: "create", docs: RouteDocs(summary: "Create", tags: ["items"], request: Self.item, responses: [201: .envelope(Self.item, "Created")])) {
            _ in Response(status: .created)
        }
        items.get("/<int:item_id>", name: "get", docs: RouteDocs(summary: "Get", query: [.string("expand")], responses: [200: .envelope(Self.item, "The item")])) {
            _ in "x"
        }
        items.post(
            "/<int:item_id>/photos", name: "upload",
            docs: RouteDocs(summary: "Upload", form: [.file("photo", multiple: true), .text("caption")])
        ) { _ in Response(status: .created) }
        app.register(items)
        app.mountAPIDocs(title: "Docs test", version: "0.1")
        return app
    }

    func document() async throws -> JSON {
        try await app().testClient().get("/openapi.json").json()
    }

    /// Issue 16, item 3: text with U+0000 is refused, and the document says so; a trimmed field
    /// with a minimum length also needs a character besides whitespace (schemathesis sent "\u{b}").
    @Test func textFieldsSayWhatValidationRefuses() {
        let plain = OpenAPIGenerator.fieldSchema(.string("note", length: 0...10), required: false)
        #expect(plain.stringContext?.pattern == "^[^\\u0000]*$")
        let trimmed = OpenAPIGenerator.fieldSchema(.string("title", trim: true, length: 1...150), required: true)
        #expect(trimmed.stringContext?.pattern == "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")
        let chosen = OpenAPIGenerator.fieldSchema(.string("status", oneOf: ["a"]), required: false)
        #expect(chosen.stringContext?.pattern == nil)
    }

    /// Issue 17: a form with files is documented as multipart/form-data with binary parts, which
    /// Swagger UI's "Try it out" offers as file pickers.
    @Test func multipartBodiesHaveBinaryParts() async throws {
        let doc = try await document()
        let body = try #require(doc["paths"]?["/items/{item_id}/photos"]?["post"]?["requestBody"])
        #expect(body["required"] == true)
        let schema = try #require(body["content"]?["multipart/form-data"]?["schema"])
        #expect(schema["type"] == "object")
        #expect(schema["properties"]?["photo"] == ["type": "array", "minItems": 1, "items": ["type": "string", "format": "binary"]])
        #expect(schema["properties"]?["caption"] == ["type": "string"])
        #expect(schema["required"] == ["photo"])
    }

    @Test func pathsUseOpenAPITemplatesAndEndpointsAsOperationIDs() async throws {
        let doc = try await document()
        #expect(doc["openapi"] == "3.1.1")
        #expect(doc["info"]?["title"] == "Docs test")
        let get = try #require(doc["paths"]?["/items/{item_id}"]?["get"])
        #expect(get["operationId"] == "items.get")
        #expect(get["parameters"]?[0] == ["in": "path", "name": "item_id", "required": true, "schema": ["type": "integer", "minimum": 0]])
        #expect(get["parameters"]?[1]?["in"] == "query")
        #expect(doc["paths"]?["/items/"]?["post"]?["operationId"] == "items.create")
    }

    @Test func securityAndErrorsComeFromMiddleware() async throws {
        let doc = try await document()
        let post = try #require(doc["paths"]?["/items/"]?["post"])
        #expect(post["security"] == [["bearerAuth": []]])
        #expect(post["responses"]?["401"]?["content"]?["application/json"]?["schema"] == ["$ref": "#/components/schemas/Error"])
        #expect(doc["components"]?["securitySchemes"]?["bearerAuth"] == ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"])
    }

    @Test func schemasAreComponentsThatRefuseExtrasAndMarkReadOnlyFields() async throws {
        let doc = try await document()
        let post = try #require(doc["paths"]?["/items/"]?["post"])
        #expect(post["requestBody"]?["content"]?["application/json"]?["schema"] == ["$ref": "#/components/schemas/Item"])
        let item = try #require(doc["components"]?["schemas"]?["Item"])
        #expect(item["additionalProperties"] == false)
        #expect(item["required"] == ["name"])
        #expect(item["properties"]?["id"] == ["type": "integer", "readOnly": true])
        #expect(item["properties"]?["name"] == ["type": "string", "minLength": 1, "maxLength": 50, "pattern": "^[^\\u0000]*$", "examples": ["bolt"]])
        #expect(item["properties"]?["quantity"] == ["type": "integer", "minimum": 0, "maximum": 1000])
        #expect(doc["components"]?["schemas"]?["Error"] != nil)
    }

    @Test func anAnyFieldHasNoTypeSoNullAndObjectsBothFit() {
        let field = OpenAPIGenerator.fieldSchema(Field("result", .any, nullable: true, description: "Anything"), required: true)
        let json = try? JSON(encoding: field)
        #expect(json == ["description": "Anything"])
        guard case .valid(let value) = Field("result", .any).check(["a": [1, 2]]) else { Issue.record("refused"); return }
        #expect(value == ["a": [1, 2]])
    }

    /// Issue 19: examples of boolean, number and `any` fields were dropped, and a non-nullable
    /// `any` field was documented as taking null, which the validator refuses.
    @Test func everyKindKeepsItsExampleAndAnAnyFieldSaysWhetherNullFits() throws {
        let flag = try JSON(encoding: OpenAPIGenerator.fieldSchema(Field("done", .boolean, example: true), required: true))
        #expect(flag == ["type": "boolean", "examples": [true]])
        let price = try JSON(encoding: OpenAPIGenerator.fieldSchema(Field("price", .number, example: 2.5), required: true))
        #expect(price == ["type": "number", "examples": [2.5]])
        let anything = try JSON(encoding: OpenAPIGenerator.fieldSchema(Field("value", .any, example: ["a": 1]), required: true))
        #expect(anything == ["not": ["type": "null"], "examples": [["a": 1]]])
        guard case .invalid = Field("value", .any).check(.null) else { Issue.record("null accepted"); return }
    }

    /// Issue 19: a route with a body documented its 400 and 415 only when listed by hand.
    @Test func aRouteWithABodyDocumentsItsRefusals() throws {
        let app = App("refusals")
        let item = Schema(named: "Item", .string("name", required: true))
        app.post("/items", docs: RouteDocs(request: item, responses: [201: .object(item, "Created")])) { _ in Response(status: .created) }
        app.post("/files", docs: RouteDocs(form: [.file("file")], responses: [201: .empty("Stored")])) { _ in Response(status: .created) }
        app.post("/plain", docs: RouteDocs(responses: [201: .empty("Made")])) { _ in Response(status: .created) }
        let routes = try app.routes()
        let items = try #require(routes.first { $0.rule == "/items" })
        #expect(Set(items.responses.keys) == [201, 400, 415, 422])
        let files = try #require(routes.first { $0.rule == "/files" })
        #expect(Set(files.responses.keys) == [201, 400, 415])
        #expect(Set(try #require(routes.first { $0.rule == "/plain" }).responses.keys) == [201])
    }

    /// Issue 19: a custom converter was documented as a bare string; it can describe its values.
    @Test func aCustomConverterDescribesItsValues() throws {
        struct Hex: PathConverter {
            func matches(_ segment: String) -> Bool { !segment.isEmpty && segment.allSatisfy(\.isHexDigit) }
            var pattern: String? { "^[0-9A-Fa-f]+$" }
        }
        let app = App("hex")
        app.addConverter("hex") { _ in Hex() }
        app.get("/colors/<hex:code>", docs: RouteDocs(responses: [200: .empty("The colour")])) { _ in Response() }
        let json = try JSON(parsing: Array(try OpenAPIGenerator.json(for: app.routes(), title: "t", version: "1").utf8))
        let parameter = try #require(json["paths"]?["/colors/{code}"]?["get"]?["parameters"]?[0])
        #expect(parameter["schema"] == ["type": "string", "pattern": "^[0-9A-Fa-f]+$"])
    }

    @Test func docsPagesLoadTheirAssetsFromTheCDNOrTheConfiguredPlace() async throws {
        let client = try app().testClient()
        let swagger = try await client.get("/docs")
        #expect(swagger.header("Content-Type") == "text/html; charset=utf-8")
        #expect(swagger.text.contains("https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"))
        #expect(swagger.text.contains("url: \"/openapi.json\""))
        #expect(swagger.header("Content-Security-Policy")?.contains("https://unpkg.com") == true)
        #expect(try await client.get("/redoc").text.contains("<redoc spec-url=\"/openapi.json\">"))
        let local = try await app(["DOCS_ASSETS_URL": "/static/docs"]).testClient().get("/docs")
        #expect(local.text.contains("/static/docs/swagger-ui-bundle.js"))
        #expect(!local.text.contains("unpkg"))
    }

    @Test func ruleTemplatesConvert() {
        #expect(OpenAPIGenerator.openAPIPath("/a/<int:id>/b/<name>/<path:rest>") == "/a/{id}/b/{name}/{rest}")
    }
}
