import GRDB

/// One versioned schema change with both directions (Alembic's revision). A plugin lists its
/// own, oldest first; ids need only be unique within the plugin.
public struct Revision: Sendable {
    /// The id recorded for the plugin, e.g. `0001`.
    public let id: String
    public let message: String
    public let upgrade: @Sendable (Database) throws -> Void
    public let downgrade: @Sendable (Database) throws -> Void

    public init(
        _ id: String, _ message: String, upgrade: @escaping @Sendable (Database) throws -> Void,
        downgrade: @escaping @Sendable (Database) throws -> Void
    ) {
        self.id = id
        self.message = message
        self.upgrade = upgrade
        self.downgrade = downgrade
    }

    /// A revision that runs `up` and `down` as SQL scripts.
    public init(_ id: String, _ message: String, up: String, down: String) {
        self.init(id, message, upgrade: { try $0.execute(sql: up) }, downgrade: { try $0.execute(sql: down) })
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
/// Alembic's `alembic_version` are the models). Chains run in dependency order, so a plugin's
/// tables exist before those of plugins that reference them. Each step runs in its own
/// savepoint together with its record, so a failure leaves the previous revision — call it
/// inside `writeWithoutTransaction`.
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

    /// Each plugin's recorded revision (absent: base).
    public func current(_ db: Database) throws -> [String: String] {
        if try db.tableExists(Self.table) {
            let rows = try Row.fetchAll(db, sql: "SELECT plugin, revision FROM \(Self.table)")
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["plugin"], $0["revision"]) })
        }
        guard let legacy = try legacyVersion(db) else { return [:] }
        return chains.reduce(into: [:]) { state, chain in state[chain.plugin] = chain.legacyVersions[legacy] }
    }

    /// Revisions not yet applied, in the order `upgrade` would apply them.
    public func pending(_ db: Database) throws -> [MigrationStep] {
        let state = try current(db)
        return try chains.flatMap { chain in
            let index = try position(of: state[chain.plugin], in: chain)
            return chain.revisions[(index + 1)...].map { step(chain, $0) }
        }
    }

    /// Upgrades `plugin` (every plugin when nil) to `target` (default: head), its dependencies to
    /// their heads first; returns the steps applied.
    @discardableResult
    public func upgrade(_ db: Database, plugin: String? = nil, to target: String? = nil) throws -> [MigrationStep] {
        try adoptLegacy(db)
        let selected = try plugin.map { [try chain(named: $0)] } ?? chains
        let needed = Set(selected.flatMap { dependencyClosure(of: $0) })
        var applied: [MigrationStep] = []
        for chain in chains where needed.contains(chain.plugin) {
            let goal = chain.plugin == plugin ? target : nil
            let from = try position(of: try current(db)[chain.plugin], in: chain)
            let to = try position(of: goal ?? chain.head, in: chain)
            guard to > from else { continue }
            for revision in chain.revisions[(from + 1)...to] {
                try db.inSavepoint {
                    try revision.upgrade(db)
                    try record(db, chain.plugin, revision.id)
                    return .commit
                }
                applied.append(step(chain, revision))
            }
        }
        return applied
    }

    /// Downgrades `plugin` to `target` (`base` for none of its tables; default: one step back);
    /// returns the steps undone. Taking a plugin to base is refused while a plugin that depends
    /// on it is above base.
    @discardableResult
    public func downgrade(_ db: Database, plugin: String, to target: String? = nil) throws -> [MigrationStep] {
        try adoptLegacy(db)
        let chain = try chain(named: plugin)
        let state = try current(db)
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
            try db.inSavepoint {
                try revision.downgrade(db)
                try record(db, plugin, index > 0 ? chain.revisions[index - 1].id : nil)
                return .commit
            }
            undone.append(step(chain, revision))
        }
        return undone
    }

    /// Takes every plugin to base, dependents first (`init-db`).
    @discardableResult
    public func downgradeAll(_ db: Database) throws -> [MigrationStep] {
        try chains.reversed().flatMap { try downgrade(db, plugin: $0.plugin, to: "base") }
    }

    /// Records `revision` for `plugin` without running anything (`db stamp`).
    public func stamp(_ db: Database, plugin: String, _ revision: String) throws {
        try adoptLegacy(db)
        let chain = try chain(named: plugin)
        let index = try position(of: revision, in: chain)
        try record(db, plugin, index >= 0 ? chain.revisions[index].id : nil)
    }

    /// Whether every plugin is at its head.
    public func isCurrent(_ db: Database) throws -> Bool { try pending(db).isEmpty }

    // MARK: The pre-plugin table

    /// The value of the single-row `schema_version` table that databases made before
    /// per-plugin migrations carry, if this database has one.
    func legacyVersion(_ db: Database) throws -> String? {
        guard try db.tableExists(Self.legacyTable) else { return nil }
        return try String.fetchOne(db, sql: "SELECT version FROM \(Self.legacyTable)")
    }

    /// Moves a `schema_version` database to `vial_migrations`, each plugin at the revision its
    /// `legacyVersions` names, in one savepoint; the schema itself is untouched.
    func adoptLegacy(_ db: Database) throws {
        guard try !db.tableExists(Self.table), try db.tableExists(Self.legacyTable) else { return }
        let state = try current(db)
        try db.inSavepoint {
            try createTable(db)
            for (plugin, revision) in state { try record(db, plugin, revision) }
            try db.execute(sql: "DROP TABLE \(Self.legacyTable)")
            return .commit
        }
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

    private func createTable(_ db: Database) throws {
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS \(Self.table) (plugin TEXT PRIMARY KEY, revision TEXT NOT NULL)")
    }

    private func record(_ db: Database, _ plugin: String, _ revision: String?) throws {
        try createTable(db)
        if let revision {
            try db.execute(
                sql: "INSERT INTO \(Self.table) (plugin, revision) VALUES (?, ?) ON CONFLICT(plugin) DO UPDATE SET revision = excluded.revision",
                arguments: [plugin, revision])
        } else {
            try db.execute(sql: "DELETE FROM \(Self.table) WHERE plugin = ?", arguments: [plugin])
        }
    }
}
