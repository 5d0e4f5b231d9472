import ArgumentParser
import Foundation
import Vial

extension Application {
    /// Runs the command line for this application: `serve` (the default), `routes`, `openapi`,
    /// `db …`, `init-db`, and every installed plugin's own subcommands (`worker` from jobs,
    /// `create-user` from auth). Never returns: it exits with the command's status.
    public func main(arguments: [String]? = nil) async -> Never {
        Self.running.withLock { $0 = self }
        await ApplicationCommand.main(arguments)
        exit(0)
    }
}

extension Application {
    /// The name the program was started by (`App`, `notes-app`), for usage lines and hints.
    public static var commandName: String {
        CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? current.name
    }
}

/// The root command; its name and subcommands come from `Application.current`.
struct ApplicationCommand: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        let application = Application.current
        let core: [any ParsableCommand.Type] = [Serve.self, Routes.self, OpenAPICommand.self, DB.self, InitDB.self]
        let plugins = (try? application.plugins.inDependencyOrder()) ?? application.plugins
        return CommandConfiguration(
            commandName: Application.commandName, abstract: application.description ?? application.title,
            subcommands: core + plugins.flatMap(\.commands), defaultSubcommand: Serve.self)
    }
}

/// Options every command shares: which environment's configuration to load. Plugins' own
/// commands take them with `@OptionGroup var environment: EnvironmentOptions`.
public struct EnvironmentOptions: ParsableArguments {
    @Option(name: .customLong("env"), help: "development, testing or production (overrides APP_ENV).")
    public var environment: String?

    public init() {}

    /// The configuration from `.env` and the process environment, `--env` winning. A bad value
    /// prints one line and exits with status 2.
    public func load() throws -> AppConfig {
        try exitOnFailure { try Application.current.loadConfig(overrides: environment.map { ["APP_ENV": $0] } ?? [:]) }
    }

    /// The configured database, opened (not migrated).
    public func openDatabase() throws -> AppDatabase {
        let config = try load()
        return try exitOnFailure { try Application.current.openDatabase(config) }
    }

    /// The application assembled on its configured database (migrated and seeded as `serve` does).
    public func prepare() async throws -> Assembly {
        let config = try load()
        return try await exitOnFailure { try await Application.current.prepare(config: config, say: { print($0) }) }
    }
}

/// Runs `body`; a configuration error prints one line and exits with 2, a refusal, a migration
/// failure or plugins that do not fit print one line and exit with 1.
public func exitOnFailure<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw reported(error)
    }
}

/// The synchronous twin of `exitOnFailure` for commands that do not await.
public func exitOnFailure<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw reported(error)
    }
}

/// The one-line report and exit code for the failures a user can fix; other errors pass through.
func reported(_ error: any Error) -> any Error {
    let status: Int32
    switch error {
    case is ConfigError: status = 2
    case is Application.Refusal, is Migrator.Failure, is PluginError, is DatabaseUnavailable, is SQLError: status = 1
    default: return error
    }
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    return ExitCode(status)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server.")

    @OptionGroup var environment: EnvironmentOptions
    @Option(help: "Interface to listen on (default HOST or 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default PORT or 5000).") var port: Int?
    @Option(help: ArgumentHelp("Listen on a Unix domain socket at this path instead of TCP (nginx on the same machine).", valueName: "path"))
    var unix: String?

    func validate() throws {
        if unix != nil && (host != nil || port != nil) { throw ValidationError("--unix listens on a socket file: leave out --host and --port") }
    }

    func run() async throws {
        _ = try environment.load()  // a bad setting exits before logging starts
        BackgroundLogHandler.bootstrap()
        defer { BackgroundLogHandler.flush() }
        let assembly = try await environment.prepare()
        for line in assembly.announcements { print(line) }
        for service in assembly.services { assembly.app.addServices(service) }
        if let unix {
            try await assembly.app.run(unixSocket: unix)
        } else {
            try await assembly.app.run(host: host, port: port)
        }
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
        let config = try environment.load()
        let application = Application.current
        // Routes do not depend on data: list them from an in-memory database, touching no file.
        let routes = try exitOnFailure { try application.assembleInMemory(config: config).app.routes() }
        let table = RouteListing.render(routes, sort: sort, allMethods: allMethods)
        if json {
            print(RouteListing.json(routes, sort: sort, allMethods: allMethods), terminator: "")
        } else if markdown {
            print(RoutesDoc.render(table, command: Application.commandName), terminator: "")
        } else {
            print(table, terminator: "")
        }
    }
}

extension RouteListing.Sort: ExpressibleByArgument {}

/// `openapi [--output FILE]`: the OpenAPI 3.1 document `/openapi.json` serves.
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Write the OpenAPI document.")

    @OptionGroup var environment: EnvironmentOptions
    @Option(help: "Write to this file instead of standard output.") var output: String?

    func run() throws {
        let config = try environment.load()
        let application = Application.current
        let text = try application.apiDocument(try exitOnFailure { try application.assembleInMemory(config: config) })
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } else {
            print(text, terminator: "")
        }
    }
}
