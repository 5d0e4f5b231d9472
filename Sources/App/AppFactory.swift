import Vial

/// The application factory, Flask's `create_app`: assembles the app from its pieces.
///
/// The bundled `auth` and `tasks` blueprints register here once they exist; for now the
/// app answers `GET /health`.
public func makeApp(config: AppConfig) -> App {
    let app = App("tasks-api", config: config)
    app.get("/health", name: "health", summary: "Liveness check") { _ in
        ["status": "ok"] as JSON
    }
    return app
}
