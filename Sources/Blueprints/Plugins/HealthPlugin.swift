import Vial
import VialApp
import VialMiddleware

/// The `health` plugin: `GET /health`, checking the database, exempt from the default rate limits.
public struct HealthPlugin: Plugin {
    public init() {}

    public var name: String { "health" }
    public var tags: [String: String] { ["health": "Liveness"] }

    public func setUp(_ context: PluginContext) throws {
        let database = context.database
        context.app.register(HealthBlueprint.make(databaseCheck: { try await database.ping() }))
    }
}
