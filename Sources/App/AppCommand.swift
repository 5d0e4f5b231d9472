import ArgumentParser
import Foundation
import Vial

/// `App`: serve the task API, list its routes.
@main
struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "App",
        abstract: "The Vial task-management API.",
        subcommands: [Serve.self, Routes.self],
        defaultSubcommand: Serve.self)
}

/// Options every command shares: which environment's configuration to load.
struct EnvironmentOptions: ParsableArguments {
    @Option(name: .customLong("env"), help: "development, testing or production (overrides APP_ENV).")
    var environment: String?

    /// The configuration from `.env` and the process environment, `--env` winning.
    func load() throws -> AppConfig {
        var variables = try DotEnv.environment()
        if let environment { variables["APP_ENV"] = environment }
        return try AppConfig.load(from: variables)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server.")

    @OptionGroup var environment: EnvironmentOptions
    @Option(help: "Interface to listen on (default HOST or 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default PORT or 5000).") var port: Int?

    func run() async throws {
        let config = try loadOrExit(environment)
        BackgroundLogHandler.bootstrap()
        defer { BackgroundLogHandler.flush() }
        try await makeApp(config: config).run(host: host, port: port)
    }
}

struct Routes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the routes for the app.")

    @OptionGroup var environment: EnvironmentOptions
    @Option(help: "Sort by endpoint, methods, rule or match.") var sort: RouteListing.Sort = .endpoint
    @Flag(help: "Show HEAD and OPTIONS methods.") var allMethods = false
    @Flag(help: "Print the table as JSON.") var json = false
    @Flag(help: "Print the page docs/routes.md.") var markdown = false

    func run() throws {
        let routes = try makeApp(config: try loadOrExit(environment)).routes()
        let table = RouteListing.render(routes, sort: sort, allMethods: allMethods)
        if json {
            print(RouteListing.json(routes, sort: sort, allMethods: allMethods), terminator: "")
        } else if markdown {
            print(RoutesDoc.render(table), terminator: "")
        } else {
            print(table, terminator: "")
        }
    }
}

extension RouteListing.Sort: ExpressibleByArgument {}

/// Loads configuration, turning a bad value into a one-line error and exit code 2.
func loadOrExit(_ options: EnvironmentOptions) throws -> AppConfig {
    do {
        return try options.load()
    } catch let error as ConfigError {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        throw ExitCode(2)
    }
}
