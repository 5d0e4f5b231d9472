import Foundation

/// A real PostgreSQL server for a test process: a throw-away cluster (`initdb`) in a temporary
/// folder, listening on 127.0.0.1 on a free port, without fsync; each test takes a database of
/// its own (`makeDatabase()`). Started once, on first use (`shared`), and stopped by its PID
/// when the test process exits. Under root it runs as the `postgres` user (PostgreSQL refuses
/// root). Skip tests with `.enabled(if: PostgresTestServer.isAvailable)` where Debian's
/// `postgresql` package is not installed.
///
/// ```swift
/// let url = try await PostgresTestServer.started()!.makeDatabase()   // postgresql://vial@127.0.0.1:PORT/t_…
/// ```
///
/// Its waits (initdb, psql) run on threads of their own, never on Swift's cooperative ones: a
/// parallel test run whose few cooperative threads waited for `initdb` held every other test
/// for seconds, and tests with a deadline failed.
public final class PostgresTestServer: Sendable {
    /// The folder with `initdb`, `postgres` and `createdb` (Debian: /usr/lib/postgresql/N/bin).
    static let binaries: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "\(root)/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: "\($0)/initdb") && FileManager.default.isExecutableFile(atPath: "\($0)/postgres")
        }
    }()

    /// Whether PostgreSQL's server programs are installed.
    public static var isAvailable: Bool { binaries != nil }

    /// The server every test in this process shares; nil when it is not installed or failed to start.
    public static let shared: PostgresTestServer? = {
        guard isAvailable else { return nil }
        do {
            let server = try PostgresTestServer()
            atexit { PostgresTestServer.shared?.stop() }
            return server
        } catch {
            FileHandle.standardError.write(Data("PostgresTestServer: \(error)\n".utf8))
            return nil
        }
    }()

    /// `shared`, started off the cooperative threads: the first caller waits for the start.
    public static func started() async -> PostgresTestServer? {
        (try? await offCooperativeThreads { shared }) ?? nil
    }

    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// The superuser tests connect as (trusted on loopback: no password).
    public let user = "vial"
    let folder: String

    /// Makes a cluster and starts the server; throws when either fails.
    public init() throws {
        guard let binaries = Self.binaries else { throw Failure("PostgreSQL is not installed") }
        port = try RedisTestServer.freePort()
        folder = NSTemporaryDirectory() + "vial-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let asRoot = getuid() == 0
        if asRoot { try Self.run("/bin/chown", ["postgres:postgres", folder]) }
        try Self.run(
            "\(binaries)/initdb", ["-D", "\(folder)/data", "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync", "--no-locale"],
            asPostgres: asRoot)
        // Started in the background; its PID is read from postmaster.pid to stop it.
        let server = Process()
        let arguments = [
            "\(binaries)/postgres", "-D", "\(folder)/data", "-p", String(port), "-h", "127.0.0.1", "-k", folder, "-F",
            "-c", "max_connections=300", "-c", "shared_buffers=32MB",
        ]
        server.executableURL = URL(fileURLWithPath: asRoot ? "/usr/sbin/runuser" : arguments[0])
        server.arguments = asRoot ? ["-u", "postgres", "--"] + arguments : Array(arguments.dropFirst())
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try server.run()
        for _ in 0..<500 {
            if RedisTestServer.accepts(port: port), (try? Self.run("\(binaries)/psql", psqlArguments("postgres") + ["-c", "SELECT 1"])) != nil {
                return
            }
            usleep(20_000)
        }
        stop()
        throw Failure("postgres did not start on \(port)")
    }

    /// A new, empty database; returns its `postgresql://` URL.
    public func makeDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let arguments = psqlArguments("postgres") + ["-c", "CREATE DATABASE \(name)"]
        try await Self.offCooperativeThreads { try Self.run(Self.binaries! + "/psql", arguments) }
        return url(database: name)
    }

    /// Runs blocking `body` (a child process, a wait) on a thread of its own.
    @discardableResult
    static func offCooperativeThreads<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    /// `postgresql://vial@127.0.0.1:PORT/database`.
    public func url(database: String) -> String { "postgresql://\(user)@127.0.0.1:\(port)/\(database)" }

    /// Stops the server by its PID (SIGINT: PostgreSQL's fast shutdown) and removes its folder.
    public func stop() {
        if let text = try? String(contentsOfFile: "\(folder)/data/postmaster.pid", encoding: .utf8),
            let pid = text.split(separator: "\n").first.flatMap({ Int32($0) })
        {
            kill(pid, SIGINT)
            for _ in 0..<500 where kill(pid, 0) == 0 { usleep(10_000) }
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func psqlArguments(_ database: String) -> [String] {
        ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-q"]
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], asPostgres: Bool = false) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: asPostgres ? "/usr/sbin/runuser" : executable)
        process.arguments = asPostgres ? ["-u", "postgres", "--", executable] + arguments : arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure("\((executable as NSString).lastPathComponent) failed: \(String(decoding: message, as: UTF8.self))")
        }
        return process.terminationStatus
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
