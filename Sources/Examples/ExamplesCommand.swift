import ArgumentParser
import Vial

/// `swift run Examples NAME [--port N]`: the guide's small apps, runnable.
@main
struct ExamplesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Examples", abstract: "Run one of the guide's example apps; with no name, list them.")

    @Argument(help: "The example to run.") var name: String?
    @Option(help: "Interface to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 5000
    @Flag(help: "Do not log each request (for benchmarks).") var quiet = false

    func run() async throws {
        guard let name else {
            print(ExampleCatalog.listing, terminator: "")
            return
        }
        guard let example = ExampleCatalog.named(name) else {
            print("Unknown example '\(name)'.\n\n\(ExampleCatalog.listing)", terminator: "")
            throw ExitCode(2)
        }
        var config = AppConfig()
        config.accessLog = !quiet
        BackgroundLogHandler.bootstrap()
        defer { BackgroundLogHandler.flush() }
        try await example.make(config).run(host: host, port: port)
    }
}
