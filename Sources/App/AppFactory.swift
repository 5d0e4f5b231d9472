import Vial
import VialBlueprints
import VialMiddleware

/// The application factory, Flask's `create_app`: assembles the app from blueprints.
///
/// The bundled `auth` and `tasks` blueprints register here once they exist; for now the
/// app answers `GET /health`.
public func makeApp(config: AppConfig) -> App {
    let app = App("tasks-api", config: config)
    if config.environment == .production { app.use(SecurityHeaders()) }
    app.register(HealthBlueprint.make())
    return app
}
