/// A value bound to, or read from, a SQL statement on either engine: the four storage classes
/// SQLite has and that PostgreSQL columns of the bundled schemas map to (integers of any width,
/// double precision, text, and NULL; booleans read as 0 or 1).
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    /// `nil` becomes `.null`.
    public init(_ value: (any SQLValueConvertible)?) {
        self = value?.sqlValue ?? .null
    }
}

/// Types that bind as a `SQLValue`.
public protocol SQLValueConvertible: Sendable {
    var sqlValue: SQLValue { get }
}

extension String: SQLValueConvertible { public var sqlValue: SQLValue { .text(self) } }
extension Int64: SQLValueConvertible { public var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLValueConvertible { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Double: SQLValueConvertible { public var sqlValue: SQLValue { .real(self) } }
extension SQLValue: SQLValueConvertible { public var sqlValue: SQLValue { self } }
extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// The column names of a result, with their positions: made once per result and shared by
/// its rows, so reading a row by name is a short scan or one hash lookup.
public final class SQLColumns: Sendable {
    public let names: [String]
    @usableFromInline let positions: [String: Int]
    /// Each name's length in UTF-8 bytes, to skip most names in a scan without comparing them.
    @usableFromInline let lengths: [Int]
    /// Results up to this many columns are searched by a scan.
    @usableFromInline static let scanned = 16

    /// The first column named `name`. A result of a few columns is scanned: comparing small
    /// strings is a word compare, cheaper than hashing one (a task's row is read by name nine
    /// times, twenty rows a page). Only names of the same length are compared: two equal small
    /// strings compare as one word, but two different ones take the runtime's slow path.
    @inlinable public func position(of name: String) -> Int? {
        guard names.count <= Self.scanned else { return positions[name] }
        let length = name.utf8.count
        for index in names.indices where lengths[index] == length && names[index] == name { return index }
        return nil
    }

    public init(_ names: [String]) {
        self.names = names
        lengths = names.map(\.utf8.count)
        // Only a wide result gets the hash table; a narrow one (every bundled query) is scanned
        // and would build it for nothing, on every read.
        var positions: [String: Int] = [:]
        if names.count > Self.scanned {
            for (index, name) in names.enumerated() where positions[name] == nil { positions[name] = index }
        }
        self.positions = positions
    }
}

/// One result row, by column name.
public struct SQLRow: Sendable, Equatable {
    public let columnSet: SQLColumns
    public let values: [SQLValue]

    /// The column names, in order.
    public var columns: [String] { columnSet.names }

    public init(columns: SQLColumns, values: [SQLValue]) {
        self.columnSet = columns
        self.values = values
    }

    public init(columns: [String], values: [SQLValue]) {
        self.init(columns: SQLColumns(columns), values: values)
    }

    public static func == (lhs: SQLRow, rhs: SQLRow) -> Bool {
        lhs.columns == rhs.columns && lhs.values == rhs.values
    }

    // The accessors are inlinable so that a store's `row.required("id", SQLRow.int64)`, in
    // another module, compiles to a direct read instead of a closure made per call.

    /// The value of `column` (`.null` when there is no such column).
    @inlinable public subscript(column: String) -> SQLValue {
        columnSet.position(of: column).map { values[$0] } ?? .null
    }

    /// The column as an integer (a real is truncated); nil for NULL.
    @inlinable public func int64(_ column: String) -> Int64? {
        switch self[column] {
        case .integer(let value): return value
        case .real(let value): return Int64(value)
        case .text(let value): return Int64(value)
        case .null: return nil
        }
    }

    @inlinable public func int(_ column: String) -> Int? { int64(column).map { Int($0) } }

    @inlinable public func double(_ column: String) -> Double? {
        switch self[column] {
        case .integer(let value): return Double(value)
        case .real(let value): return value
        case .text(let value): return Double(value)
        case .null: return nil
        }
    }

    @inlinable public func string(_ column: String) -> String? {
        switch self[column] {
        case .text(let value): return value
        case .integer(let value): return String(value)
        case .real(let value): return String(value)
        case .null: return nil
        }
    }

    /// The column's value, or `SQLError.missingValue` naming it (a NOT NULL column read as NULL).
    @inlinable public func required<T>(_ column: String, _ read: (SQLRow) -> (String) -> T?) throws -> T {
        guard let value = read(self)(column) else { throw SQLError.missingValue(column: column) }
        return value
    }
}

/// One step of a transaction run with `AppDatabase.transaction(_:)`: the steps are data, so
/// each engine runs them in one transaction its own way.
public enum SQLStep: Sendable {
    /// One statement with `?` placeholders.
    case execute(String, [SQLValue] = [])
    /// Several statements separated by `;`, without placeholders (a migration's script).
    case script(String)
    /// Stops the transaction — rolled back, `transaction` returns false — unless the query's
    /// first column in its first row equals `value` (`nil`: the query returns no row).
    case expect(String, [SQLValue], equals: SQLValue?)
    /// Waits for, then holds until the end of the transaction, the lock named `key`, so
    /// processes doing the same thing take turns (PostgreSQL's advisory locks; on SQLite every
    /// write transaction already excludes the others).
    case lock(Int64)
}

/// The database could not be reached (PostgreSQL down, refusing connections, or not answering
/// within the connect timeout). The application answers it with 503 `database_unavailable`.
public struct DatabaseUnavailable: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "Database unavailable: \(reason)" }
}

/// Database failures the stores tell apart.
public enum SQLError: Error, Equatable, CustomStringConvertible {
    /// A UNIQUE constraint refused the write; `constraint` names it (PostgreSQL) or the column (SQLite).
    case uniqueViolation(constraint: String)
    /// A column read as NULL where a value must be.
    case missingValue(column: String)
    /// The database refused a statement; `message` is the server's (never the bound values).
    case failed(message: String)

    public var description: String {
        switch self {
        case .uniqueViolation(let constraint): return "UNIQUE constraint failed: \(constraint)"
        case .missingValue(let column): return "Column \(column) is NULL"
        case .failed(let message): return message
        }
    }
}
