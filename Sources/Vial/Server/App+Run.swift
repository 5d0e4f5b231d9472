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

    /// ` * Serving Vial app 'name'` … ` * Running on http://127.0.0.1:5000`.
    func printStartup(host: String, port: Int) {
        var lines = [
            " * Serving Vial app '\(name)'",
            " * Environment: \(config.environment.rawValue)",
        ]
        if host == "0.0.0.0" || host == "::" {
            lines.append(" * Running on all addresses (\(host))")
            lines.append(" * Running on http://127.0.0.1:\(port)")
        } else {
            lines.append(" * Running on http://\(host.contains(":") ? "[\(host)]" : host):\(port)")
        }
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
