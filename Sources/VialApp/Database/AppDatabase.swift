import Foundation
import GRDB
import Vial

/// The app's database: a GRDB `DatabasePool` in WAL mode on a file, or a single in-memory
/// connection under testing. All access goes through GRDB's async API, which runs on GRDB's
/// own queues — never on a NIO event loop. SQL is always parameterised.
public final class AppDatabase: Sendable {
    /// The GRDB writer (pool or queue).
    public let writer: any DatabaseWriter
    public let location: DatabaseLocation

    /// Opens (creating the folder and file on demand) the database at `location`.
    public init(_ location: DatabaseLocation) throws {
        self.location = location
        var configuration = GRDB.Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        switch location {
        case .memory:
            writer = try DatabaseQueue(configuration: configuration)
        case .file:
            let path = location.absolutePath!
            let folder = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            writer = try DatabasePool(path: path, configuration: configuration)  // WAL mode
        }
    }

    /// A fresh in-memory database, for tests.
    public static func inMemory() throws -> AppDatabase { try AppDatabase(.memory) }

    /// Succeeds when the database answers a trivial query (for `/health`).
    public func ping() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
