import ArgumentParser
import Vial

/// A feature packaged for reuse — Flask's extension with its `init_app(app)`. A package exports
/// one value of a type conforming to this; an `Application` installs it next to others, in any
/// order (dependencies set the order). A plugin may contribute:
///
/// - blueprints, middleware and routes (in `setUp`, through `context.app`);
/// - migrations: its own ordered revisions, recorded under its `name`;
/// - typed settings, read in `setUp` from `context.settings` (errors name the variable);
/// - services that run next to the server (`context.addService`), jobs (`context.jobs`);
/// - values other plugins use (`context.provide` / `context.require`);
/// - command-line subcommands (`commands`) and OpenAPI tag descriptions (`tags`);
/// - development data (`seed`).
///
/// ```swift
/// public struct NotesPlugin: Plugin {
///     public var name: String { "notes" }
///     public var dependencies: [String] { ["auth"] }
///     public var migrations: [Revision] {
///         [Revision("0001", "create notes", up: "CREATE TABLE notes (…)", down: "DROP TABLE notes")]
///     }
///     public func setUp(_ context: PluginContext) throws {
///         let pageSize = try context.settings.integer("NOTES_PAGE_SIZE", default: 20, in: 1...100)
///         context.app.register(NotesBlueprint.make(database: context.database, pageSize: pageSize), urlPrefix: "/api/notes")
///     }
/// }
/// ```
public protocol Plugin: Sendable {
    /// Unique among installed plugins: migrations are recorded and listed under it.
    var name: String { get }
    /// Plugins that must be installed too and are set up (and migrated) before this one.
    var dependencies: [String] { get }
    /// This plugin's schema changes, oldest first.
    var migrations: [Revision] { get }
    /// For databases made before per-plugin migrations: this plugin's revision for each value
    /// of the old `schema_version` table. Only the bundled plugins need it.
    var legacyVersions: [String: String] { get }
    /// Subcommands added to the application's command line (they read `Application.current`).
    var commands: [any ParsableCommand.Type] { get }
    /// OpenAPI tag descriptions, by tag name.
    var tags: [String: String] { get }

    /// Reads settings and adds what the plugin contributes. Throws `ConfigError` for a bad setting.
    func setUp(_ context: PluginContext) throws

    /// Adds development data after migrations (`serve` outside production, `init-db`); returns a
    /// line to print when it did something. `samples` is `init-db --sample-tasks`.
    func seed(_ assembly: Assembly, samples: Bool) async throws -> String?
}

extension Plugin {
    public var dependencies: [String] { [] }
    public var migrations: [Revision] { [] }
    public var legacyVersions: [String: String] { [:] }
    public var commands: [any ParsableCommand.Type] { [] }
    public var tags: [String: String] { [:] }
    public func seed(_ assembly: Assembly, samples: Bool) async throws -> String? { nil }
}

/// Installing plugins that do not fit together.
public enum PluginError: Error, CustomStringConvertible, Equatable {
    case duplicateName(String)
    case missingDependency(plugin: String, needs: String)
    case dependencyCycle([String])
    case missingValue(plugin: String, value: String)

    public var description: String {
        switch self {
        case .duplicateName(let name): return "Two installed plugins are named '\(name)'"
        case .missingDependency(let plugin, let needs):
            return "Plugin '\(plugin)' depends on '\(needs)', which is not installed"
        case .dependencyCycle(let names): return "Plugins depend on each other in a cycle: \(names.joined(separator: " -> "))"
        case .missingValue(let plugin, let value):
            return "Plugin '\(plugin)' needs \(value), which no plugin set up before it provides (declare the provider in `dependencies`)"
        }
    }
}

extension Array where Element == any Plugin {
    /// The plugins in dependency order (ties by name), so install order never matters.
    func inDependencyOrder() throws -> [any Plugin] {
        var byName: [String: any Plugin] = [:]
        for plugin in self {
            guard byName.updateValue(plugin, forKey: plugin.name) == nil else { throw PluginError.duplicateName(plugin.name) }
        }
        var ordered: [any Plugin] = []
        var done = Set<String>()
        var visiting: [String] = []
        func visit(_ plugin: any Plugin) throws {
            if done.contains(plugin.name) { return }
            if let start = visiting.firstIndex(of: plugin.name) {
                throw PluginError.dependencyCycle([String](visiting[start...]) + [plugin.name])
            }
            visiting.append(plugin.name)
            for name in plugin.dependencies.sorted() {
                guard let dependency = byName[name] else { throw PluginError.missingDependency(plugin: plugin.name, needs: name) }
                try visit(dependency)
            }
            visiting.removeLast()
            done.insert(plugin.name)
            ordered.append(plugin)
        }
        for plugin in sorted(by: { $0.name < $1.name }) { try visit(plugin) }
        return ordered
    }
}
