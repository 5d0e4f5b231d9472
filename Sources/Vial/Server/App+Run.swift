import Logging
import ServiceLifecycle

extension App {
    /// Builds the app and serves it until SIGINT or SIGTERM, then shuts down gracefully
    /// (stop accepting, finish in-flight requests, return). Prints Flask-style start-up lines.
    /// Services added with `addServices` run next to the server and shut down after it.
    public func run(host: String? = nil, port: Int? = nil) async throws {
        let responder = try build()
        let server = HTTPServer(responder: responder, config: config, logger: logger)
        let bound = try await server.start(host: host, port: port)
        printStartup(host: host ?? config.host, port: bound)
        // Last listed stops first: the server stops taking requests, then the other services stop.
        try await runUntilSignalled(snapshot.services + [server], logger: logger)
        print(" * Shut down cleanly")
    }

    /// `run`, listening on a Unix domain socket at `path` instead of TCP (behind nginx on the
    /// same machine, as gunicorn's `--bind unix:PATH`).
    public func run(unixSocket path: String) async throws {
        let responder = try build()
        let server = HTTPServer(responder: responder, config: config, logger: logger)
        try await server.start(unixSocket: path)
        printStartup(listening: ["unix:\(path)"])
        try await runUntilSignalled(snapshot.services + [server], logger: logger)
        print(" * Shut down cleanly")
    }

    /// ` * Serving Vial app 'name'` … ` * Running on http://127.0.0.1:5000`.
    func printStartup(host: String, port: Int) {
        if host == "0.0.0.0" || host == "::" {
            printStartup(listening: ["all addresses (\(host))", "http://127.0.0.1:\(port)"])
        } else {
            printStartup(listening: ["http://\(host.contains(":") ? "[\(host)]" : host):\(port)"])
        }
    }

    private func printStartup(listening: [String]) {
        var lines = [
            " * Serving Vial app '\(name)'",
            " * Environment: \(config.environment.rawValue)",
        ]
        lines += listening.map { " * Running on \($0)" }
        lines.append(" * Press CTRL+C to quit")
        print(lines.joined(separator: "\n"))
        fflush(nil)
    }
}

import Foundation

/// Runs `services` until SIGINT or SIGTERM, then shuts them down gracefully, last listed first
/// (`App.run`, and `App worker` for its job workers).
public func runUntilSignalled(_ services: [any Service], logger: Logger) async throws {
    let group = ServiceGroup(
        configuration: .init(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}
