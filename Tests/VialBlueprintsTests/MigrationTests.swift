import Foundation
import Synchronization
import Testing
import Vial
@testable import VialApp
@testable import VialBlueprints
import VialTesting

/// The bundled plugins' migrations: auth (users, blocklist), jobs (queue), tasks (tasks, due
/// dates, outbox) — on SQLite and PostgreSQL.
@Suite struct MigrationTests {
    let migrator: Migrator

    init() throws { migrator = try Bundled.application.migrator() }

    @Test(arguments: Engine.available) func upgradeRunsEveryPluginInDependencyOrder(engine: Engine) async throws {
        // Given an empty database
        let database = try await engine.emptyDatabase()
        // When it is upgraded
        let applied = try await migrator.upgrade(database)
        // Then auth's users exist before tasks reference them, and each plugin is at its head
        #expect(applied.map { "\($0.plugin) \($0.id)" } == ["auth 0001", "auth 0002", "auth 0003", "jobs 0001", "tasks 0001", "tasks 0002", "tasks 0003", "tasks 0004", "tasks 0005"])
        #expect(try await migrator.current(database) == ["auth": "0003", "jobs": "0001", "tasks": "0005"])
        #expect(try await columns(database, "tasks").contains("due_date"))
        #expect(try await migrator.pending(database).isEmpty)
    }

    @Test func installOrderDoesNotMatter() throws {
        let reversed = Application("x", plugins: Bundled.plugins.reversed())
        #expect(try reversed.migrator().chains.map(\.plugin) == migrator.chains.map(\.plugin))
    }

    @Test(arguments: Engine.available) func downgradeOnePluginKeepsTheOthersAndTheirData(engine: Engine) async throws {
        // Given a database at head with a user and a task that has a due date
        let database = try await engine.emptyDatabase()
        try await migrator.upgrade(database)
        let owner = try await SQLUserStore(database).create(
            User(username: "u", email: "u@example.com", passwordHash: "x", role: .user, createdAt: "2026-01-01T00:00:00Z"))
        let tasks = SQLTaskStore(database)
        let task = try await tasks.create(
            TaskItem(title: "keep me", dueDate: CalendarDate("2026-12-01"), ownerId: owner.id!, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z"))

        // When tasks alone is downgraded to 0001
        let undone = try await migrator.downgrade(database, plugin: "tasks", to: "0001")
        #expect(undone.map(\.id) == ["0005", "0004", "0003", "0002"])
        #expect(try await migrator.current(database) == ["auth": "0003", "jobs": "0001", "tasks": "0001"])
        #expect(try await !columns(database, "tasks").contains("due_date"))
        #expect(try await database.read("SELECT title FROM tasks WHERE id = ?", [.integer(task.id!)]).first?.string("title") == "keep me")

        // Then upgrading again restores the column with the rows intact (the due date itself is gone)
        try await migrator.upgrade(database)
        let restored = try #require(try await tasks.find(id: task.id!))
        #expect(restored.title == "keep me")
        #expect(restored.dueDate == nil)
    }

    @Test(arguments: Engine.available) func aPluginCannotGoToBaseUnderItsDependents(engine: Engine) async throws {
        let database = try await engine.emptyDatabase()
        try await migrator.upgrade(database)
        await #expect(throws: Migrator.Failure.dependentsPresent(plugin: "auth", dependents: ["jobs", "tasks"])) {
            try await migrator.downgrade(database, plugin: "auth", to: "base")
        }
        #expect(try await database.tableExists("users"))
        // Short of base is fine: the blocklist goes, users stay.
        #expect(try await migrator.downgrade(database, plugin: "auth", to: "0001").map(\.id) == ["0003", "0002"])
        #expect(try await !database.tableExists("token_blocklist"))
        #expect(try await database.tableExists("users"))
    }

    @Test(arguments: Engine.available) func downgradeAllEmptiesTheSchemaDependentsFirst(engine: Engine) async throws {
        let database = try await engine.emptyDatabase()
        try await migrator.upgrade(database)
        let undone = try await migrator.downgradeAll(database)
        #expect(undone.first?.plugin == "tasks")
        #expect(undone.last?.plugin == "auth")
        #expect(try await migrator.current(database).isEmpty)
        #expect(try await !database.tableExists("users"))
        #expect(try await migrator.pending(database).count == 9)
    }

    @Test(arguments: Engine.available) func upgradingOnePluginUpgradesWhatItDependsOnFirst(engine: Engine) async throws {
        let database = try await engine.emptyDatabase()
        let applied = try await migrator.upgrade(database, plugin: "tasks", to: "0001")
        #expect(applied.map { "\($0.plugin) \($0.id)" } == ["auth 0001", "auth 0002", "auth 0003", "jobs 0001", "tasks 0001"])
        #expect(try await migrator.current(database)["tasks"] == "0001")
    }

    @Test(arguments: Engine.available) func stampRecordsWithoutRunning(engine: Engine) async throws {
        let database = try await engine.emptyDatabase()
        try await migrator.stamp(database, plugin: "auth", "0001")
        #expect(try await migrator.current(database) == ["auth": "0001"])
        #expect(try await !database.tableExists("users"))
        await #expect(throws: Migrator.Failure.unknownRevision(plugin: "auth", id: "9999")) { try await migrator.stamp(database, plugin: "auth", "9999") }
        await #expect(throws: Migrator.Failure.unknownPlugin("notes")) { try await migrator.stamp(database, plugin: "notes", "0001") }
    }

    @Test(arguments: Engine.available) func aFailingStepLeavesThePreviousRevision(engine: Engine) async throws {
        let broken = Migrator(
            migrator.chains + [
                MigrationChain(
                    plugin: "broken", dependencies: ["tasks"],
                    revisions: [
                        Revision("0001", "ok", up: "CREATE TABLE fine (id INTEGER)", down: "DROP TABLE fine"),
                        Revision("0002", "broken", up: "CREATE TABLE half (id INTEGER); THIS IS NOT SQL", down: ""),
                    ])
            ])
        let database = try await engine.emptyDatabase()
        await #expect(throws: (any Error).self) { try await broken.upgrade(database) }
        #expect(try await broken.current(database) == ["auth": "0003", "jobs": "0001", "tasks": "0005", "broken": "0001"])
        #expect(try await !database.tableExists("half"))  // the failed step's first statement was rolled back too
    }

    /// Two instances starting at once both upgrade: each revision is applied once (the other
    /// instance waits for the lock, then finds it done), and neither fails.
    @Test(arguments: Engine.available) func concurrentUpgradesApplyEachRevisionOnce(engine: Engine) async throws {
        let first = try await engine.emptyDatabase()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vial-race-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        // SQLite: two connections to one file, as two processes have.
        let location = engine == .sqlite ? DatabaseLocation.file(folder.path + "/app.db") : first.location
        let databases = [try AppDatabase(location), try AppDatabase(location)]
        let migrator = self.migrator
        let applied = try await withThrowingTaskGroup(of: [MigrationStep].self) { group in
            for database in databases { group.addTask { try await migrator.upgrade(database) } }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(applied.map { "\($0.plugin) \($0.id)" }.sorted() == ["auth 0001", "auth 0002", "auth 0003", "jobs 0001", "tasks 0001", "tasks 0002", "tasks 0003", "tasks 0004", "tasks 0005"])
        #expect(try await migrator.pending(databases[0]).isEmpty)
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
        let before = (try await migrator.current(database), try await migrator.pending(database))
        #expect(before.0 == ["auth": "0002", "jobs": "0001", "tasks": "0003"])
        #expect(before.1.map { "\($0.plugin) \($0.id)" } == ["auth 0003", "tasks 0004", "tasks 0005"])
        // Upgrading moves the record to vial_migrations and runs only the newer revision
        let applied = try await migrator.upgrade(database)
        #expect(applied.map { "\($0.plugin) \($0.id)" } == ["auth 0003", "tasks 0004", "tasks 0005"])
        let legacyTable = try await database.tableExists("schema_version")
        let recorded = try await database.read("SELECT plugin || ' ' || revision AS r FROM vial_migrations ORDER BY plugin").compactMap { $0.string("r") }
        #expect(!legacyTable)
        #expect(recorded == ["auth 0003", "jobs 0001", "tasks 0005"])
        // The users and their tasks are all there, and the app logs carol in
        let users = SQLUserStore(database)
        #expect(try await users.count() == 3)
        #expect(try await users.find(username: "carol")?.email == "carol@example.com")
        #expect(try await SQLTaskStore(database).list(owner: nil, status: nil, page: 1, perPage: 100).total == 4)
    }

    @Test func aDatabaseAtAnOldRevisionGetsOnlyWhatItLacks() async throws {
        let (database, folder) = try legacyCopy("0002")
        defer { try? FileManager.default.removeItem(at: folder) }
        let pending = try await migrator.pending(database)
        #expect(pending.map { "\($0.plugin) \($0.id)" } == ["auth 0002", "auth 0003", "jobs 0001", "tasks 0003", "tasks 0004", "tasks 0005"])
        let applied = try await migrator.upgrade(database)
        #expect(applied.map { "\($0.plugin) \($0.id)" } == ["auth 0002", "auth 0003", "jobs 0001", "tasks 0003", "tasks 0004", "tasks 0005"])
        #expect(try await SQLTaskStore(database).list(owner: nil, status: nil, page: 1, perPage: 100).total == 4)
        let tables = try await database.read(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").compactMap { $0.string("name") }
        #expect(tables == ["jobs", "outbox", "task_attachments", "tasks", "token_blocklist", "users", "vial_migrations"])
    }

    @Test func fileDatabasesAreCreatedInWALMode() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vial-\(UUID().uuidString)/instance")
        let database = try AppDatabase(.file(folder.path + "/test.db"))
        let mode = try await database.read("PRAGMA journal_mode").first?.string("journal_mode")
        #expect(mode == "wal")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/test.db"))
        try? FileManager.default.removeItem(at: folder.deletingLastPathComponent())
    }

    @Test func databaseURLsParseAsSQLAlchemyDoes() throws {
        #expect(try DatabaseLocation(url: "sqlite:///instance/tasks_dev.db") == .file("instance/tasks_dev.db"))
        #expect(try DatabaseLocation(url: "sqlite:////tmp/x.db") == .file("/tmp/x.db"))
        #expect(try DatabaseLocation(url: "sqlite:///:memory:") == .memory)
        #expect(throws: (any Error).self) { try DatabaseLocation(url: "mysql://localhost/db") }
    }

    @Test func postgresURLsParseAsSQLAlchemyDoes() throws {
        let location = try DatabaseLocation(url: "postgresql://app:s%40cret@db.internal:6543/tasks?sslmode=require")
        guard case .postgres(let endpoint) = location else { Issue.record("not postgres: \(location)"); return }
        #expect(endpoint.host == "db.internal")
        #expect(endpoint.port == 6543)
        #expect(endpoint.username == "app")
        #expect(endpoint.password == "s@cret")
        #expect(endpoint.database == "tasks")
        #expect(endpoint.requireTLS)
        #expect(!location.description.contains("cret"))  // start-up lines never show the password
        #expect(try DatabaseLocation(url: "postgres://app@localhost/tasks") == .postgres(PostgresEndpoint(host: "localhost", port: 5432, username: "app", password: nil, database: "tasks")))
        #expect(try DatabaseLocation(url: "postgresql+psycopg2://app@localhost/tasks") == .postgres(PostgresEndpoint(host: "localhost", port: 5432, username: "app", password: nil, database: "tasks")))
        for bad in ["postgresql://localhost/tasks", "postgresql://app@localhost/", "postgresql://app@localhost/t?sslmode=sometimes"] {
            #expect(throws: ConfigError.self) { try DatabaseLocation(url: bad) }
        }
    }

    /// `?` becomes `$n` outside quotes and comments; scripts split at `;` outside them.
    @Test func statementsAreTranslatedForPostgres() {
        #expect(numberedPlaceholders("SELECT * FROM t WHERE a = ? AND b = '?' AND c = ? -- ?\n AND d = ?") == "SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2 -- ?\n AND d = $3")
        #expect(splitStatements("CREATE TABLE a (x TEXT DEFAULT ';'); -- a; comment\nCREATE INDEX i ON a(x);\n") == ["CREATE TABLE a (x TEXT DEFAULT ';')", "-- a; comment\nCREATE INDEX i ON a(x)"])
        // Text outside ASCII passes through whole, wherever it is.
        #expect(numberedPlaceholders("SELECT 'café?', \"naïve\" FROM t WHERE a = ? -- ü?\n AND b = '日本' AND c = ?") == "SELECT 'café?', \"naïve\" FROM t WHERE a = $1 -- ü?\n AND b = '日本' AND c = $2")
        #expect(splitStatements("INSERT INTO t VALUES ('é;ü'); SELECT '🙂'") == ["INSERT INTO t VALUES ('é;ü')", "SELECT '🙂'"])
    }
}

/// The stores' contract, on each engine.
@Suite struct StoreTests {
    @Test(arguments: Engine.available) func uniqueUsernameAndEmailAreConflicts(engine: Engine) async throws {
        let users = SQLUserStore(try await engine.migratedDatabase())
        _ = try await users.create(User(username: "a", email: "a@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        await #expect(throws: StoreError.conflict(field: "username")) {
            _ = try await users.create(User(username: "a", email: "b@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        }
        await #expect(throws: StoreError.conflict(field: "email")) {
            _ = try await users.create(User(username: "b", email: "a@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        }
    }

    @Test(arguments: Engine.available) func usernamesDifferingOnlyInCaseAreConflicts(engine: Engine) async throws {
        let users = SQLUserStore(try await engine.migratedDatabase())
        _ = try await users.create(User(username: "Carol", email: "c@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        await #expect(throws: StoreError.conflict(field: "username")) {
            _ = try await users.create(User(username: "carol", email: "d@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        }
    }

    @Test(arguments: Engine.available) func tasksRoundTripFilterPageAndDelete(engine: Engine) async throws {
        let database = try await engine.migratedDatabase()
        let owner = try await SQLUserStore(database).create(User(username: "o", email: "o@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        let tasks = SQLTaskStore(database)
        for index in 1...5 {
            _ = try await tasks.create(
                TaskItem(title: "task \(index)", description: index == 1 ? nil : "d\(index)", status: index.isMultiple(of: 2) ? .completed : .pending,
                    dueDate: index == 3 ? CalendarDate("2027-01-01") : nil, ownerId: owner.id!, createdAt: "2026-01-0\(index)T00:00:00Z", updatedAt: "2026-01-0\(index)T00:00:00Z"))
        }
        let page = try await tasks.list(owner: owner.id, status: .pending, page: 1, perPage: 2)
        #expect(page.total == 3)
        #expect(page.items.map(\.title) == ["task 5", "task 3"])  // newest first
        #expect(page.items[1].dueDate == CalendarDate("2027-01-01"))
        let second = try await tasks.list(owner: nil, status: nil, page: 3, perPage: 2)
        #expect(second.items.map(\.title) == ["task 1"])
        #expect(second.items[0].description == nil)
        var task = second.items[0]
        task.status = .completed
        task.description = "now described"
        #expect(try await tasks.update(task) == task)
        #expect(try await tasks.find(id: task.id!) == task)
        #expect(try await tasks.delete(id: task.id!))
        #expect(try await !tasks.delete(id: task.id!))
        await #expect(throws: StoreError.notFound) { _ = try await tasks.update(task) }
        #expect(try await tasks.find(id: task.id!) == nil)
    }

    /// Instances starting together on one database all seed the development users: the one
    /// that comes second finds them there and goes on (it used to fail start-up on the conflict).
    @Test(arguments: Engine.available) func seedingTwiceKeepsTheFirstUsers(engine: Engine) async throws {
        let users = SQLUserStore(try await engine.migratedDatabase())
        let hasher = PasswordHasher(method: .pbkdf2(.sha256, iterations: 1_000))
        #expect(try await DevelopmentSeed.users(into: users, hasher: hasher).count == 2)
        #expect(try await DevelopmentSeed.users(into: users, hasher: hasher).isEmpty)
        #expect(try await users.count() == 2)
    }

    @Test(arguments: Engine.available) func sqlIsParameterised(engine: Engine) async throws {
        let users = SQLUserStore(try await engine.migratedDatabase())
        _ = try await users.create(User(username: "bob", email: "b@x.io", passwordHash: "h", role: .user, createdAt: "t"))
        #expect(try await users.find(username: "' OR '1'='1") == nil)
        #expect(try await users.find(username: "bob")?.email == "b@x.io")
    }

    @Test(arguments: Engine.available) func anotherProcessesRevocationIsSeenAfterTheRefreshInterval(engine: Engine) async throws {
        // Given two stores (two processes) on one database, and a clock we move
        let database = try await engine.migratedDatabase()
        let clock = ManualClock(1_000)
        let first = SQLRevocationStore(database, clock: clock)
        let second = SQLRevocationStore(database, clock: clock)
        #expect(try await !second.isRevoked("jti-1"))  // loads the (empty) mirror
        // When the first revokes a token
        try await first.revoke("jti-1", expiresAt: 5_000)
        // Then the first knows at once, the second once its mirror is a second old
        #expect(try await first.isRevoked("jti-1"))
        #expect(try await !second.isRevoked("jti-1"))
        clock.advance(1)
        #expect(try await second.isRevoked("jti-1"))
    }

    /// A WebSocket ticket's one use: of many claims at once, from two stores (two instances)
    /// on one database, exactly one wins.
    @Test(arguments: Engine.available) func aClaimSucceedsExactlyOnce(engine: Engine) async throws {
        let database = try await engine.migratedDatabase()
        let stores = [SQLRevocationStore(database, clock: FixedClock(1_000)), SQLRevocationStore(database, clock: FixedClock(1_000))]
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<20 { group.addTask { try await stores[index % 2].claim("ticket-1", expiresAt: 2_000) } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        #expect(try await stores[1].isRevoked("ticket-1"))
        #expect(try await stores[0].claim("ticket-2", expiresAt: 2_000))
    }

    @Test(arguments: Engine.available) func revocationsPersistAndExpiredOnesAreSwept(engine: Engine) async throws {
        let database = try await engine.migratedDatabase()
        let store = SQLRevocationStore(database, clock: FixedClock(1_000))
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
        var mirror = SQLRevocationStore.Mirror()
        mirror.revoked["logged-out"] = 2_000  // revoke() on this instance
        mirror.refresh(with: ["other": 3_000], now: 1_000)  // a snapshot read just before it committed
        #expect(mirror.revoked["logged-out"] == 2_000)
        #expect(mirror.revoked["other"] == 3_000)
        mirror.refresh(with: [:], now: 2_500)  // expiry still drops entries
        #expect(mirror.revoked["logged-out"] == nil)
        #expect(mirror.revoked["other"] == 3_000)
    }
}
