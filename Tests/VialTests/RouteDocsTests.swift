import Testing
@testable import Vial

@Suite struct RouteDocsTests {
    static let item = Schema(.string("name", required: true, length: 1...50), .integer("quantity", range: 0...1000))

    func app() -> App {
        let app = App()
        let guarded = MiddlewareFunction(
            name: "guard", docs: MiddlewareDocs(security: ["bearerAuth"], responses: [401: .error("No token")])
        ) { request, next in try await next(request) }
        let maybe = MiddlewareFunction(
            name: "maybe", docs: MiddlewareDocs(security: ["bearerAuth"], optionalSecurity: true)
        ) { request, next in try await next(request) }
        let items = Blueprint("items", urlPrefix: "/items")
        items.use(guarded)
        items.post(
            "/", name: "create",
            docs: RouteDocs(
                summary: "Create an item", tags: ["items"], request: Self.item,
                responses: [201: .envelope(Self.item, "Created"), 401: .error("Overridden by the route")])
        ) { _ in Response(status: .created) }
        items.get("/<int:item_id>/files/<path:name>", name: "file", summary: "One file") { _ in "f" }
        app.register(items)
        app.get("/feed", name: "feed", maybe) { _ in "feed" }
        app.get("/open/<uuid:id>/<float:x>", name: "open") { _ in "open" }
        return app
    }

    func route(_ endpoint: String) throws -> RouteInfo {
        try #require(try app().routes().first { $0.endpoint == endpoint })
    }

    @Test func pathParametersComeFromTheConverters() throws {
        #expect(try route("items.file").pathParameters == [
            PathParameterDoc(name: "item_id", type: "integer", format: nil),
            PathParameterDoc(name: "name", type: "string", format: "path"),
        ])
        #expect(try route("open").pathParameters.map(\.type) == ["string", "number"])
        #expect(try route("open").pathParameters.first?.format == "uuid")
    }

    @Test func securityAndAnswersComeFromTheMiddleware() throws {
        let file = try route("items.file")
        #expect(file.security == ["bearerAuth"])
        #expect(!file.optionalSecurity)
        #expect(file.responses[401]?.description == "No token")
        #expect(file.summary == "One file")
        let open = try route("open")
        #expect(open.security.isEmpty)
        #expect(open.responses.isEmpty)
        #expect(try route("feed").optionalSecurity)
    }

    @Test func theRoutesOwnDocsWin() throws {
        let create = try route("items.create")
        #expect(create.summary == "Create an item")
        #expect(create.docs.tags == ["items"])
        #expect(create.docs.request?.fields.map(\.name) == ["name", "quantity"])
        #expect(create.responses[401]?.description == "Overridden by the route")
        #expect(create.responses[201]?.description == "Created")
    }
}
