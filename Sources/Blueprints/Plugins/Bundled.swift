import VialApp

/// The bundled task API: `health`, `auth`, `jobs` and `tasks`, each a plugin.
public enum Bundled {
    /// The four bundled plugins; add your own next to them (order does not matter).
    public static var plugins: [any Plugin] { [HealthPlugin(), AuthPlugin(), JobsPlugin(), TasksPlugin()] }

    /// The `App` executable's application.
    public static var application: Application {
        Application(
            "tasks-api", title: "Vial Tasks API", version: "1.0.0", description: "Users, JWT authentication and tasks.",
            plugins: plugins)
    }
}
