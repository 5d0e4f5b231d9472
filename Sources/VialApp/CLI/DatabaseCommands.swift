import ArgumentParser
import Foundation
import Vial

/// `db …`: every installed plugin's versioned migrations, in both directions (Flask-Migrate's `flask db …`).
struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Manage database migrations (per plugin).",
        subcommands: [Upgrade.self, Downgrade.self, Current.self, History.self, Stamp.self])

    struct Upgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upgrade every plugin to head, or one plugin (and what it depends on) to a revision.")
        @OptionGroup var environment: EnvironmentOptions
        @Argument(help: "Plugin (default: all).") var plugin: String?
        @Argument(help: "Target revision (default: head).") var revision: String?

        func run() async throws {
            let (plugin, revision) = (plugin, revision)
            try await migrate(environment, verb: "Upgraded") { try await $1.upgrade($0, plugin: plugin, to: revision) }
        }
    }

    struct Downgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Downgrade one plugin to a revision, or `base` (default: one step).")
        @OptionGroup var environment: EnvironmentOptions
        @Argument(help: "Plugin.") var plugin: String
        @Argument(help: "Target revision or base.") var revision: String?

        func run() async throws {
            let (plugin, revision) = (plugin, revision)
            try await migrate(environment, verb: "Downgraded") { try await $1.downgrade($0, plugin: plugin, to: revision) }
        }
    }

    struct Current: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each plugin's current revision.")
        @OptionGroup var environment: EnvironmentOptions

        func run() async throws {
            let database = try environment.openDatabase()
            let migrator = try exitOnFailure { try Application.current.migrator() }
            let state = try await migrator.current(database)
            for chain in migrator.chains where !chain.revisions.isEmpty {
                let current = state[chain.plugin] ?? "base"
                print("\(chain.plugin): \(current)\(current == chain.head ? " (head)" : "")")
            }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List each plugin's revisions.")

        func run() throws {
            let migrator = try exitOnFailure { try Application.current.migrator() }
            for chain in migrator.chains where !chain.revisions.isEmpty {
                var previous = "<base>"
                for revision in chain.revisions {
                    print("\(chain.plugin): \(previous) -> \(revision.id), \(revision.message)")
                    previous = revision.id
                }
            }
        }
    }

    struct Stamp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a plugin's revision without running migrations.")
        @OptionGroup var environment: EnvironmentOptions
        @Argument(help: "Plugin.") var plugin: String
        @Argument(help: "Revision, head or base.") var revision: String

        func run() async throws {
            let database = try environment.openDatabase()
            let migrator = try exitOnFailure { try Application.current.migrator() }
            let (plugin, revision) = (plugin, revision)
            try await exitOnFailure {
                try await migrator.stamp(database, plugin: plugin, revision)
            }
            print("Stamped \(plugin) \(revision).")
        }
    }
}

/// `init-db [--sample-tasks] [--force]`: every plugin to base, then to head, then each plugin's development data.
struct InitDB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-db", abstract: "Recreate the schema and seed the development data.")
    @OptionGroup var environment: EnvironmentOptions
    @Flag(help: "Also create sample data (a few tasks per user).") var sampleTasks = false
    @Flag(help: "Allow this in production.") var force = false

    func run() async throws {
        let config = try environment.load()
        guard config.environment != .production || force else {
            FileHandle.standardError.write(Data("Error: init-db erases all data; refusing in production without --force\n".utf8))
            throw ExitCode(1)
        }
        let application = Application.current
        let assembly = try await exitOnFailure {
            let database = try application.openDatabase(config)
            let migrator = try application.migrator()
            try await migrator.downgradeAll(database)
            try await migrator.upgrade(database)
            return try application.assemble(config: config, database: database)
        }
        var lines: [String] = []
        for plugin in assembly.plugins {
            if let line = try await plugin.seed(assembly, samples: sampleTasks) { lines.append(line) }
        }
        print((["Initialized the database."] + lines).joined(separator: "\n"))
    }
}

/// Runs migration steps on the configured database (each step its own transaction) and reports them.
func migrate(
    _ environment: EnvironmentOptions, verb: String, _ steps: @escaping @Sendable (AppDatabase, Migrator) async throws -> [MigrationStep]
) async throws {
    let database = try environment.openDatabase()
    let migrator = try exitOnFailure { try Application.current.migrator() }
    let done = try await exitOnFailure { try await steps(database, migrator) }
    print(done.isEmpty ? "Already at the target revision." : done.map { "\(verb) \($0)" }.joined(separator: "\n"))
}
