import Testing
import Vial
import VialMiddleware
@testable import VialApp
import VialTesting

/// A plugin with a table, a setting, a provided value and a route.
struct CounterPlugin: Plugin {
    enum Start: StorageKey { typealias Value = Int }

    var name: String { "counter" }
    var migrations: [Revision] {
        [Revision("0001", "create counters", up: "CREATE TABLE counters (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)", down: "DROP TABLE counters")]
    }
    var tags: [String: String] { ["counter": "Counting"] }

    func setUp(_ context: PluginContext) throws {
        let start = try context.settings.integer("COUNTER_START", default: 0, in: 0...100)
        context.provide(Start.self, start)
        let blueprint = Blueprint("counter")
        blueprint.get("/start", name: "start", docs: RouteDocs(summary: "The start", tags: ["counter"])) { _ in ["start": .int(start)] as JSON }
        context.app.register(blueprint, urlPrefix: "/counter")
    }
}

/// Depends on the counter and reads what it provided.
struct DoublerPlugin: Plugin {
    var name: String { "doubler" }
    var dependencies: [String] { ["counter"] }
    var migrations: [Revision] {
        [Revision("0001", "create doubles", up: "CREATE TABLE doubles (counter_id INTEGER REFERENCES counters(id))", down: "DROP TABLE doubles")]
    }

    func setUp(_ context: PluginContext) throws {
        let start = try context.require(CounterPlugin.Start.self)
        context.app.get("/double", name: "double") { _ in ["double": .int(start * 2)] as JSON }
    }
}

/// Asks for a value nobody provides.
struct NeedyPlugin: Plugin {
    var name: String { "needy" }
    func setUp(_ context: PluginContext) throws { _ = try context.require(CounterPlugin.Start.self) }
}

struct Named: Plugin {
    var name: String
    var dependencies: [String] = []
    func setUp(_ context: PluginContext) throws {}
}

@Suite struct PluginTests {
    func config(_ variables: [String: String] = [:]) throws -> AppConfig {
        var config = try AppConfig.load(from: variables.merging(["APP_ENV": "testing"]) { mine, _ in mine })
        config.accessLog = false
        return config
    }

    @Test func pluginsAreSetUpInDependencyOrderWhateverTheInstallOrder() async throws {
        for plugins in [[DoublerPlugin(), CounterPlugin()], [CounterPlugin(), DoublerPlugin()]] as [[any Plugin]] {
            let assembly = try Application("demo", plugins: plugins).assembleInMemory(config: try config(["COUNTER_START": "21"]))
            #expect(assembly.plugins.map(\.name) == ["counter", "doubler"])
            #expect(assembly[CounterPlugin.Start.self] == 21)
            let client = try assembly.app.testClient()
            #expect(try await client.get("/double").json() == ["double": 42])
            #expect(try await client.get("/counter/start").json() == ["start": 21])
        }
    }

    @Test func aPluginsMigrationsRunWithItsTable() async throws {
        let assembly = try Application("demo", plugins: [DoublerPlugin(), CounterPlugin()]).assembleInMemory(config: try config())
        let state = (try await assembly.migrator.current(assembly.database), try await assembly.database.tableExists("counters"))
        #expect(state.0 == ["counter": "0001", "doubler": "0001"])
        #expect(state.1)
    }

    @Test func aBadPluginSettingNamesTheVariable() throws {
        #expect(throws: ConfigError(variable: "COUNTER_START", reason: "must be a whole number from 0 to 100 (got '500')")) {
            _ = try Application("demo", plugins: [CounterPlugin()]).assembleInMemory(config: try config(["COUNTER_START": "500"]))
        }
    }

    @Test func pluginsThatDoNotFitAreRefusedByName() throws {
        #expect(throws: PluginError.missingDependency(plugin: "doubler", needs: "counter")) {
            _ = try Application("demo", plugins: [DoublerPlugin()]).assembleInMemory(config: try config())
        }
        #expect(throws: PluginError.duplicateName("counter")) {
            _ = try Application("demo", plugins: [CounterPlugin(), CounterPlugin()]).migrator()
        }
        #expect(throws: PluginError.dependencyCycle(["a", "b", "a"])) {
            _ = try Application("demo", plugins: [Named(name: "a", dependencies: ["b"]), Named(name: "b", dependencies: ["a"])]).migrator()
        }
        #expect(throws: PluginError.missingValue(plugin: "needy", value: "Int")) {
            _ = try Application("demo", plugins: [NeedyPlugin()]).assembleInMemory(config: try config())
        }
    }

    @Test func tagDescriptionsReachTheDocument() throws {
        let application = Application("demo", plugins: [CounterPlugin()])
        let document = try application.apiDocument(try application.assembleInMemory(config: try config()))
        #expect(document.contains("\"description\" : \"Counting\""))
    }

    @Test func settingsReaderNamesTheVariable() throws {
        let settings = SettingsReader(environment: .development, values: ["A": "x", "B": "0", "C": "yes", "D": "a, b,,c"])
        #expect(throws: ConfigError(variable: "A", reason: "must be a positive number of seconds (got 'x')")) { try settings.seconds("A", default: 1) }
        #expect(throws: ConfigError(variable: "B", reason: "must be a positive number of seconds (got '0')")) { try settings.seconds("B", default: 1) }
        #expect(try settings.flag("C", default: false))
        #expect(throws: ConfigError(variable: "A", reason: "must be true or false (got 'x')")) { try settings.flag("A", default: false) }
        #expect(settings.list("D") == ["a", "b", "c"])
        #expect(throws: ConfigError(variable: "A", reason: "must be one of y, z (got 'x')")) { try settings.string("A", default: "y", oneOf: ["y", "z"]) }
        #expect(try settings.seconds("MISSING", default: 7) == 7)
    }
}
