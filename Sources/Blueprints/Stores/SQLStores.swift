import Vial
import VialApp
import Synchronization
import VialMiddleware

/// `UserStore` on the app's database (SQLite or PostgreSQL).
public struct SQLUserStore: UserStore {
    let database: AppDatabase

    public init(_ database: AppDatabase) { self.database = database }

    public func create(_ user: User) async throws -> User {
        do {
            let rows = try await database.write(
                "INSERT INTO users (username, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                [.text(user.username), .text(user.email), .text(user.passwordHash), .text(user.role.rawValue), .text(user.createdAt)])
            var user = user
            user.id = rows.first?.int64("id")
            return user
        } catch SQLError.uniqueViolation(let constraint) {
            // SQLite names the column (`users.email`), PostgreSQL the constraint (`users_email_key`).
            throw StoreError.conflict(field: constraint.contains("email") ? "email" : "username")
        }
    }

    public func find(id: Int64) async throws -> User? {
        try await database.read("SELECT * FROM users WHERE id = ?", [.integer(id)]).first.map(User.init(row:))
    }

    public func find(username: String) async throws -> User? {
        try await database.read("SELECT * FROM users WHERE username = ?", [.text(username)]).first.map(User.init(row:))
    }

    public func count() async throws -> Int {
        try await database.read("SELECT COUNT(*) AS n FROM users").first?.int("n") ?? 0
    }
}

/// `TaskStore` on the app's database (SQLite or PostgreSQL).
public struct SQLTaskStore: TaskStore {
    let database: AppDatabase

    public init(_ database: AppDatabase) { self.database = database }

    public func create(_ task: TaskItem) async throws -> TaskItem {
        let rows = try await database.write(
            """
            INSERT INTO tasks (title, description, status, due_date, owner_id, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                .text(task.title), SQLValue(task.description), .text(task.status.rawValue), SQLValue(task.dueDate?.description),
                .integer(task.ownerId), .text(task.createdAt), .text(task.updatedAt),
            ])
        var task = task
        task.id = rows.first?.int64("id")
        return task
    }

    public func find(id: Int64) async throws -> TaskItem? {
        try await database.read("SELECT * FROM tasks WHERE id = ?", [.integer(id)]).first.map(TaskItem.init(row:))
    }

    public func list(owner: Int64?, status: TaskItem.Status?, page: Int, perPage: Int) async throws
        -> (items: [TaskItem], total: Int)
    {
        let query = Self.listQuery(owner: owner, status: status, page: page, perPage: perPage)
        let rows = try await database.read(query.page.sql, query.page.arguments)
        if let first = rows.first {
            return (try rows.map(TaskItem.init(row:)), first.int("total_count") ?? rows.count)
        }
        guard page > 1 else { return ([], 0) }
        let total = try await database.read(query.count.sql, query.count.arguments).first?.int("n") ?? 0
        return ([], total)
    }

    /// The statements `list` runs: the page with its total, and the total alone.
    ///
    /// The page and the total are one statement (one read, one round trip): the total is an
    /// uncorrelated subquery, which both engines run once and answer from the index alone.
    /// Only a page past the end, which has no row to carry the total, asks for the count
    /// alone. The `tasks_owner_page` and `tasks_page` indexes hold the rows in the page's order,
    /// so the page reads its rows and no more, and sorts nothing (`QueryPlanTests`).
    static func listQuery(owner: Int64?, status: TaskItem.Status?, page: Int, perPage: Int)
        -> (page: (sql: String, arguments: [SQLValue]), count: (sql: String, arguments: [SQLValue]))
    {
        var arguments: [SQLValue] = []
        if let owner { arguments.append(.integer(owner)) }
        if let status { arguments.append(.text(status.rawValue)) }
        let statements = ListStatements.all[(owner == nil ? 0 : 1) + (status == nil ? 0 : 2)]
        return (
            (statements.page, arguments + arguments + [.integer(Int64(perPage)), .integer(Int64((page - 1) * perPage))]),
            (statements.count, arguments)
        )
    }

    /// The list's statements for each filter, written once (building them took 4 % of an
    /// uncached list's instructions): index `(owner ? 1 : 0) + (status ? 2 : 0)`.
    struct ListStatements {
        let page: String
        let count: String

        static let all: [ListStatements] = [(false, false), (true, false), (false, true), (true, true)].map { owner, status in
            let conditions = (owner ? ["owner_id = ?"] : []) + (status ? ["status = ?"] : [])
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            return ListStatements(
                page: "SELECT *, (SELECT COUNT(*) FROM tasks\(filter)) AS total_count FROM tasks\(filter) "
                    + "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                count: "SELECT COUNT(*) AS n FROM tasks" + filter)
        }
    }

    /// Writes every field of `task`; throws `StoreError.notFound` when it was deleted meanwhile.
    public func update(_ task: TaskItem) async throws -> TaskItem {
        guard let id = task.id else { throw StoreError.notFound }
        let rows = try await database.write(
            """
            UPDATE tasks SET title = ?, description = ?, status = ?, due_date = ?, owner_id = ?, created_at = ?, updated_at = ?
            WHERE id = ? RETURNING id
            """,
            [
                .text(task.title), SQLValue(task.description), .text(task.status.rawValue), SQLValue(task.dueDate?.description),
                .integer(task.ownerId), .text(task.createdAt), .text(task.updatedAt), .integer(id),
            ])
        guard !rows.isEmpty else { throw StoreError.notFound }
        return task
    }

    public func delete(id: Int64) async throws -> Bool {
        try await !database.write("DELETE FROM tasks WHERE id = ? RETURNING id", [.integer(id)]).isEmpty
    }
}

/// Revoked token ids in the `token_blocklist` table, mirrored in memory so checking a token
/// costs no database round trip: this process's revocations are seen at once, other
/// processes' within `refreshInterval` seconds (the mirror reloads at most that often).
/// Expired rows are swept on each revocation.
public final class SQLRevocationStore: DurableRevocationStore {
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
        try await database.transaction([
            .execute("DELETE FROM token_blocklist WHERE expires_at < ?", [.integer(Int64(now))]),
            .execute(
                "INSERT INTO token_blocklist (jti, expires_at) VALUES (?, ?) ON CONFLICT(jti) DO UPDATE SET expires_at = excluded.expires_at",
                [.text(jti), .integer(Int64(expiresAt))]),
        ])
        mirror.withLock { mirror in
            mirror.revoked = mirror.revoked.filter { $0.value >= now }
            if expiresAt >= now { mirror.revoked[jti] = expiresAt }
        }
    }

    /// One `INSERT … ON CONFLICT DO NOTHING RETURNING`: only the first call gets a row back.
    public func claim(_ jti: String, expiresAt: Int) async throws -> Bool {
        let now = clock.wholeSeconds
        let rows = try await database.write(
            "INSERT INTO token_blocklist (jti, expires_at) VALUES (?, ?) ON CONFLICT(jti) DO NOTHING RETURNING jti",
            [.text(jti), .integer(Int64(expiresAt))])
        mirror.withLock { mirror in
            if expiresAt >= now { mirror.revoked[jti] = expiresAt }
        }
        return !rows.isEmpty
    }

    public func isRevoked(_ jti: String) async throws -> Bool {
        let now = clock.wholeSeconds
        let (known, stale) = mirror.withLock { mirror in
            (mirror.revoked[jti] != nil, mirror.syncedAt.map { now - $0 >= refreshInterval } ?? true)
        }
        if known || !stale { return known }
        let revoked = Dictionary(try await unexpired(now: now).map { ($0.id, $0.expiresAt) }, uniquingKeysWith: { max($0, $1) })
        return mirror.withLock { mirror in
            mirror.refresh(with: revoked, now: now)
            return mirror.revoked[jti] != nil
        }
    }

    /// Both ids (a token's `jti` and `sid`) under one look at the mirror.
    public func isRevoked(anyOf ids: [String]) async throws -> Bool {
        let now = clock.wholeSeconds
        let (known, stale) = mirror.withLock { mirror in
            (ids.contains { mirror.revoked[$0] != nil }, mirror.syncedAt.map { now - $0 >= refreshInterval } ?? true)
        }
        if known || !stale { return known }
        for id in ids where try await isRevoked(id) { return true }
        return false
    }

    public func unexpired() async throws -> [(id: String, expiresAt: Int)] {
        try await unexpired(now: clock.wholeSeconds)
    }

    private func unexpired(now: Int) async throws -> [(id: String, expiresAt: Int)] {
        let rows = try await database.read(
            "SELECT jti, expires_at FROM token_blocklist WHERE expires_at >= ?", [.integer(Int64(now))])
        return rows.compactMap { row in row.string("jti").flatMap { jti in row.int("expires_at").map { (jti, $0) } } }
    }
}
