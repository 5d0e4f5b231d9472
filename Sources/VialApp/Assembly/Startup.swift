import Foundation
import Vial

/// What `serve` and `worker` do before running.
extension Application {
    /// Start-up refused: production with pending migrations.
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// Assembles the app on the configured database (bad settings throw here) and, in development
    /// and testing, applies pending migrations (saying so); in production refuses to start while
    /// any are pending. Then lets each plugin seed development data (outside production).
    public func prepare(config: AppConfig, clock: any WallClock = SystemClock(), say: (String) -> Void) async throws -> Assembly {
        let database = try openDatabase(config)
        // Assembling first reads every plugin's settings: a bad one stops start-up before the database is touched.
        let assembly = try assemble(config: config, database: database, clock: clock)
        say(" * Database: \(database.location)")
        let migrator = assembly.migrator
        let pending = try await migrator.pending(database)
        if !pending.isEmpty {
            guard config.environment != .production else {
                throw Refusal(
                    description: "\(pending.count) migration(s) pending (\(pending.map { "\($0.plugin) \($0.id)" }.joined(separator: ", "))); run `\(Application.commandName) db upgrade` first")
            }
            try await migrator.upgrade(database)
            say(" * Applied migrations: \(pending.map(\.description).joined(separator: "; "))")
        }
        if config.environment != .production {
            for plugin in assembly.plugins {
                if let line = try await plugin.seed(assembly, samples: false) { say(line) }
            }
        }
        return assembly
    }
}
