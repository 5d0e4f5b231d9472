import Testing
@testable import Vial

@Suite struct RouteListingTests {
    func sampleApp() -> App {
        let app = App()
        let auth = MiddlewareFunction(name: "jwt") { request, next in try await next(request) }
        app.get("/health", name: "health") { _ in "ok" }
        let tasks = Blueprint("tasks", urlPrefix: "/api/tasks")
        tasks.use(auth)
        tasks.get("/", name: "get_tasks") { _ in "l" }
        tasks.post("/", name: "create_task") { _ in "c" }
        tasks.route("/<int:task_id>", methods: [.GET, .PUT, .DELETE], name: "task") { _ in "t" }
        app.register(tasks)
        return app
    }

    @Test func rendersFlaskLayoutSortedByEndpoint() throws {
        let text = RouteListing.render(try sampleApp().routes())
        let expected = """
            Endpoint           Methods           Rule                      Middleware
            -----------------  ----------------  ------------------------  ----------
            health             GET               /health
            tasks.create_task  POST              /api/tasks/               jwt
            tasks.get_tasks    GET               /api/tasks/               jwt
            tasks.task         DELETE, GET, PUT  /api/tasks/<int:task_id>  jwt

            """
        #expect(text == expected)
    }

    @Test func allMethodsAddsHeadAndOptions() throws {
        let text = RouteListing.render(try sampleApp().routes(), sort: .match, allMethods: true)
        let lines = text.split(separator: "\n")
        #expect(lines[2].hasPrefix("health             GET, HEAD, OPTIONS               /health"))
        #expect(lines[5].contains("DELETE, GET, HEAD, OPTIONS, PUT"))
    }

    @Test func sortsByRule() throws {
        let text = RouteListing.render(try sampleApp().routes(), sort: .rule)
        let rules = text.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ", omittingEmptySubsequences: true)[0] }
        #expect(rules == ["tasks.create_task", "tasks.get_tasks", "tasks.task", "health"])
    }

    @Test func jsonListsRows() throws {
        let json = try JSON(parsing: Array(RouteListing.json(try sampleApp().routes()).utf8))
        #expect(json[0]?["endpoint"] == "health")
        #expect(json[3]?["middleware"] == ["jwt"])
    }

    @Test func aDefaultsColumnAppearsWhenARouteHasDefaults() throws {
        let app = sampleApp()
        app.route(["/users/", "/users/page/<int:page>"], name: "users", options: .defaults(["page": 1, "sort": "name"])) { _ in "u" }
        let text = RouteListing.render(try app.routes())
        let lines = text.split(separator: "\n")
        #expect(lines[0] == "Endpoint           Methods           Rule                      Defaults           Middleware")
        #expect(lines.contains("users              GET               /users/                   page=1, sort=name"))
        #expect(lines.contains("users              GET               /users/page/<int:page>    sort=name"))
        let json = try JSON(parsing: Array(RouteListing.json(try app.routes()).utf8))
        #expect(json[4]?["defaults"] == ["page": "1", "sort": "name"])
        // Without defaults anywhere, no column.
        #expect(!RouteListing.render(try sampleApp().routes()).contains("Defaults"))
    }
}
