import Fluent
import FluentPostgresDriver
import JWT
import Logging
import Vapor

/// `VaporPostgresTasks serve --env production --hostname 127.0.0.1 --port PORT`: reads the
/// PostgreSQL database named by `DATABASE_URL` (Vial made and seeded it; no migrations here) and
/// verifies HS256 tokens signed with `JWT_SECRET_KEY`.
@main
enum Entrypoint {
    static func main() async throws {
        var env = try Environment.detect()
        try LoggingSystem.bootstrap(from: &env)
        let app = try await Application.make(env)
        do {
            try await configure(app)
            try await app.execute()
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}

func configure(_ app: Application) async throws {
    guard let url = Environment.get("DATABASE_URL"), url.hasPrefix("postgres") else {
        throw Abort(.internalServerError, reason: "DATABASE_URL must be postgresql://user@host:port/database")
    }
    var configuration = try SQLPostgresConfiguration(url: url)
    configuration.coreConfiguration.tls = .disable
    app.databases.use(.postgres(configuration: configuration), as: .psql)

    guard let secret = Environment.get("JWT_SECRET_KEY"), !secret.isEmpty else {
        throw Abort(.internalServerError, reason: "JWT_SECRET_KEY is required")
    }
    await app.jwt.keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)

    app.get("health") { _ in HTTPStatus.ok }
    try app.register(collection: TaskController())
}
