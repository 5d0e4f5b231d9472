import Foundation
import GRDB
import Vial

/// The app's database, on SQLite (the embedded default) or PostgreSQL, behind one small SQL
/// API so stores and migrations are written once for both: `read` and `write` run one
/// statement with `?` placeholders and return rows (`RETURNING` works on both engines),
/// `transaction` runs steps atomically. SQL is always parameterised. PostgreSQL goes through
/// postgres-nio's pool; SQLite writes through GRDB's writer queue, and a SQLite file's reads
/// run on the asking thread (short, and never waiting for the writer in WAL mode).
///
/// ```swift
/// let rows = try await database.read("SELECT id, title FROM tasks WHERE owner_id = ?", [owner])
/// let id = try await database.write("INSERT INTO notes (body) VALUES (?) RETURNING id", [body]).first?.int64("id")
/// ```
public final class AppDatabase: Sendable {
    /// Which SQL the database speaks, for the few statements that differ.
    public enum Dialect: Sendable, Equatable {
        case sqlite, postgres
    }

    public let location: DatabaseLocation
    let engine: any SQLEngine

    /// Opens the database at `location`: a SQLite file (folder and file made on demand), an
    /// in-memory SQLite database, or a pool of at most `poolSize` connections to PostgreSQL
    /// (made when first needed). `sqliteInlineReads` (`SQLITE_INLINE_READS`): a SQLite file's
    /// reads run on the asking thread — a request's event loop — instead of hopping to a GRDB
    /// queue and back (see docs/database.md).
    public init(_ location: DatabaseLocation, poolSize: Int = 10, sqliteInlineReads: Bool = true) throws {
        self.location = location
        switch location {
        case .memory, .file: engine = try SQLiteEngine(location, inlineReads: sqliteInlineReads)
        case .postgres(let endpoint): engine = try PostgresEngine(endpoint, maximumConnections: poolSize)
        }
    }

    /// A database on an engine made by the caller (tests set the PostgreSQL engine's timeouts).
    init(location: DatabaseLocation, engine: any SQLEngine) {
        self.location = location
        self.engine = engine
    }

    deinit { engine.shutdown() }

    /// A fresh in-memory SQLite database, for tests.
    public static func inMemory() throws -> AppDatabase { try AppDatabase(.memory) }

    public var dialect: Dialect { engine.dialect }

    /// The GRDB writer when the database is SQLite (nil on PostgreSQL), for code that uses
    /// GRDB's records directly and so works on SQLite only.
    public var sqliteWriter: (any DatabaseWriter)? { (engine as? SQLiteEngine)?.writer }

    /// Runs one query that changes nothing and returns its rows.
    public func read(_ sql: String, _ arguments: [SQLValue] = []) async throws -> [SQLRow] {
        try Self.checkStorable(arguments)
        return try await engine.read(sql, arguments)
    }

    /// Runs one statement that may change data and returns its rows (those of `RETURNING`, if any).
    @discardableResult
    public func write(_ sql: String, _ arguments: [SQLValue] = []) async throws -> [SQLRow] {
        try Self.checkStorable(arguments)
        return try await engine.write(sql, arguments)
    }

    /// Runs `steps` in one transaction; false when an `.expect` step stopped it (nothing kept).
    @discardableResult
    public func transaction(_ steps: [SQLStep]) async throws -> Bool {
        try Self.checkStorable(steps)
        return try await engine.transaction(steps)
    }

    /// `transaction` for synchronous code, on SQLite only (GRDB runs it on its own queue and
    /// this thread waits); PostgreSQL throws `SQLError.failed`.
    @discardableResult
    public func transactionSynchronously(_ steps: [SQLStep]) throws -> Bool {
        guard let sqlite = engine as? SQLiteEngine else {
            throw SQLError.failed(message: "synchronous transactions are for SQLite only")
        }
        try Self.checkStorable(steps)
        return try sqlite.transactionSynchronously(steps)
    }

    /// Whether a table of that name exists.
    public func tableExists(_ name: String) async throws -> Bool {
        try await engine.tableExists(name)
    }

    /// Succeeds when the database answers a trivial query (for `/health`).
    public func ping() async throws {
        _ = try await read("SELECT 1")
    }
}

/// Text holding U+0000 was bound: SQLite's C API would store it cut at the NUL (what was
/// acknowledged would not be what was kept, and `admin\u{0}x` would find `admin`) and
/// PostgreSQL's text type refuses it. Refused before either engine sees it; the application
/// answers 400 `invalid_text`. (Request validation refuses such text earlier, with details.)
public struct UnstorableText: Error, Sendable, CustomStringConvertible {
    public var description: String { "Text may not contain the NUL character (U+0000)" }
}

extension AppDatabase {
    static func checkStorable(_ arguments: [SQLValue]) throws {
        for case .text(let text) in arguments where text.utf8.contains(0) { throw UnstorableText() }
    }

    static func checkStorable(_ steps: [SQLStep]) throws {
        for step in steps {
            switch step {
            case .execute(_, let arguments), .expect(_, let arguments, _): try checkStorable(arguments)
            case .script, .lock: break
            }
        }
    }
}

/// What each engine implements.
protocol SQLEngine: Sendable {
    var dialect: AppDatabase.Dialect { get }
    func read(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow]
    func write(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow]
    func transaction(_ steps: [SQLStep]) async throws -> Bool
    func tableExists(_ name: String) async throws -> Bool
    /// Called when the database goes away (deinit): stop background work (PostgreSQL's pool) without waiting.
    func shutdown()
}
