import Foundation
import Vial
import VialApp
import VialBlueprints
import VialMiddleware

/// Mounting the bundled API in your own service: auth at `/v1/account`, tasks at `/v1/todo`,
/// next to a plugin of your own whose routes use the same tokens and the typed current user.
enum MountBundledExample {
    /// A plugin of our own: one blueprint, protected by auth's JWT.
    struct StatsPlugin: Plugin {
        var name: String { "stats" }
        var dependencies: [String] { ["auth"] }

        func setUp(_ context: PluginContext) throws {
            let stats = Blueprint("stats", urlPrefix: "/v1/stats")
            stats.use(jwtRequired())
            stats.get("/whoami", name: "whoami") { req in
                let user = try req.currentUser()
                return ["user_id": .string(String(user.id)), "role": .string(user.role.rawValue)] as JSON
            }
            context.app.register(stats)
        }
    }

    static let application = Application(
        "mount-bundled",
        plugins: [
            HealthPlugin(), AuthPlugin(urlPrefix: "/v1/account"), JobsPlugin(), TasksPlugin(urlPrefix: "/v1/todo"),
            StatsPlugin(),
        ])

    static func make(_ config: AppConfig) -> App {
        // In memory: the example keeps nothing. A real app hands `application.main()` its command line.
        try! application.assembleInMemory(config: config).app
    }
}
