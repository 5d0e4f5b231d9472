import Vial
import VialApp
import VialMiddleware

/// The `health` plugin: `GET /health` (the database), `/health/live` and `/health/ready` (the
/// database and each Redis in use: `context.readiness`), exempt from the default rate limits.
public struct HealthPlugin: Plugin {
    public init() {}

    public var name: String { "health" }
    public var tags: [String: String] { ["health": "Liveness and readiness probes"] }

    public func setUp(_ context: PluginContext) throws {
        let database = context.database
        let readiness = context.readiness
        context.app.register(
            HealthBlueprint.make(databaseCheck: { try await database.ping() }, readiness: { await readiness.run() }))
    }
}
