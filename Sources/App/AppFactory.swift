import Foundation
import Vial
import VialBlueprints
import VialMiddleware

/// What the app is assembled from: the database and the stores and JWT settings over it.
public struct Services: Sendable {
    public let database: AppDatabase
    public let users: any UserStore
    public let tasks: any TaskStore
    public let jwt: JWTManager

    /// Services over `database` with `settings`' JWT configuration; `clock` is seconds since 1970.
    public init(
        database: AppDatabase, settings: AppSettings,
        clock: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) {
        self.database = database
        users = SQLiteUserStore(database)
        tasks = SQLiteTaskStore(database)
        let codec = JWTCodec(secret: settings.jwtSecret, clock: clock)
        jwt = JWTManager(
            issuer: TokenIssuer(
                codec: codec, accessLifetime: settings.accessTokenLifetime, refreshLifetime: settings.refreshTokenLifetime),
            revocations: SQLiteRevocationStore(database, clock: clock))
    }

    /// Services on a migrated in-memory database (tests, `App routes`).
    public static func inMemory(settings: AppSettings) throws -> Services {
        let database = try AppDatabase.inMemory()
        try database.writer.writeWithoutTransaction { db in _ = try Migrator().upgrade(db) }
        return Services(database: database, settings: settings)
    }
}

/// The application factory, Flask's `create_app`: the bundled blueprints, each registered separately.
public func makeApp(config: AppConfig, services: Services) -> App {
    let app = App("tasks-api", config: config)
    if config.environment == .production { app.use(SecurityHeaders()) }
    app.use(services.jwt)
    let database = services.database
    app.register(HealthBlueprint.make(databaseCheck: { try await database.ping() }))
    app.register(AuthBlueprint.make(users: services.users, jwt: services.jwt), urlPrefix: "/auth")
    app.register(TasksBlueprint.make(tasks: services.tasks), urlPrefix: "/api/tasks")
    return app
}
