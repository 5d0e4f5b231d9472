/// SQL for a migration: one script for both engines, a script written once with the few
/// column types that differ taken from the dialect, or one script each. Statements are
/// separated by `;`.
///
/// ```swift
/// up: SQLScript { sql in """
///     CREATE TABLE notes (id \(sql.autoIncrementID), owner_id \(sql.bigint) NOT NULL, score \(sql.double))
///     """ }
/// ```
public struct SQLScript: Sendable, ExpressibleByStringLiteral {
    private let make: @Sendable (AppDatabase.Dialect) -> String

    /// One script for both engines.
    public init(_ sql: String) { make = { _ in sql } }
    public init(stringLiteral sql: String) { self.init(sql) }
    /// A script written once, with the dialect's column types interpolated.
    public init(_ make: @escaping @Sendable (AppDatabase.Dialect) -> String) { self.make = make }
    /// A script for each engine.
    public init(sqlite: String, postgres: String) { make = { $0 == .sqlite ? sqlite : postgres } }

    /// The script for `dialect`.
    public func sql(for dialect: AppDatabase.Dialect) -> String { make(dialect) }
}

extension AppDatabase.Dialect {
    /// An integer primary key the database assigns: `INTEGER PRIMARY KEY AUTOINCREMENT` (SQLite's
    /// rowid) or `BIGSERIAL PRIMARY KEY`.
    public var autoIncrementID: String { self == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY" }
    /// A 64-bit integer column (for ids that reference an `autoIncrementID`, Unix times):
    /// `INTEGER` (SQLite's are 64-bit) or `BIGINT`.
    public var bigint: String { self == .sqlite ? "INTEGER" : "BIGINT" }
    /// A double-precision column: `REAL` or `DOUBLE PRECISION` (PostgreSQL's `REAL` is 32-bit).
    public var double: String { self == .sqlite ? "REAL" : "DOUBLE PRECISION" }
}

/// One versioned schema change with both directions (Alembic's revision). A plugin lists its
/// own, oldest first; ids need only be unique within the plugin.
public struct Revision: Sendable {
    /// The id recorded for the plugin, e.g. `0001`.
    public let id: String
    public let message: String
    public let upgrade: SQLScript
    public let downgrade: SQLScript

    /// A revision that runs `up` and `down` as SQL scripts (per engine when they differ).
    public init(_ id: String, _ message: String, up: SQLScript, down: SQLScript) {
        self.id = id
        self.message = message
        self.upgrade = up
        self.downgrade = down
    }

    /// A revision whose scripts are the same on both engines.
    public init(_ id: String, _ message: String, up: String, down: String) {
        self.init(id, message, up: SQLScript(up), down: SQLScript(down))
    }
}

/// One plugin's migrations: its ordered revisions and the plugins whose tables it builds on.
public struct MigrationChain: Sendable {
    public let plugin: String
    public let dependencies: [String]
    public let revisions: [Revision]
    /// For databases made before per-plugin migrations: the revision this plugin was at for
    /// each value of the old single-row `schema_version` table.
    public let legacyVersions: [String: String]

    public init(plugin: String, dependencies: [String] = [], revisions: [Revision], legacyVersions: [String: String] = [:]) {
        self.plugin = plugin
        self.dependencies = dependencies
        self.revisions = revisions
        self.legacyVersions = legacyVersions
    }

    /// The id of the newest revision, `base` when there is none.
    public var head: String { revisions.last?.id ?? "base" }
}

/// A revision applied or undone, with its plugin.
public struct MigrationStep: Sendable, Equatable, CustomStringConvertible {
    public let plugin: String
    public let id: String
    public let message: String

    public var description: String { "\(plugin) \(id): \(message)" }
}

/// Applies every installed plugin's revisions forwards and backwards and records each plugin's
/// current revision in `vial_migrations` (one row per plugin; GRDB's `grdb_migrations` and
/// Alembic's `alembic_version` are the models), on SQLite or PostgreSQL. Chains run in
/// dependency order, so a plugin's tables exist before those of plugins that reference them.
///
/// Each step is one transaction with its record, so a failure leaves the previous revision.
/// Steps hold a lock and first check that the plugin is still at the revision the step starts
/// from: two processes upgrading at once (two instances starting) take turns, and each
/// revision is applied once — the second process skips what the first did.
public struct Migrator: Sendable {
    /// In dependency order.
    public let chains: [MigrationChain]

    public init(_ chains: [MigrationChain]) {
        self.chains = chains
    }

    /// The errors migration commands report.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case unknownPlugin(String)
        case unknownRevision(plugin: String, id: String)
        case dependentsPresent(plugin: String, dependents: [String])

        public var description: String {
            switch self {
            case .unknownPlugin(let name): return "No installed plugin is named '\(name)'"
            case .unknownRevision(let plugin, let id): return "Unknown revision '\(id)' for plugin '\(plugin)'"
            case .dependentsPresent(let plugin, let dependents):
                return "Cannot take '\(plugin)' to base while \(dependents.joined(separator: ", ")) still depend(s) on it; downgrade those first"
            }
        }
    }

    static let table = "vial_migrations"
    static let legacyTable = "schema_version"
    /// The advisory lock migrations hold (PostgreSQL): any fixed number, "vial" in ASCII.
    static let lockKey: Int64 = 0x7669_616C

    /// Each plugin's recorded revision (absent: base).
    public func current(_ database: AppDatabase) async throws -> [String: String] {
        if try await database.tableExists(Self.table) {
            let rows = try await database.read("SELECT plugin, revision FROM \(Self.table)")
            return Dictionary(uniqueKeysWithValues: rows.compactMap { row in
                row.string("plugin").flatMap { plugin in row.string("revision").map { (plugin, $0) } }
            })
        }
        guard let legacy = try await legacyVersion(database) else { return [:] }
        return chains.reduce(into: [:]) { state, chain in state[chain.plugin] = chain.legacyVersions[legacy] }
    }

    /// Revisions not yet applied, in the order `upgrade` would apply them.
    public func pending(_ database: AppDatabase) async throws -> [MigrationStep] {
        let state = try await current(database)
        return try chains.flatMap { chain in
            let index = try position(of: state[chain.plugin], in: chain)
            return chain.revisions[(index + 1)...].map { step(chain, $0) }
        }
    }

    /// Upgrades `plugin` (every plugin when nil) to `target` (default: head), its dependencies to
    /// their heads first; returns the steps this call applied.
    @discardableResult
    public func upgrade(_ database: AppDatabase, plugin: String? = nil, to target: String? = nil) async throws -> [MigrationStep] {
        try await adoptLegacy(database)
        let selected = try plugin.map { [try chain(named: $0)] } ?? chains
        let needed = Set(selected.flatMap { dependencyClosure(of: $0) })
        var applied: [MigrationStep] = []
        for chain in chains where needed.contains(chain.plugin) {
            let goal = chain.plugin == plugin ? target : nil
            let from = try position(of: try await current(database)[chain.plugin], in: chain)
            let to = try position(of: goal ?? chain.head, in: chain)
            guard to > from else { continue }
            for index in (from + 1)...to {
                let revision = chain.revisions[index]
                let previous = index > 0 ? chain.revisions[index - 1].id : nil
                if try await run(database, chain.plugin, from: previous, to: revision.id, revision.upgrade) {
                    applied.append(step(chain, revision))
                }
            }
        }
        return applied
    }

    /// Downgrades `plugin` to `target` (`base` for none of its tables; default: one step back);
    /// returns the steps undone. Taking a plugin to base is refused while a plugin that depends
    /// on it is above base.
    @discardableResult
    public func downgrade(_ database: AppDatabase, plugin: String, to target: String? = nil) async throws -> [MigrationStep] {
        try await adoptLegacy(database)
        let chain = try chain(named: plugin)
        let state = try await current(database)
        let from = try position(of: state[plugin], in: chain)
        let to = try target.map { try position(of: $0, in: chain) } ?? max(from - 1, -1)
        guard to < from else { return [] }
        if to == -1 {
            let dependents = chains.filter { $0.dependencies.contains(plugin) && state[$0.plugin] != nil }.map(\.plugin)
            guard dependents.isEmpty else { throw Failure.dependentsPresent(plugin: plugin, dependents: dependents) }
        }
        var undone: [MigrationStep] = []
        for index in stride(from: from, to: to, by: -1) {
            let revision = chain.revisions[index]
            let previous = index > 0 ? chain.revisions[index - 1].id : nil
            if try await run(database, plugin, from: revision.id, to: previous, revision.downgrade) {
                undone.append(step(chain, revision))
            }
        }
        return undone
    }

    /// Takes every plugin to base, dependents first (`init-db`).
    @discardableResult
    public func downgradeAll(_ database: AppDatabase) async throws -> [MigrationStep] {
        var undone: [MigrationStep] = []
        for chain in chains.reversed() { undone += try await downgrade(database, plugin: chain.plugin, to: "base") }
        return undone
    }

    /// Records `revision` for `plugin` without running anything (`db stamp`).
    public func stamp(_ database: AppDatabase, plugin: String, _ revision: String) async throws {
        try await adoptLegacy(database)
        let chain = try chain(named: plugin)
        let index = try position(of: revision, in: chain)
        try await database.transaction([.lock(Self.lockKey), createTable, record(plugin, index >= 0 ? chain.revisions[index].id : nil)])
    }

    /// Whether every plugin is at its head.
    public func isCurrent(_ database: AppDatabase) async throws -> Bool { try await pending(database).isEmpty }

    /// Every revision applied in order to a new in-memory SQLite database, without awaiting
    /// (`Application.assembleInMemory`, which synchronous code calls).
    public func upgradeNew(_ database: AppDatabase) throws {
        for chain in chains {
            for (index, revision) in chain.revisions.enumerated() {
                _ = try database.transactionSynchronously(
                    step(chain.plugin, from: index > 0 ? chain.revisions[index - 1].id : nil, to: revision.id, revision.upgrade, database.dialect))
            }
        }
    }

    /// One step in one transaction: under the lock, only if `plugin` is still at `from`, runs
    /// `script` and records `to`. False when another process had already made the step.
    private func run(_ database: AppDatabase, _ plugin: String, from: String?, to: String?, _ script: SQLScript) async throws -> Bool {
        try await database.transaction(step(plugin, from: from, to: to, script, database.dialect))
    }

    private func step(_ plugin: String, from: String?, to: String?, _ script: SQLScript, _ dialect: AppDatabase.Dialect) -> [SQLStep] {
        [
            .lock(Self.lockKey), createTable,
            .expect("SELECT revision FROM \(Self.table) WHERE plugin = ?", [.text(plugin)], equals: from.map { .text($0) }),
            .script(script.sql(for: dialect)),
            record(plugin, to),
        ]
    }

    // MARK: The pre-plugin table

    /// The value of the single-row `schema_version` table that databases made before
    /// per-plugin migrations carry, if this database has one.
    func legacyVersion(_ database: AppDatabase) async throws -> String? {
        guard try await database.tableExists(Self.legacyTable) else { return nil }
        return try await database.read("SELECT version FROM \(Self.legacyTable)").first?.string("version")
    }

    /// Moves a `schema_version` database to `vial_migrations`, each plugin at the revision its
    /// `legacyVersions` names, in one transaction; the schema itself is untouched.
    func adoptLegacy(_ database: AppDatabase) async throws {
        guard try await !database.tableExists(Self.table), try await database.tableExists(Self.legacyTable) else { return }
        let state = try await current(database)
        try await database.transaction(
            [.lock(Self.lockKey), createTable] + state.sorted { $0.key < $1.key }.map { record($0.key, $0.value) }
                + [.execute("DROP TABLE \(Self.legacyTable)")])
    }

    // MARK: Helpers

    func chain(named name: String) throws -> MigrationChain {
        guard let chain = chains.first(where: { $0.plugin == name }) else { throw Failure.unknownPlugin(name) }
        return chain
    }

    /// `chain` and every chain it depends on, directly or not.
    private func dependencyClosure(of chain: MigrationChain) -> [String] {
        var seen: [String] = []
        func visit(_ name: String) {
            guard !seen.contains(name), let chain = chains.first(where: { $0.plugin == name }) else { return }
            seen.append(name)
            chain.dependencies.forEach(visit)
        }
        visit(chain.plugin)
        return seen
    }

    private func step(_ chain: MigrationChain, _ revision: Revision) -> MigrationStep {
        MigrationStep(plugin: chain.plugin, id: revision.id, message: revision.message)
    }

    /// -1 for base (nil or "base"), else the index of `id`.
    private func position(of id: String?, in chain: MigrationChain) throws -> Int {
        guard let id, id != "base" else { return -1 }
        if id == "head" { return chain.revisions.count - 1 }
        guard let index = chain.revisions.firstIndex(where: { $0.id == id }) else {
            throw Failure.unknownRevision(plugin: chain.plugin, id: id)
        }
        return index
    }

    private var createTable: SQLStep {
        .execute("CREATE TABLE IF NOT EXISTS \(Self.table) (plugin TEXT PRIMARY KEY, revision TEXT NOT NULL)")
    }

    private func record(_ plugin: String, _ revision: String?) -> SQLStep {
        guard let revision else { return .execute("DELETE FROM \(Self.table) WHERE plugin = ?", [.text(plugin)]) }
        return .execute(
            "INSERT INTO \(Self.table) (plugin, revision) VALUES (?, ?) ON CONFLICT(plugin) DO UPDATE SET revision = excluded.revision",
            [.text(plugin), .text(revision)])
    }
}
