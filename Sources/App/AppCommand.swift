import ArgumentParser
import Foundation
import Vial
import VialBlueprints

/// `App`: serve the task API, list its routes, manage its database.
@main
struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "App",
        abstract: "The Vial task-management API.",
        subcommands: [Serve.self, Worker.self, Routes.self, OpenAPICommand.self, DB.self, InitDB.self, CreateUser.self],
        defaultSubcommand: Serve.self)
}

/// Options every command shares: which environment's configuration to load.
struct EnvironmentOptions: ParsableArguments {
    @Option(name: .customLong("env"), help: "development, testing or production (overrides APP_ENV).")
    var environment: String?

    /// The configuration from `.env` and the process environment, `--env` winning.
    func load() throws -> (AppConfig, AppSettings) {
        var variables = try DotEnv.environment()
        if let environment { variables["APP_ENV"] = environment }
        let config = try AppConfig.load(from: variables)
        return (config, try AppSettings.load(config))
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server.")

    @OptionGroup var environment: EnvironmentOptions
    @Option(help: "Interface to listen on (default HOST or 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default PORT or 5000).") var port: Int?

    func run() async throws {
        let (config, settings) = try loadOrExit(environment)
        BackgroundLogHandler.bootstrap()
        defer { BackgroundLogHandler.flush() }
        let services = try await failOnRefusal { try await Startup.prepare(config: config, settings: settings, say: { print($0) }) }
        let workers = services.inProcessWorkers
        if let workers {
            print(" * Background jobs: \(workers.concurrency) worker(s) in this process (\(services.jobs.names.joined(separator: ", ")))")
        } else {
            print(" * Background jobs: no worker in this process (JOBS_CONCURRENCY=0); run `App worker`")
        }
        let app = makeApp(config: config, services: services)
        if let workers { app.addServices(workers) }
        try await app.run(host: host, port: port)
    }
}

/// `App worker`: runs background jobs on its own, Celery's `celery worker -c N`.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run background job workers (no HTTP server).")

    @OptionGroup var environment: EnvironmentOptions
    @Option(name: [.short, .long], help: "Workers in this process (default JOBS_CONCURRENCY, at least 1).")
    var concurrency: Int?

    func validate() throws {
        if let concurrency, !(1...64).contains(concurrency) { throw ValidationError("--concurrency must be from 1 to 64") }
    }

    func run() async throws {
        let (config, settings) = try loadOrExit(environment)
        BackgroundLogHandler.bootstrap()
        defer { BackgroundLogHandler.flush() }
        let services = try await failOnRefusal { try await Startup.prepare(config: config, settings: settings, say: { print($0) }) }
        let workers = JobWorkers(queue: services.jobs, concurrency: concurrency ?? max(settings.jobsConcurrency, 1))
        print(" * Worker for '\(config.environment.rawValue)': \(workers.concurrency) worker(s); jobs: \(services.jobs.names.joined(separator: ", "))")
        print(" * Press CTRL+C to quit")
        fflush(nil)
        try await runUntilSignalled([workers], logger: services.jobs.logger)
        print(" * Shut down cleanly")
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
        let (config, settings) = try loadOrExit(environment)
        // Routes do not depend on data: list them from an in-memory database, touching no file.
        let routes = try makeApp(config: config, services: try Services.inMemory(settings: settings)).routes()
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

/// `App openapi [--output FILE]`: the OpenAPI 3.1 document `/openapi.json` serves.
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Write the OpenAPI document.")

    @OptionGroup var environment: EnvironmentOptions
    @Option(help: "Write to this file instead of standard output.") var output: String?

    func run() throws {
        let (config, settings) = try loadOrExit(environment)
        let text = try apiDocument(makeApp(config: config, services: try Services.inMemory(settings: settings)))
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } else {
            print(text, terminator: "")
        }
    }
}

/// The bundled app's OpenAPI document, as `/openapi.json` serves it.
func apiDocument(_ app: App) throws -> String {
    try OpenAPIGenerator.json(
        for: app.routes(), title: "Vial Tasks API", version: "1.0.0", description: "Users, JWT authentication and tasks.")
}

/// Loads configuration, turning a bad value into a one-line error and exit code 2.
func loadOrExit(_ options: EnvironmentOptions) throws -> (AppConfig, AppSettings) {
    do {
        return try options.load()
    } catch let error as ConfigError {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        throw ExitCode(2)
    }
}

/// Runs `body`, turning a start-up refusal or a migration failure into one line and exit code 1.
func failOnRefusal<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let refusal as Startup.Refusal {
        FileHandle.standardError.write(Data("Error: \(refusal)\n".utf8))
        throw ExitCode(1)
    } catch let failure as Migrator.Failure {
        FileHandle.standardError.write(Data("Error: \(failure)\n".utf8))
        throw ExitCode(1)
    }
}
