import Testing
@testable import Vial

/// Issue 20, point 8: mistakes Flask refuses at the call stop the program there, naming them,
/// instead of surfacing later (or never: a route added after the build was silently never served).
@Suite struct RegistrationCheckTests {
    @Test func anEmptyBlueprintNameIsRefused() async {
        await #expect(processExitsWith: .failure) { _ = Blueprint("") }
    }

    @Test func aDotInABlueprintNameIsRefused() async {
        await #expect(processExitsWith: .failure) { _ = Blueprint("api.v1") }
        await #expect(processExitsWith: .failure) { App().register(Blueprint("tasks"), name: "tasks.v2") }
    }

    @Test func aDotInAnEndpointNameIsRefused() async {
        await #expect(processExitsWith: .failure) { App().get("/x", name: "a.b") { _ in "x" } }
    }

    @Test func addingAfterTheBuildIsRefused() async {
        await #expect(processExitsWith: .failure) {
            let app = App()
            _ = try? app.build()
            app.get("/late") { _ in "never served" }
        }
        await #expect(processExitsWith: .failure) {
            let app = App()
            let tasks = Blueprint("tasks")
            app.register(tasks)
            _ = try? app.build()
            tasks.get("/late") { _ in "never served" }
        }
        await #expect(processExitsWith: .failure) {
            let app = App()
            _ = try? app.build()
            app.register(Blueprint("late"))
        }
    }

    /// What stays allowed: building again, an app whose name has a dot, and a blueprint mounted
    /// on a second app before that one is built.
    @Test func whatFlaskAllowsStaysAllowed() throws {
        let app = App("my.app")
        let tasks = Blueprint("tasks", urlPrefix: "/tasks")
        tasks.get("/", name: "list") { _ in "l" }
        app.register(tasks)
        // Building a URL before the app is built leaves it open to more routes.
        #expect(try app.urlFor("tasks.list") == "/tasks/")
        tasks.get("/<int:id>", name: "one") { _ in "o" }
        #expect(try app.urlFor("tasks.one", ["id": 2]) == "/tasks/2")
        _ = try app.build()
        _ = try app.build()
        #expect(try app.urlFor("tasks.list") == "/tasks/")
    }
}
