import Foundation
import NIOCore
import NIOPosix

/// A real `redis-server` for one test: 127.0.0.1 on a free port, no persistence, stopped (by its
/// PID) when released. Skip tests with `.enabled(if: RedisTestServer.isAvailable)` where Debian's
/// `redis-server` is not installed.
///
/// ```swift
/// let redis = try RedisTestServer()
/// let app = try makeApp(["RATELIMIT_STORAGE_URI": redis.url])
/// ```
public final class RedisTestServer: @unchecked Sendable {
    static let executable = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    /// Whether a `redis-server` executable is installed.
    public static var isAvailable: Bool { executable != nil }

    /// The port it listens on (127.0.0.1).
    public let port: Int
    private let extra: [String]
    private var process: Process?

    /// `redis://127.0.0.1:PORT/0`.
    public var url: String { "redis://127.0.0.1:\(port)/0" }

    /// Starts a server with extra `redis-server` arguments (`["--requirepass", "x"]`).
    public init(port: Int? = nil, arguments: [String] = []) throws {
        self.port = try port ?? Self.freePort()
        self.extra = arguments
        try start()
    }

    /// Starts (or restarts, on the same port) the server and waits until it accepts connections.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable!)
        process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        for _ in 0..<200 {
            if Self.accepts(port: port) { return }
            usleep(10_000)
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "redis-server did not start on \(port)"])
    }

    /// Stops the server by its PID (SIGKILL, as a crash would) and waits for it to exit.
    public func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }

    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        return channel.localAddress!.port!
    }

    static func accepts(port: Int) -> Bool {
        guard let channel = try? ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).wait()
        else { return false }
        try? channel.close().wait()
        return true
    }
}
