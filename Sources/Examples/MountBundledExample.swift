import Foundation
import Vial
import VialBlueprints
import VialMiddleware

/// Mounting the bundled API in your own service: auth at `/v1/account`, tasks at
/// `/v1/todo`, next to a blueprint of your own that reuses the same JWT check.
enum MountBundledExample {
    static func make(_ config: AppConfig) -> App {
        // The bundled pieces need a database (migrated) and JWT settings.
        let database = try! AppDatabase.inMemory()  // in memory: the example keeps nothing
        try! database.writer.writeWithoutTransaction { db in _ = try Migrator().upgrade(db) }
        let jwt = JWTManager(
            issuer: TokenIssuer(codec: JWTCodec(secret: "example-secret-change-me-please")),
            revocations: SQLiteRevocationStore(database, clock: { Int(Date().timeIntervalSince1970) }))

        let app = App("mount-bundled", config: config)
        app.use(jwt)
        app.register(AuthBlueprint.make(users: SQLiteUserStore(database), jwt: jwt), urlPrefix: "/v1/account")
        app.register(TasksBlueprint.make(tasks: SQLiteTaskStore(database)), urlPrefix: "/v1/todo")

        // Our own blueprint, protected by the same tokens.
        let stats = Blueprint("stats", urlPrefix: "/v1/stats")
        stats.use(jwtRequired())
        stats.get("/whoami", name: "whoami") { req in
            ["user_id": .string(req.identity ?? ""), "role": .string(req.jwtClaims?.role ?? "")] as JSON
        }
        app.register(stats)
        return app
    }
}
