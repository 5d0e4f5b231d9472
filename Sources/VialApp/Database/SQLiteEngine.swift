import Foundation
import GRDB
import GRDBSQLite

/// SQLite copies a bound text before `sqlite3_bind_text` returns (`SQLITE_TRANSIENT`, a macro
/// Swift does not import).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// SQLite through GRDB: a `DatabasePool` in WAL mode on a file (readers beside one writer), or
/// one in-memory connection. Writes go through `SQLiteGroupCommit`: concurrent writers share
/// a commit (and its fsync).
///
/// A file database's reads run on the thread that asks (`inlineReads`, the default): a WAL
/// reader never waits for the writer, and the hop to a GRDB queue and back cost more than a
/// page read itself (decision 008). Writes and the in-memory connection keep GRDB's queue.
final class SQLiteEngine: SQLEngine {
    let writer: any DatabaseWriter
    private let commits: SQLiteGroupCommit
    /// The pool whose reads run inline; nil when reads go through GRDB's queues.
    private let inlineReader: DatabasePool?
    var dialect: AppDatabase.Dialect { .sqlite }

    init(_ location: DatabaseLocation, inlineReads: Bool = true) throws {
        var configuration = GRDB.Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        switch location {
        case .file:
            let path = location.absolutePath!
            let folder = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            writer = try DatabasePool(path: path, configuration: configuration)  // WAL mode
        default:
            writer = try DatabaseQueue(configuration: configuration)
        }
        commits = SQLiteGroupCommit(writer)
        inlineReader = inlineReads ? writer as? DatabasePool : nil
    }

    func read(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        try await mapped { try await withReader { db in try Self.readRows(db, sql, arguments) } }
    }

    /// Runs `body`, which runs one statement, on a reader: on this thread with `inlineReader`
    /// (GRDB's synchronous read enters its reader queue with `sync`, and waits only when every
    /// reader is busy), else through GRDB's queues. Inline it is GRDB's "unsafe" read, without
    /// the `BEGIN`/`COMMIT` GRDB puts around a read (3 % of a list): one statement is its own
    /// transaction in SQLite (its subqueries see one snapshot), and a pool's reader connections
    /// are opened read-only.
    func withReader<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let inlineReader { return try Self.readHere(inlineReader, body) }
        return try await writer.read(body)
    }

    /// GRDB's synchronous read (in an async context Swift picks the asynchronous overload).
    private static func readHere<T>(_ pool: DatabasePool, _ body: (Database) throws -> T) throws -> T {
        try pool.unsafeRead(body)
    }

    func write(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        try await mapped {
            guard case .rows(let rows) = try await self.commits.run(.statement(sql, arguments)) else { return [] }
            return rows
        }
    }

    func transaction(_ steps: [SQLStep]) async throws -> Bool {
        try await mapped {
            guard case .kept(let kept) = try await self.commits.run(.steps(steps)) else { return true }
            return kept
        }
    }

    /// `transaction` without awaiting (an in-memory database being set up in synchronous code).
    func transactionSynchronously(_ steps: [SQLStep]) throws -> Bool {
        try writer.writeWithoutTransaction { db in
            var kept = true
            // IMMEDIATE: the write lock is taken before the first read, so an `.expect` reads
            // what no other process can change before this transaction ends.
            try db.inTransaction(.immediate) {
                kept = try Self.apply(steps, in: db)
                return kept ? .commit : .rollback
            }
            return kept
        }
    }

    /// Runs `steps` inside the caller's transaction (or savepoint, under group commit, whose
    /// transaction is IMMEDIATE too); false when an `.expect` did not hold, and the caller
    /// rolls back.
    static func apply(_ steps: [SQLStep], in db: Database) throws -> Bool {
        for step in steps {
            switch step {
            case .execute(let sql, let arguments): try db.execute(sql: sql, arguments: Self.arguments(arguments))
            case .script(let sql): try db.execute(sql: sql)
            case .lock: break
            case .expect(let sql, let arguments, let expected):
                if try Self.rows(db, sql, arguments).first?.values.first != expected { return false }
            }
        }
        return true
    }

    func tableExists(_ name: String) async throws -> Bool {
        try await writer.read { db in try db.tableExists(name) }
    }

    func shutdown() {}

    static func rows(_ db: Database, _ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        // Cached statements: the stores' statements repeat, and preparing them cost more than
        // running them (Benchmarks/JobBench).
        let statement = try db.cachedStatement(sql: sql)
        let columns = SQLColumns(statement.columnNames)
        // The cursor steps the statement; each row's values are read from it in place.
        let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        var rows: [SQLRow] = []
        while try cursor.next() != nil { rows.append(Self.currentRow(statement.sqliteStatement, columns)) }
        return rows
    }

    /// The statement's current row, read with SQLite's C API (GRDB's `DatabaseValue` decoding
    /// cost 800 instructions a value).
    private static func currentRow(_ handle: OpaquePointer, _ columns: SQLColumns) -> SQLRow {
        let count = Int32(columns.names.count)
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for index in 0..<count { values.append(Self.value(handle, index)) }
        return SQLRow(columns: columns, values: values)
    }

    /// `rows` for a read on a reader connection, bound and stepped with SQLite's C API: GRDB's
    /// `StatementArguments` (an existential a value) and cursor cost 5 % of an uncached list.
    /// Writes keep GRDB's path, which tracks the transaction around them.
    static func readRows(_ db: Database, _ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        let statement = try db.cachedStatement(sql: sql)
        let columns = SQLColumns(statement.columnNames)
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        // Reset again however this ends: a statement left stepping keeps its read transaction.
        defer { sqlite3_reset(handle) }
        guard Int(sqlite3_bind_parameter_count(handle)) == arguments.count else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "wrong number of statement arguments: \(arguments.count) for \(sqlite3_bind_parameter_count(handle))",
                sql: sql)
        }
        for (offset, value) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let integer): code = sqlite3_bind_int64(handle, index, integer)
            case .real(let real): code = sqlite3_bind_double(handle, index, real)
            case .text(let text):
                var text = text
                code = text.withUTF8 { utf8 in
                    sqlite3_bind_text(handle, index, utf8.baseAddress, Int32(utf8.count), transient)
                }
            }
            guard code == SQLITE_OK else { throw Self.error(db, code, sql) }
        }
        var rows: [SQLRow] = []
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw Self.error(db, code, sql) }
            rows.append(Self.currentRow(handle, columns))
        }
        return rows
    }

    /// SQLite's error for `code`, with the connection's message (the values never: they may be secrets).
    private static func error(_ db: Database, _ code: Int32, _ sql: String) -> DatabaseError {
        let extended = db.sqliteConnection.map { sqlite3_extended_errcode($0) } ?? code
        let message = db.sqliteConnection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: sql)
    }

    private static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .null: return nil
            case .integer(let integer): return integer
            case .real(let real): return real
            case .text(let text): return text
            }
        })
    }

    /// Column `index` of the statement's current row. A blob reads as its bytes taken as UTF-8
    /// text (the bundled schemas have no blob column).
    private static func value(_ statement: OpaquePointer, _ index: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        default:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        }
    }

    /// A UNIQUE failure becomes `SQLError.uniqueViolation` naming the column (`users.email`).
    private func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            let message = error.message ?? ""
            let prefix = "UNIQUE constraint failed: "
            throw SQLError.uniqueViolation(constraint: message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message)
        }
    }
}
