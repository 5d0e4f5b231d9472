import Foundation
import GRDB
import Synchronization
import Testing
import Vial
import VialApp
@testable import VialBlueprints
import VialTesting

/// The bundled plugins' migrations: auth (users, blocklist), jobs (queue), tasks (tasks, due dates, outbox).
@Suite struct MigrationTests {
    let migrator: Migrator

    init() throws { migrator = try Bundled.application.migrator() }

    func columns(_ db: Database, _ table: String) throws -> [String] {
        try db.columns(in: table).map(\.name)
    }

    @Test func upgradeRunsEveryPluginInDependencyOrder() async throws {
        // Given an empty database
        let database = try AppDatabase.inMemory()
        // When it is upgraded
        let applied = try await database.writer.writeWithoutTransaction { db in try migrator.upgrade(db) }
        // Then auth's users exist before tasks reference them, and each plugin is at its head
        #expect(applied.map { "\($0.plugin) \($0.id)" } == ["auth 0001", "auth 0002", "auth 0003", "jobs 0001", "tasks 0001", "tasks 0002", "tasks 0003"])
        let (current, taskColumns) = try await database.writer.read { db in (try migrator.current(db), try columns(db, "tasks")) }
        #expect(current == ["auth": "0003", "jobs": "0001", "tasks": "0003"])
        #expect(taskColumns.contains("due_date"))
        #expect(try await database.writer.read { db in try migrator.pending(db) }.isEmpty)
    }

    @Test func installOrderDoesNotMatter() throws {
        let reversed = Application("x", plugins: Bundled.plugins.reversed())
        #expect(try reversed.migrator().chains.map(\.plugin) == migrator.chains.map(\.plugin))
    }

    @Test func downgradeOnePluginKeepsTheOthersAndTheirData() async throws {
        // Given a database at head with a user and a task that has a due date
        let database = try AppDatabase.inMemory()
        try await database.writer.writeWithoutTransaction { db in _ = try migrator.upgrade(db) }
        let owner = try await SQLiteUserStore(database).create(
            User(username: "u", email: "u@example.com", passwordHash: "x", role: .user, createdAt: "2026-01-01T00:00:00Z"))
        let tasks = SQLiteTaskStore(database)
        let task = try await tasks.create(
            TaskItem(title: "keep me", dueDate: "2026-12-01", ownerId: owner.id!, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z"))

        // When tasks alone is downgraded to 0001
        let undone = try await database.writer.writeWithoutTransaction { db in try migrator.downgrade(db, plugin: "tasks", to: "0001") }
        #expect(undone.map(\.id) == ["0003", "0002"])
        let (state, columnsAfter, title) = try await database.writer.read { db in
            (try migrator.current(db), try columns(db, "tasks"), try String.fetchOne(db, sql: "SELECT title FROM tasks WHERE id = ?", arguments: [task.id]))
        }
        #expect(state == ["auth": "0003", "jobs": "0001", "tasks": "0001"])
        #expect(!columnsAfter.contains("due_date"))
        #expect(title == "keep me")

        // Then upgrading again restores the column with the rows intact (the due date itself is gone)
        try await database.writer.writeWithoutTransaction { db in _ = try migrator.upgrade(db) }
        let restored = try #require(try await tasks.find(id: task.id!))
        #expect(restored.title == "keep me")
        #expect(restored.dueDate == nil)
    }

    @Test func aPluginCannotGoToBaseUnderItsDependents() async throws {
        let database = try AppDatabase.inMemory()
        try await database.writer.writeWithoutTransaction { db in
            try migrator.upgrade(db)
            #expect(throws: Migrator.Failure.dependentsPresent(plugin: "auth", dependents: ["jobs", "tasks"])) {
                try migrator.downgrade(db, plugin: "auth", to: "base")
            }
            #expect(try db.tableExists("users"))
            // Short of base is fine: the blocklist goes, users stay.
            #expect(try migrator.downgrade(db, plugin: "auth", to: "0001").map(\.id) == ["0003", "0002"])
            #expect(try !db.tableExists("token_blocklist"))
            #expect(try db.tableExists("users"))
        }
    }

    @Test func downgradeAllEmptiesTheSchemaDependentsFirst() async throws {
        let database = try AppDatabase.inMemory()
        try await database.writer.writeWithoutTransaction { db in
            try migrator.upgrade(db)
            let undone = try migrator.downgradeAll(db)
            #expect(undone.first?.plugin == "tasks")
            #expect(undone.last?.plugin == "auth")
            #expect(try migrator.current(db).isEmpty)
            #expect(try !db.tableExists("users"))
            #expect(try migrator.pending(db).count == 7)
        }
    }

    @Test func upgradingOnePluginUpgradesWhatItDependsOnFirst() async throws {
        let database = try AppDatabase.inMemory()
        try await database.writer.writeWithoutTransaction { db in
            let applied = try migrator.upgrade(db, plugin: "tasks", to: "0001")
            #expect(applied.map { "\($0.plugin) \($0.id)" } == ["auth 0001", "auth 0002", "auth 0003", "jobs 0001", "tasks 0001"])
            #expect(try migrator.current(db)["tasks"] == "0001")
        }
    }

    @Test func stampRecordsWithoutRunning() async throws {
        let database = try AppDatabase.inMemory()
        try await database.writer.writeWithoutTransaction { db in
            try migrator.stamp(db, plugin: "auth", "0001")
            #expect(try migrator.current(db) == ["auth": "0001"])
            #expect(try !db.tableExists("users"))
            #expect(throws: Migrator.Failure.unknownRevision(plugin: "auth", id: "9999")) { try migrator.stamp(db, plugin: "auth", "9999") }
            #expect(throws: Migrator.Failure.unknownPlugin("notes")) { try migrator.stamp(db, plugin: "notes", "0001") }
        }
    }

    @Test func aFailingStepLeavesThePreviousRevision() async throws {
        let broken = Migrator(
            migrator.chains + [
                MigrationChain(
                    plugin: "broken", dependencies: ["tasks"],
                    revisions: [Revision("0001", "ok", up: "CREATE TABLE fine (id INTEGER)", down: "DROP TABLE fine"), Revision("0002", "broken", up: "THIS IS NOT SQL", down: "")])
            ])
        let database = try AppDatabase.inMemory()
        await #expect(throws: (any Error).self) { try await database.writer.writeWithoutTransaction { db in try broken.upgrade(db) } }
        let current = try await database.writer.read { db in try broken.current(db) }
        #expect(current == ["auth": "0003", "jobs": "0001", "tasks": "0003", "broken": "0001"])
    }

    // MARK: Databases made before per-plugin migrations

    /// A copy of a database the pre-plugin `App` made (`init-db --sample-tasks`, then `create-user carol`;
    /// the 0002 file then `db downgrade 0002`), in a fresh folder.
    func legacyCopy(_ name: String) throws -> (AppDatabase, URL) {
        let source = try #require(Bundle.module.url(forResource: "legacy-\(name)", withExtension: "sqlite", subdirectory: "Fixtures"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vial-legacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let copy = folder.appendingPathComponent("app.db")
        try FileManager.default.copyItem(at: source, to: copy)
        return (try AppDatabase(.file(copy.path)), folder)
    }

    @Test func aDatabaseAtTheOldHeadUpgradesInPlaceWithNothingLost() async throws {
        let (database, folder) = try legacyCopy("0004")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Read without writing: every plugin is where the old 0004 put it; only what came after is pending
        let before = try await database.writer.read { db in (try migrator.current(db), try migrator.pending(db)) }
        #expect(before.0 == ["auth": "0002", "jobs": "0001", "tasks": "0003"])
        #expect(before.1.map { "\($0.plugin) \($0.id)" } == ["auth 0003"])
        // Upgrading moves the record to vial_migrations and runs only the newer revision
        let applied = try await database.writer.writeWithoutTransaction { db in try migrator.upgrade(db) }
        #expect(applied.map { "\($0.plugin) \($0.id)" } == ["auth 0003"])
        let (legacyTable, recorded) = try await database.writer.read { db in
            (try db.tableExists("schema_version"), try String.fetchAll(db, sql: "SELECT plugin || ' ' || revision FROM vial_migrations ORDER BY plugin"))
        }
        #expect(!legacyTable)
        #expect(recorded == ["auth 0003", "jobs 0001", "tasks 0003"])
        // The users and their tasks are all there, and the app logs carol in
        let users = SQLiteUserStore(database)
        #expect(try await users.count() == 3)
        #expect(try await users.find(username: "carol")?.email == "carol@example.com")
        #expect(try await SQLiteTaskStore(database).list(owner: nil, status: nil, page: 1, perPage: 100).total == 4)
    }

    @Test func aDatabaseAtAnOldRevisionGetsOnlyWhatItLacks() async throws {
        let (database, folder) = try legacyCopy("0002")
        defer { try? FileManager.default.removeItem(at: folder) }
        let pending = try await database.writer.read { db in try migrator.pending(db) }
        #expect(pending.map { "\($0.plugin) \($0.id)" } == ["auth 0002", "auth 0003", "jobs 0001", "tasks 0003"])
        let applied = try await database.writer.writeWithoutTransaction { db in try migrator.upgrade(db) }
        #expect(applied.map { "\($0.plugin) \($0.id)" } == ["auth 0002", "auth 0003", "jobs 0001", "tasks 0003"])
        #expect(try await SQLiteTaskStore(database).list(owner: nil, status: nil, page: 1, perPage: 100).total == 4)
        let tables = try await database.writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        }
        #expect(tables == ["jobs", "outbox", "tasks", "token_blocklist", "users", "vial_migrations"])
    }

    @Test func fileDatabasesAreCreatedInWALMode() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vial-\(UUID().uuidString)/instance")
        let database = try AppDatabase(.file(folder.path + "/test.db"))
        let mode = try await database.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/test.db"))
        try? FileManager.default.removeItem(at: folder.deletingLastPathComponent())
    }

    @Test func databaseURLsParseAsSQLAlchemyDoes() throws {
        #expect(try DatabaseLocation(url: "sqlite:///instance/tasks_dev.db") == .file("instance/tasks_dev.db"))
        #expect(try DatabaseLocation(url: "sqlite:////tmp/x.db") == .file("/tmp/x.db"))
        #expect(try DatabaseLocation(url: "sqlite:///:memory:") == .memory)
        #expect(throws: (any Error).self) { try DatabaseLocation(url: "postgresql://localhost/db") }
    }
}

@Suite struct StoreTests {
    func database() async throws -> AppDatabase {
        let database = try AppDatabase.inMemory()
        let migrator = try Bundled.application.migrator()
        try await database.writer.writeWithoutTransaction { db in _ = try migrator.upgrade(db) }
        return database
    }

    @Test func uniqueUsernameAndEmailAreConflicts() async throws {
        let users = SQLiteUserStore(try await database())
        _ = try await users.create(User(username: "a", email: "a@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        await #expect(throws: StoreError.conflict(field: "username")) {
            _ = try await users.create(User(username: "a", email: "b@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        }
        await #expect(throws: StoreError.conflict(field: "email")) {
            _ = try await users.create(User(username: "b", email: "a@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        }
    }

    @Test func sqlIsParameterised() async throws {
        let users = SQLiteUserStore(try await database())
        _ = try await users.create(User(username: "bob", email: "b@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        #expect(try await users.find(username: "' OR '1'='1") == nil)
        #expect(try await users.find(username: "bob")?.email == "b@x.io")
    }

    @Test func anotherProcessesRevocationIsSeenAfterTheRefreshInterval() async throws {
        // Given two stores (two processes) on one database, and a clock we move
        let database = try await database()
        let clock = ManualClock(1_000)
        let first = SQLiteRevocationStore(database, clock: clock)
        let second = SQLiteRevocationStore(database, clock: clock)
        #expect(try await !second.isRevoked("jti-1"))  // loads the (empty) mirror
        // When the first revokes a token
        try await first.revoke("jti-1", expiresAt: 5_000)
        // Then the first knows at once, the second once its mirror is a second old
        #expect(try await first.isRevoked("jti-1"))
        #expect(try await !second.isRevoked("jti-1"))
        clock.advance(1)
        #expect(try await second.isRevoked("jti-1"))
    }

    @Test func revocationsPersistAndExpiredOnesAreSwept() async throws {
        let database = try await database()
        let store = SQLiteRevocationStore(database, clock: FixedClock(1_000))
        try await store.revoke("old", expiresAt: 500)
        try await store.revoke("current", expiresAt: 2_000)
        #expect(try await store.isRevoked("current"))
        #expect(try await !store.isRevoked("old"))  // swept by the second revocation
        #expect(try await !store.isRevoked("never"))
    }
}

/// Logout must hold at once on this instance: a mirror refresh whose read started before the
/// revocation committed used to replace the mirror and forget it for up to a second.
@Suite struct RevocationMirrorTests {
    @Test func aStaleSnapshotDoesNotForgetALocalRevocation() {
        var mirror = SQLiteRevocationStore.Mirror()
        mirror.revoked["logged-out"] = 2_000  // revoke() on this instance
        mirror.refresh(with: ["other": 3_000], now: 1_000)  // a snapshot read just before it committed
        #expect(mirror.revoked["logged-out"] == 2_000)
        #expect(mirror.revoked["other"] == 3_000)
        mirror.refresh(with: [:], now: 2_500)  // expiry still drops entries
        #expect(mirror.revoked["logged-out"] == nil)
        #expect(mirror.revoked["other"] == 3_000)
    }
}
