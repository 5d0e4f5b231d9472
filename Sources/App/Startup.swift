import Foundation
import GRDB
import Vial
import VialBlueprints

/// What `App serve` does before listening (SPEC section 5).
enum Startup {
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// Opens the database; in development and testing applies pending migrations and seeds the
    /// development users into an empty users table (saying so); in production refuses to start
    /// while migrations are pending.
    static func prepare(config: AppConfig, settings: AppSettings, say: (String) -> Void) async throws -> Services {
        if settings.usesDevelopmentSecret {
            say(" * WARNING: JWT_SECRET_KEY is not set; using the development secret. Never do this in production.")
        }
        let database = try AppDatabase(settings.database)
        let migrator = Migrator()
        let pending = try await database.writer.read { db in try migrator.pending(db) }
        if !pending.isEmpty {
            guard config.environment != .production else {
                throw Refusal(
                    description: "\(pending.count) migration(s) pending (\(pending.map(\.id).joined(separator: ", "))); run `App db upgrade` first")
            }
            try await database.writer.writeWithoutTransaction { db in _ = try migrator.upgrade(db) }
            say(" * Applied migrations: \(pending.map { "\($0.id) \($0.message)" }.joined(separator: "; "))")
        }
        let services = Services(database: database, settings: settings)
        if config.environment != .production, try await services.users.count() == 0 {
            try await DevelopmentSeed.users(into: services.users)
            say(" * Seeded development users: admin/password (admin), user/password (user)")
        }
        return services
    }
}
