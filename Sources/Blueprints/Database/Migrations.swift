import GRDB

/// One versioned schema change with both directions (Alembic's revision).
public struct Revision: Sendable {
    /// The id recorded in the version table, e.g. `0001`.
    public let id: String
    public let message: String
    public let upgrade: @Sendable (Database) throws -> Void
    public let downgrade: @Sendable (Database) throws -> Void
}

/// Applies revisions forwards and backwards and records the current one in
/// `schema_version` (one row, like Alembic's `alembic_version`). Each step runs in its own
/// transaction together with the version update, so a failure leaves the previous revision —
/// call it inside `writeWithoutTransaction` (inside `write`, the outer transaction would
/// roll every step back).
public struct Migrator: Sendable {
    public let revisions: [Revision]

    public init(revisions: [Revision] = Migrator.bundled) {
        self.revisions = revisions
    }

    /// The errors migration commands report.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case unknownRevision(String)

        public var description: String {
            switch self {
            case .unknownRevision(let id): return "Unknown revision '\(id)'"
            }
        }
    }

    /// The id of the newest revision.
    public var head: String { revisions.last?.id ?? "base" }

    /// The recorded revision, `nil` for an empty (base) database.
    public func current(_ db: Database) throws -> String? {
        guard try db.tableExists("schema_version") else { return nil }
        return try String.fetchOne(db, sql: "SELECT version FROM schema_version")
    }

    /// Revisions after the current one.
    public func pending(_ db: Database) throws -> [Revision] {
        let index = try position(of: current(db))
        return Array(revisions[(index + 1)...])
    }

    /// Upgrades to `target` (default: head); returns the revisions applied.
    @discardableResult
    public func upgrade(_ db: Database, to target: String? = nil) throws -> [Revision] {
        let from = try position(of: current(db))
        let to = try position(of: target ?? head)
        guard to > from else { return [] }
        let steps = Array(revisions[(from + 1)...to])
        for revision in steps {
            try db.inSavepoint {
                try revision.upgrade(db)
                try record(db, revision.id)
                return .commit
            }
        }
        return steps
    }

    /// Downgrades to `target` (`base` for an empty schema; default: one step back); returns the revisions undone.
    @discardableResult
    public func downgrade(_ db: Database, to target: String? = nil) throws -> [Revision] {
        let from = try position(of: current(db))
        let to = try target.map(position(of:)) ?? max(from - 1, -1)
        guard to < from else { return [] }
        let steps = Array(revisions[(to + 1)...from].reversed())
        for (offset, revision) in steps.enumerated() {
            try db.inSavepoint {
                try revision.downgrade(db)
                let remaining = from - offset - 1
                try record(db, remaining >= 0 ? revisions[remaining].id : nil)
                return .commit
            }
        }
        return steps
    }

    /// Records `revision` without running anything (`db stamp`).
    public func stamp(_ db: Database, _ revision: String) throws {
        let index = try position(of: revision)
        try record(db, index >= 0 ? revisions[index].id : nil)
    }

    /// -1 for base (nil or "base"), else the index of `id`.
    private func position(of id: String?) throws -> Int {
        guard let id, id != "base" else { return -1 }
        if id == "head" { return revisions.count - 1 }
        guard let index = revisions.firstIndex(where: { $0.id == id }) else { throw Failure.unknownRevision(id) }
        return index
    }

    private func record(_ db: Database, _ id: String?) throws {
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS schema_version (version TEXT NOT NULL)")
        try db.execute(sql: "DELETE FROM schema_version")
        if let id { try db.execute(sql: "INSERT INTO schema_version (version) VALUES (?)", arguments: [id]) }
    }
}

extension Migrator {
    /// The bundled app's revisions: 0001 users and tasks, 0002 `tasks.due_date`
    /// (the guide's Flask-Migrate example), 0003 the token blocklist, 0004 jobs and the outbox.
    public static let bundled: [Revision] = [
        Revision(
            id: "0001", message: "create users and tasks",
            upgrade: { db in
                try db.execute(sql: """
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        username TEXT NOT NULL UNIQUE,
                        email TEXT NOT NULL UNIQUE,
                        password_hash TEXT NOT NULL,
                        role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
                        created_at TEXT NOT NULL
                    );
                    CREATE TABLE tasks (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        title TEXT NOT NULL,
                        description TEXT,
                        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed')),
                        owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    CREATE INDEX tasks_owner ON tasks(owner_id, id);
                    """)
            },
            downgrade: { db in
                try db.execute(sql: "DROP TABLE tasks; DROP TABLE users;")
            }),
        Revision(
            id: "0002", message: "add tasks.due_date",
            upgrade: { db in try db.execute(sql: "ALTER TABLE tasks ADD COLUMN due_date TEXT") },
            downgrade: { db in try db.execute(sql: "ALTER TABLE tasks DROP COLUMN due_date") }),
        Revision(
            id: "0003", message: "create the token blocklist",
            upgrade: { db in
                try db.execute(sql: """
                    CREATE TABLE token_blocklist (
                        jti TEXT PRIMARY KEY,
                        expires_at INTEGER NOT NULL
                    );
                    CREATE INDEX token_blocklist_expiry ON token_blocklist(expires_at);
                    """)
            },
            downgrade: { db in try db.execute(sql: "DROP TABLE token_blocklist") }),
        Revision(
            id: "0004", message: "create the job queue and the outbox",
            upgrade: { db in
                try db.execute(sql: """
                    CREATE TABLE jobs (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        owner TEXT,
                        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'retrying', 'succeeded', 'failed')),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        max_attempts INTEGER NOT NULL,
                        run_at REAL NOT NULL,
                        locked_until REAL,
                        result TEXT,
                        error TEXT,
                        created_at TEXT NOT NULL,
                        finished_at TEXT,
                        expires_at REAL
                    );
                    CREATE INDEX jobs_ready ON jobs(state, run_at);
                    CREATE INDEX jobs_expiry ON jobs(expires_at) WHERE expires_at IS NOT NULL;
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        recipient TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        body TEXT NOT NULL,
                        created_at TEXT NOT NULL
                    );
                    """)
            },
            downgrade: { db in try db.execute(sql: "DROP TABLE outbox; DROP TABLE jobs;") }),
    ]
}
