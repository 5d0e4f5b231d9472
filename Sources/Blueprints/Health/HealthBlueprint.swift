import Vial
import VialApp
import VialMiddleware

/// Health probes, exempt from rate limits:
/// - `GET /health`: 200 `{"status": "ok"}`, plus `"database": "ok"` when a check is given, or
///   503 when the check fails (the guide's endpoint);
/// - `GET /health/live`: liveness — the process answers; it checks nothing else, so a
///   database outage does not get every instance restarted;
/// - `GET /health/ready`: readiness — the database and every Redis the app uses answer
///   within 2 s; 503 `not_ready` naming what failed (`unavailable`) or did not answer in time
///   (`timed_out`), so the proxy or orchestrator sends traffic elsewhere until it recovers. The
///   answer comes within the budget whatever a dependency does.
public enum HealthBlueprint {
    /// The readiness results: each check's name and how it ended.
    public typealias Readiness = @Sendable () async -> [(name: String, state: ReadinessState)]

    /// A blueprint named `health`; `databaseCheck` throws when the database is unreachable.
    public static func make(databaseCheck: (@Sendable () async throws -> Void)? = nil, readiness: Readiness? = nil) -> Blueprint {
        let health = Blueprint("health")
        // Probes poll it: never counted against the app's default limits.
        health.use(rateLimitExempt())
        // A probe's answer is the state now: no cache may answer for the app.
        health.after { _, response in
            var response = response
            response.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            return response
        }
        health.get(
            "/health", name: "check",
            docs: RouteDocs(
                summary: "Health check (the process and its database)", tags: ["health"],
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
        health.get(
            "/health/live", name: "live",
            docs: RouteDocs(
                summary: "Liveness probe: the process answers (nothing else is checked)", tags: ["health"],
                responses: [200: .object(Schema(named: "Liveness", .string("status", required: true)), "Alive")])
        ) { _ in
            Response.json(["status": "ok"])
        }
        health.get(
            "/health/ready", name: "ready",
            docs: RouteDocs(
                summary: "Readiness probe: the database and each Redis in use answer", tags: ["health"],
                responses: [
                    200: .object(
                        Schema(
                            named: "Readiness", .string("status", required: true),
                            Field(
                                "checks", .object, required: true,
                                description: "Each dependency (database, rate_limits, cache, token_blocklist) and `ok`",
                                items: .string("", oneOf: ["ok"]))),
                        "Ready"),
                    503: .error("Not ready: `details` maps each dependency to ok, unavailable or timed_out"),
                ])
        ) { _ in
            let results = await readiness?() ?? []
            var checks: [String: JSON] = [:]
            for result in results { checks[result.name] = .string(result.state.rawValue) }
            let failed = results.filter { $0.state != .ok }.map(\.name)
            guard failed.isEmpty else {
                return Response.error(
                    HTTPError(.serviceUnavailable, "Not ready: \(failed.joined(separator: ", ")) unavailable", code: "not_ready",
                        details: .object(checks)))
            }
            return Response.json(["status": "ok", "checks": .object(checks)])
        }
        return health
    }
}
