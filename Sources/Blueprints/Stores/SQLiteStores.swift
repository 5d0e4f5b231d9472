import Vial
import GRDB
import VialApp
import Synchronization
import VialMiddleware

/// `UserStore` on the app's SQLite database.
public struct SQLiteUserStore: UserStore {
    let database: AppDatabase

    public init(_ database: AppDatabase) { self.database = database }

    public func create(_ user: User) async throws -> User {
        do {
            return try await database.writer.write { db in
                var user = user
                try user.insert(db)
                return user
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            let message = error.message ?? ""
            throw StoreError.conflict(field: message.contains("users.email") ? "email" : "username")
        }
    }

    public func find(id: Int64) async throws -> User? {
        try await database.writer.read { db in try User.fetchOne(db, key: id) }
    }

    public func find(username: String) async throws -> User? {
        try await database.writer.read { db in
            try User.fetchOne(db, sql: "SELECT * FROM users WHERE username = ?", arguments: [username])
        }
    }

    public func count() async throws -> Int {
        try await database.writer.read { db in try User.fetchCount(db) }
    }
}

/// `TaskStore` on the app's SQLite database.
public struct SQLiteTaskStore: TaskStore {
    let database: AppDatabase

    public init(_ database: AppDatabase) { self.database = database }

    public func create(_ task: TaskItem) async throws -> TaskItem {
        try await database.writer.write { db in
            var task = task
            try task.insert(db)
            return task
        }
    }

    public func find(id: Int64) async throws -> TaskItem? {
        try await database.writer.read { db in try TaskItem.fetchOne(db, key: id) }
    }

    public func list(owner: Int64?, status: TaskItem.Status?, page: Int, perPage: Int) async throws
        -> (items: [TaskItem], total: Int)
    {
        try await database.writer.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let owner {
                conditions.append("owner_id = ?")
                _ = arguments.append(contentsOf: [owner])
            }
            if let status {
                conditions.append("status = ?")
                _ = arguments.append(contentsOf: [status.rawValue])
            }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tasks" + filter, arguments: arguments) ?? 0
            var pageArguments = arguments
            _ = pageArguments.append(contentsOf: [perPage, (page - 1) * perPage])
            let items = try TaskItem.fetchAll(
                db, sql: "SELECT * FROM tasks" + filter + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                arguments: pageArguments)
            return (items, total)
        }
    }

    public func update(_ task: TaskItem) async throws -> TaskItem {
        try await database.writer.write { db in
            try task.update(db)
            return task
        }
    }

    public func delete(id: Int64) async throws -> Bool {
        try await database.writer.write { db in try TaskItem.deleteOne(db, key: id) }
    }
}

/// Revoked token ids in the `token_blocklist` table, mirrored in memory so checking a token
/// costs no database round trip: this process's revocations are seen at once, other
/// processes' within `refreshInterval` seconds (the mirror reloads at most that often).
/// Expired rows are swept on each revocation.
public final class SQLiteRevocationStore: RevocationStore {
    struct Mirror {
        var revoked: [String: Int] = [:]
        var syncedAt: Int?

        /// Takes in a snapshot of the table. A revocation is never undone, so the snapshot is
        /// merged, not swapped in: a snapshot read before this process's own revocation
        /// committed must not forget it (logout would stop working until the next refresh).
        mutating func refresh(with snapshot: [String: Int], now: Int) {
            revoked = revoked.merging(snapshot) { max($0, $1) }.filter { $0.value >= now }
            syncedAt = now
        }
    }

    let database: AppDatabase
    let clock: any WallClock
    let refreshInterval: Int
    private let mirror = Mutex(Mirror())

    public init(_ database: AppDatabase, refreshInterval: Int = 1, clock: any WallClock = SystemClock()) {
        self.database = database
        self.refreshInterval = refreshInterval
        self.clock = clock
    }

    public func revoke(_ jti: String, expiresAt: Int) async throws {
        let now = clock.wholeSeconds
        try await database.writer.write { db in
            try db.execute(sql: "DELETE FROM token_blocklist WHERE expires_at < ?", arguments: [now])
            try db.execute(
                sql: "INSERT OR REPLACE INTO token_blocklist (jti, expires_at) VALUES (?, ?)", arguments: [jti, expiresAt])
        }
        mirror.withLock { mirror in
            mirror.revoked = mirror.revoked.filter { $0.value >= now }
            if expiresAt >= now { mirror.revoked[jti] = expiresAt }
        }
    }

    public func isRevoked(_ jti: String) async throws -> Bool {
        let now = clock.wholeSeconds
        let (known, stale) = mirror.withLock { mirror in
            (mirror.revoked[jti] != nil, mirror.syncedAt.map { now - $0 >= refreshInterval } ?? true)
        }
        if known || !stale { return known }
        // The async read (GRDB's own queue): the result must be Sendable, so rows become pairs inside.
        let pairs: [JTIExpiry] = try await database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT jti, expires_at FROM token_blocklist WHERE expires_at >= ?", arguments: [now])
                .map { JTIExpiry(jti: $0["jti"], expiresAt: $0["expires_at"]) }
        }
        let revoked = Dictionary(pairs.map { ($0.jti, $0.expiresAt) }, uniquingKeysWith: { $1 })
        return mirror.withLock { mirror in
            mirror.refresh(with: revoked, now: now)
            return mirror.revoked[jti] != nil
        }
    }
}

private struct JTIExpiry: Sendable {
    var jti: String
    var expiresAt: Int
}
