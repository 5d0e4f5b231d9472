import Foundation
import Testing
import VialApp
@testable import VialBlueprints
import VialTesting

/// The engines the store and migration tests run on: SQLite always, PostgreSQL where its
/// server programs are installed (`.ci/run` installs them).
enum Engine: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    static var available: [Engine] { PostgresTestServer.isAvailable ? allCases : [.sqlite] }

    /// A new, empty database: in memory for SQLite, a database of its own on the shared test
    /// server for PostgreSQL.
    func emptyDatabase() async throws -> AppDatabase {
        switch self {
        case .sqlite: return try AppDatabase.inMemory()
        case .postgres:
            let server = try #require(await PostgresTestServer.started(), "the PostgreSQL test server did not start")
            return try AppDatabase(DatabaseLocation(url: try await server.makeDatabase()))
        }
    }

    /// `emptyDatabase()` with every bundled plugin at head.
    func migratedDatabase() async throws -> AppDatabase {
        let database = try await emptyDatabase()
        try await Bundled.application.migrator().upgrade(database)
        return database
    }
}

/// A migrated in-memory SQLite database, or a file one at `location`.
func migratedDatabase(_ location: DatabaseLocation = .memory) async throws -> AppDatabase {
    let database = try AppDatabase(location)
    try await Bundled.application.migrator().upgrade(database)
    return database
}

/// The columns of `table`, on either engine.
func columns(_ database: AppDatabase, _ table: String) async throws -> [String] {
    let sql = database.dialect == .sqlite
        ? "SELECT name FROM pragma_table_info(?)"
        : "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?"
    return try await database.read(sql, [.text(table)]).compactMap { $0.string("name") }
}
