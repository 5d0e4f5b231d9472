import Foundation
import GRDB
import Synchronization
import Testing
@testable import VialBlueprints

@Suite struct MigrationTests {
    func columns(_ db: Database, _ table: String) throws -> [String] {
        try db.columns(in: table).map(\.name)
    }

    @Test func upgradeAppliesEveryRevisionInOrder() async throws {
        // Given an empty database
        let database = try AppDatabase.inMemory()
        // When it is upgraded to head
        let applied = try await database.writer.writeWithoutTransaction { db in try Migrator().upgrade(db) }
        // Then every revision ran and head is recorded
        #expect(applied.map(\.id) == ["0001", "0002", "0003", "0004"])
        let (current, taskColumns) = try await database.writer.read { db in
            (try Migrator().current(db), try columns(db, "tasks"))
        }
        #expect(current == "0004")
        #expect(taskColumns.contains("due_date"))
    }

    @Test func downgradeDropsDueDateAndUpgradeBringsItBackKeepingData() async throws {
        // Given a database at head with a user and a task that has a due date
        let database = try AppDatabase.inMemory()
        try await database.writer.writeWithoutTransaction { db in _ = try Migrator().upgrade(db) }
        let users = SQLiteUserStore(database)
        let tasks = SQLiteTaskStore(database)
        let owner = try await users.create(User(username: "u", email: "u@example.com", passwordHash: "x", role: .user, createdAt: "2026-01-01T00:00:00Z"))
        let task = try await tasks.create(
            TaskItem(title: "keep me", dueDate: "2026-12-01", ownerId: owner.id!, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z"))

        // When it is downgraded to 0001
        let undone = try await database.writer.writeWithoutTransaction { db in try Migrator().downgrade(db, to: "0001") }
        #expect(undone.map(\.id) == ["0004", "0003", "0002"])
        let (afterDowngrade, columnsAfter, title) = try await database.writer.read { db in
            (
                try Migrator().current(db), try columns(db, "tasks"),
                try String.fetchOne(db, sql: "SELECT title FROM tasks WHERE id = ?", arguments: [task.id])
            )
        }
        #expect(afterDowngrade == "0001")
        #expect(!columnsAfter.contains("due_date"))
        #expect(title == "keep me")

        // Then upgrading again restores the column with the rows intact (the due date itself is gone)
        try await database.writer.writeWithoutTransaction { db in _ = try Migrator().upgrade(db) }
        let restored = try #require(try await tasks.find(id: task.id!))
        #expect(restored.title == "keep me")
        #expect(restored.dueDate == nil)
    }

    @Test func downgradeToBaseEmptiesTheSchema() async throws {
        let database = try AppDatabase.inMemory()
        try await database.writer.writeWithoutTransaction { db in
            let migrator = Migrator()
            try migrator.upgrade(db)
            try migrator.downgrade(db, to: "base")
            #expect(try migrator.current(db) == nil)
            #expect(try !db.tableExists("users"))
            #expect(try migrator.pending(db).count == 4)
        }
    }

    @Test func downgradeWithoutTargetGoesOneStep() async throws {
        let database = try AppDatabase.inMemory()
        try await database.writer.writeWithoutTransaction { db in
            let migrator = Migrator()
            try migrator.upgrade(db)
            #expect(try migrator.downgrade(db).map(\.id) == ["0004"])
            #expect(try migrator.current(db) == "0003")
        }
    }

    @Test func stampRecordsWithoutRunning() async throws {
        let database = try AppDatabase.inMemory()
        try await database.writer.writeWithoutTransaction { db in
            let migrator = Migrator()
            try migrator.stamp(db, "0002")
            #expect(try migrator.current(db) == "0002")
            #expect(try !db.tableExists("users"))
            #expect(throws: Migrator.Failure.unknownRevision("9999")) { try migrator.stamp(db, "9999") }
        }
    }

    @Test func aFailingStepLeavesThePreviousRevision() async throws {
        let broken = Migrator(revisions: Migrator.bundled + [
            Revision(id: "9001", message: "broken", upgrade: { db in try db.execute(sql: "THIS IS NOT SQL") }, downgrade: { _ in }),
        ])
        let database = try AppDatabase.inMemory()
        await #expect(throws: (any Error).self) { try await database.writer.writeWithoutTransaction { db in try broken.upgrade(db) } }
        let current = try await database.writer.read { db in try broken.current(db) }
        #expect(current == "0004")
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
        try await database.writer.writeWithoutTransaction { db in _ = try Migrator().upgrade(db) }
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
        let now = Mutex(1_000)
        let clock: @Sendable () -> Int = { now.withLock { $0 } }
        let first = SQLiteRevocationStore(database, clock: clock)
        let second = SQLiteRevocationStore(database, clock: clock)
        #expect(try await !second.isRevoked("jti-1"))  // loads the (empty) mirror
        // When the first revokes a token
        try await first.revoke("jti-1", expiresAt: 5_000)
        // Then the first knows at once, the second once its mirror is a second old
        #expect(try await first.isRevoked("jti-1"))
        #expect(try await !second.isRevoked("jti-1"))
        now.withLock { $0 += 1 }
        #expect(try await second.isRevoked("jti-1"))
    }

    @Test func revocationsPersistAndExpiredOnesAreSwept() async throws {
        let database = try await database()
        let store = SQLiteRevocationStore(database, clock: { 1_000 })
        try await store.revoke("old", expiresAt: 500)
        try await store.revoke("current", expiresAt: 2_000)
        #expect(try await store.isRevoked("current"))
        #expect(try await !store.isRevoked("old"))  // swept by the second revocation
        #expect(try await !store.isRevoked("never"))
    }
}
