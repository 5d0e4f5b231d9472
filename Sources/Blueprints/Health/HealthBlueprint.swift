import Vial
import VialMiddleware

/// `GET /health`: 200 `{"status": "ok"}`, plus `"database": "ok"` when a check is given,
/// or 503 when the check fails.
public enum HealthBlueprint {
    /// A blueprint named `health`; `databaseCheck` throws when the database is unreachable.
    public static func make(databaseCheck: (@Sendable () async throws -> Void)? = nil) -> Blueprint {
        let health = Blueprint("health")
        // Probes poll it: never counted against the app's default limits.
        health.use(rateLimitExempt())
        // Liveness (and database reachability, when a check is wired in).
        health.get(
            "/health", name: "check",
            docs: RouteDocs(
                summary: "Liveness check", tags: ["health"],
                responses: [
                    200: .object(Schema(named: "Health", .string("status", required: true), .string("database")), "Up"),
                    503: .error("The database does not answer"),
                ])
        ) { _ in
            guard let databaseCheck else { return Response.json(["status": "ok"]) }
            do {
                try await databaseCheck()
                return Response.json(["status": "ok", "database": "ok"])
            } catch {
                // The reason stays in the logs: it may name hosts or credentials.
                return Response.error(
                    HTTPError(.serviceUnavailable, "Database unreachable", code: "database_unavailable"))
            }
        }
        return health
    }
}
