import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// PostgreSQL through postgres-nio's `PostgresClient`: a pool of connections made on demand
/// (at most `maximumConnections`, `DATABASE_POOL_SIZE`), run by a task this engine owns. Statements are written with
/// SQLite's `?` placeholders and sent with PostgreSQL's `$1, $2, …`.
final class PostgresEngine: SQLEngine {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    /// Errors only: a failed connection also fails the query that wanted it, which is reported
    /// there; postgres-nio's notices (a query queued before the pool's task started, a
    /// connection attempt cancelled at shutdown) are noise.
    private static let logger: Logger = {
        var logger = Logger(label: "vial.postgres")
        logger.logLevel = .error
        return logger
    }()
    var dialect: AppDatabase.Dialect { .postgres }

    /// How long a statement waits for a pooled connection before `DatabaseUnavailable`.
    let acquireTimeout: Duration
    /// Whether the server is known to be down, and whether a probe is running.
    private let availability = Mutex<(down: Bool, probing: Bool)>((false, false))
    /// A single connection's settings, for the probe (outside the pool, whose queue a busy app fills).
    private let probeConfiguration: PostgresConnection.Configuration
    /// Between two probes of a server that is down.
    let probeInterval: Duration
    /// How long a statement waits for a pooled connection before it asks for a probe.
    static let probeAfter = Duration.milliseconds(500)
    /// The statements under way, for `watch`.
    private let statements = PostgresStatements()
    /// Runs `watch` every 100 ms while the engine lives.
    private let watcher = Mutex<Task<Void, Never>?>(nil)

    init(
        _ endpoint: PostgresEndpoint, maximumConnections: Int = 10, acquireTimeout: Duration = .seconds(5),
        probeInterval: Duration = .seconds(1)
    ) throws {
        self.acquireTimeout = acquireTimeout
        self.probeInterval = probeInterval
        var probe = PostgresConnection.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.username, password: endpoint.password,
            database: endpoint.database,
            tls: endpoint.requireTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable)
        probe.options.connectTimeout = .seconds(2)
        probeConfiguration = probe
        var configuration = PostgresClient.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.username, password: endpoint.password,
            database: endpoint.database, tls: endpoint.requireTLS ? .require(.makeClientConfiguration()) : .disable)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration, backgroundLogger: Self.logger)
        self.client = client
        runner = Task { await client.run() }
        let watching = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                guard let self else { return }
                self.watch()
            }
        }
        watcher.withLock { $0 = watching }
    }

    func read(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        try await mapped {
            try await self.withLease { connection in
                try await Self.rows(try await connection.query(Self.query(sql, arguments), logger: Self.logger))
            }
        }
    }

    func write(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        try await read(sql, arguments)
    }

    func transaction(_ steps: [SQLStep]) async throws -> Bool {
        try await mapped {
            try await withLease { connection in
                try await connection.query("BEGIN", logger: Self.logger)
                do {
                    for step in steps {
                        switch step {
                        case .execute(let sql, let arguments):
                            _ = try await Self.rows(try await connection.query(Self.query(sql, arguments), logger: Self.logger))
                        case .script(let script):
                            for statement in splitStatements(script) {
                                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.logger)
                            }
                        case .lock(let key):
                            try await connection.query("SELECT pg_advisory_xact_lock(\(key))", logger: Self.logger)
                        case .expect(let sql, let arguments, let expected):
                            let rows = try await Self.rows(try await connection.query(Self.query(sql, arguments), logger: Self.logger))
                            if rows.first?.values.first != expected {
                                try await connection.query("ROLLBACK", logger: Self.logger)
                                return false
                            }
                        }
                    }
                    try await connection.query("COMMIT", logger: Self.logger)
                    return true
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: Self.logger)
                    throw error
                }
            }
        }
    }

    /// Runs `body` on a pooled connection. Waiting for one ends after `acquireTimeout` with
    /// `DatabaseUnavailable`: when PostgreSQL is down the pool keeps trying to connect, and
    /// would hold requests for up to a minute. A statement that waits (for a connection, or for
    /// its answer) longer than `probeAfter` asks for a probe; once the server is known down a
    /// connection still waiting for an answer is closed, so its statement fails instead of
    /// hanging on a dead TCP connection for as long as the kernel retransmits (a partition).
    /// A slow query on a server that answers the probe is never cut short.
    ///
    /// The statement runs in a child task (which keeps the request's event loop as its
    /// executor) that `watch`, one task for the engine, ends when it must. A watchdog task per
    /// statement, sleeping in 100 ms steps, had cost a tenth of an uncached list's CPU in timers.
    private func withLease<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let statement = PostgresLease()
        let client = self.client, statements = self.statements
        do {
            return try await withThrowingTaskGroup(of: T.self) { group in
                group.addTask {
                    try await statements.running(statement) {
                        try await client.withConnection { connection in
                            statement.leased(connection)
                            return try await body(connection)
                        }
                    }
                }
                return try await group.next()!
            }
        } catch {
            switch statement.verdict {
            case .down: throw DatabaseUnavailable(reason: "PostgreSQL: down")
            case .noConnection: throw DatabaseUnavailable(reason: "PostgreSQL: no connection within \(acquireTimeout)")
            case nil: throw error
            }
        }
    }

    /// What `watch` sees every 100 ms: statements older than `probeAfter` ask for a probe; once
    /// the server is known down, those waiting for a connection are ended and those waiting for
    /// an answer have their connection closed; one without a connection after `acquireTimeout`
    /// is ended.
    private func watch() {
        let now = ContinuousClock.now
        guard let oldest = statements.oldestAge(now: now) else { return }
        if oldest >= Self.probeAfter { startProbing() }
        let down = isKnownDown
        for connection in statements.end(now: now, down: down, timeout: acquireTimeout) {
            // Known down while the statement waits for its answer: fail it by closing its connection.
            Self.logger.error("PostgreSQL is down: closing a connection whose statement is still waiting")
            connection.close().whenComplete { _ in }
        }
    }

    func tableExists(_ name: String) async throws -> Bool {
        try await !read(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?", [.text(name)]
        ).isEmpty
    }

    func shutdown() {
        runner.cancel()
        watcher.withLock { $0?.cancel() }
    }

    private static func query(_ sql: String, _ arguments: [SQLValue]) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: bindings.appendNull()
            case .integer(let integer): bindings.append(integer)
            case .real(let real): bindings.append(real)
            case .text(let text): bindings.append(text)
            }
        }
        return PostgresQuery(unsafeSQL: numberedPlaceholders(sql), binds: bindings)
    }

    private static func rows(_ sequence: PostgresRowSequence) async throws -> [SQLRow] {
        var rows: [SQLRow] = []
        var columns: SQLColumns?
        for try await row in sequence {
            var values: [SQLValue] = []
            values.reserveCapacity(row.count)
            for cell in row { values.append(try value(cell)) }
            if columns == nil { columns = SQLColumns(row.map(\.columnName)) }
            rows.append(SQLRow(columns: columns!, values: values))
        }
        return rows
    }

    private static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    /// Server errors become `SQLError` with the server's message (PSQLError's own description
    /// hides it); a UNIQUE violation names its constraint. Bound values are never included.
    /// Failing to reach the server at all is `DatabaseUnavailable`.
    ///
    /// While the server is known to be down the statement is not tried: `DatabaseUnavailable` at
    /// once, not after waiting `acquireTimeout` for the pool (a request took 10 s through nginx).
    /// The first failure starts a probe, which decides: a server that answers a connection of its
    /// own is up and merely busy (statements go on waiting their bounded time); one that does not
    /// is down until a probe, once a second, reaches it again.
    private func mapped<T>(_ body: () async throws -> T) async throws -> T {
        if availability.withLock({ $0.down }) {
            throw DatabaseUnavailable(reason: "PostgreSQL: down (probed every \(probeInterval))")
        }
        do {
            return try await translated(body)
        } catch let error as DatabaseUnavailable {
            startProbing()
            throw error
        }
    }

    /// Whether the server was known to be down at the last probe (readiness and requests agree).
    var isKnownDown: Bool { availability.withLock { $0.down } }

    private func startProbing() {
        let start = availability.withLock { state -> Bool in
            guard !state.probing else { return false }
            state.probing = true
            return true
        }
        guard start else { return }
        let configuration = probeConfiguration, interval = probeInterval
        Task { [weak self] in
            while true {
                let up = await Self.probe(configuration)
                guard let self else { return }
                let wasDown = self.availability.withLock { state -> Bool in
                    defer {
                        state.down = !up
                        if up { state.probing = false }
                    }
                    return state.down
                }
                if up {
                    if wasDown { Self.logger.error("PostgreSQL is reachable again") }
                    return
                }
                if !wasDown { Self.logger.error("PostgreSQL is down: requests are answered 503 at once until a probe reaches it") }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One connection of its own and `SELECT 1`, within 3 s whatever the network does.
    private static func probe(_ configuration: PostgresConnection.Configuration) async -> Bool {
        await firstOf(
            {
                do {
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                    defer { Task { try? await connection.close() } }
                    try await connection.query("SELECT 1", logger: logger)
                    return true
                } catch let error as PSQLError where error.serverInfo != nil {
                    return true  // it answered (too many clients, say): reachable, not down
                } catch {
                    return false
                }
            }, orAfter: .seconds(3), late: false)
    }

    private func translated<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            if let info = error.serverInfo {
                if info[.sqlState] == "23505" {
                    throw SQLError.uniqueViolation(constraint: info[.constraintName] ?? info[.message] ?? "unique")
                }
                throw SQLError.failed(message: "PostgreSQL: \(info[.message] ?? "error \(info[.sqlState] ?? "?")")")
            }
            throw DatabaseUnavailable(reason: "PostgreSQL: \(error.code)")
        } catch let error where !(error is SQLError) && !(error is CancellationError) && !(error is DatabaseUnavailable) {
            // The pool's own errors (its connection attempts keep failing): nothing reached the server.
            throw DatabaseUnavailable(reason: "PostgreSQL: \(type(of: error))")
        }
    }
}
