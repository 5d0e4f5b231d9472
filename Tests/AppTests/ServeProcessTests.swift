import Foundation
import NIOPosix
import Testing
import Vial
import VialApp
import VialBlueprints
import VialTesting

/// `App serve` as a user runs it: the built binary, real signals.
@Suite(.serialized) struct ServeProcessTests {
    /// The `App` executable next to the test bundle (`swift build --build-tests` builds both).
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("App")
    }

    /// Starts `App serve --port 0`, waits for the start-up lines, and returns the process, its
    /// output pipe and the port it printed. On a `fresh` database it must say it seeded the development users.
    func start(environment: [String: String] = [:], fresh: Bool = true) async throws -> (Process, Pipe, Int) {
        let (process, output, text) = try await launch(["serve", "--port", "0", "--env", "testing"], environment: environment) {
            $0.contains("Running on http://127.0.0.1:")
        }
        let line = text.split(separator: "\n").first { $0.contains("Running on http://127.0.0.1:") }!
        #expect(text.contains(" * Serving Vial app 'tasks-api'"))
        #expect(text.contains(" * Seeded development users: admin/password (admin), user/password (user)") == fresh)
        return (process, output, Int(line.split(separator: ":").last ?? "")!)
    }

    /// Starts `App arguments…` and reads its output until `ready` holds (20 s at most).
    func launch(
        _ arguments: [String], environment: [String: String] = [:], until ready: (String) -> Bool
    ) async throws -> (Process, Pipe, String) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, mine in mine }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let chunk = output.fileHandleForReading.availableData
            text += String(decoding: chunk, as: UTF8.self)
            if ready(text) { return (process, output, text) }
            if chunk.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        process.terminate()
        throw CancellationError()
    }

    /// Sends `signal` and expects a clean exit.
    func stop(_ process: Process, _ output: Pipe, signal: Int32 = SIGTERM) {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains(" * Shut down cleanly"))
    }

    @Test(arguments: [SIGTERM, SIGINT]) func serveAnswersThenShutsDownCleanlyOnSignal(signal: Int32) async throws {
        let (process, output, port) = try await start()
        defer { if process.isRunning { process.terminate() } }  // never leave a server behind a failed test
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = LiveTestClient(port: port, group: group)
        let response = try await client.get("/health")
        #expect(response.status == .ok)
        #expect(try response.json() == ["status": "ok", "database": "ok"])
        stop(process, output, signal: signal)
        try await group.shutdownGracefully()
    }

    /// Section 13 in one process: `App serve` runs the job itself (JOBS_CONCURRENCY defaults to 1).
    /// `serve --unix PATH`: nginx on the same machine reaches it through the socket file.
    @Test func serveListensOnAUnixSocket() async throws {
        let path = NSTemporaryDirectory() + "vial-serve-\(UUID().uuidString.prefix(8)).sock"
        let (process, output, text) = try await launch(["serve", "--unix", path, "--env", "testing"]) { $0.contains("Running on unix:") }
        #expect(text.contains(" * Running on unix:\(path)"))
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "--unix-socket", path, "http://localhost/health"]
        let answer = Pipe()
        curl.standardOutput = answer
        try curl.run()
        curl.waitUntilExit()
        #expect(String(decoding: answer.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("\"status\":\"ok\""))
        stop(process, output)
        // A socket file and a TCP port at once is refused before anything starts.
        let (status, _, errors) = try app(["serve", "--unix", path, "--port", "8080"])
        #expect(status != 0)
        #expect(errors.contains("--unix"))
    }

    @Test func serveRunsJobsInProcess() async throws {
        let (server, output, port) = try await start(environment: ["DATABASE_URL": temporaryDatabaseURL()])
        defer { if server.isRunning { server.terminate() } }
        let client = LiveTestClient(port: port, group: MultiThreadedEventLoopGroup.singleton)
        let login = try await client.post("/auth/login", json: ["username": "user", "password": "password"]).json()
        let auth: HTTPHeaders = ["Authorization": "Bearer \(login["access_token"]!.stringValue!)"]
        let task = try await client.post("/api/tasks/", json: ["title": "Report"], headers: auth).json()["data"]!
        let accepted = try await client.post("/api/tasks/\(task["id"]!.intValue!)/process", json: [:], headers: auth)
        let location = try #require(accepted.header("Location"))
        let path = String(location[try #require(location.range(of: "/api/jobs/")).lowerBound...])
        var state: JSON?
        for _ in 0..<500 {
            state = try await client.get(path, headers: auth).json()["data"]?["state"]
            if state == "succeeded" { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(state == "succeeded")
        stop(server, output)
    }

    /// Section 13 across processes: a job queued by a server that then stops runs in `App worker`,
    /// and the restarted server reports it done.
    @Test func aJobQueuedBeforeARestartRunsInAppWorker() async throws {
        let url = temporaryDatabaseURL()
        let environment = ["DATABASE_URL": url, "JOBS_CONCURRENCY": "0"]
        let group = MultiThreadedEventLoopGroup.singleton

        // Given a server without workers, a task and a queued processing job
        var (server, output, port) = try await start(environment: environment)
        defer { if server.isRunning { server.terminate() } }
        var client = LiveTestClient(port: port, group: group)
        let login = try await client.post("/auth/login", json: ["username": "user", "password": "password"]).json()
        let auth: HTTPHeaders = ["Authorization": "Bearer \(login["access_token"]!.stringValue!)"]
        let task = try await client.post("/api/tasks/", json: ["title": "Report", "description": "Q4"], headers: auth).json()["data"]!
        let taskID = task["id"]!.intValue!
        let accepted = try await client.post("/api/tasks/\(taskID)/process", json: [:], headers: auth)
        #expect(accepted.status == .accepted)
        let jobID = try #require(try accepted.json()["data"]?["id"]?.stringValue)
        stop(server, output)

        // When `App worker` runs on the same database
        let (worker, workerOutput, banner) = try await launch(["worker", "--env", "testing"], environment: environment) {
            $0.contains("Press CTRL+C")
        }
        defer { if worker.isRunning { worker.terminate() } }
        #expect(banner.contains("1 worker(s); jobs: process_task_data, send_confirmation_email"))
        let jobs = SQLJobStore(try AppDatabase(.file(String(url.dropFirst("sqlite:///".count)))))
        for _ in 0..<500 where try await jobs.find(jobID, now: Date().timeIntervalSince1970)?.state != .succeeded {
            try await Task.sleep(for: .milliseconds(20))
        }
        stop(worker, workerOutput)

        // Then the restarted server shows the job succeeded and the task processed
        (server, output, port) = try await start(environment: environment, fresh: false)
        client = LiveTestClient(port: port, group: group)
        let job = try await client.get("/api/jobs/\(jobID)", headers: auth).json()["data"]!
        #expect(job["state"] == "succeeded")
        let processed = try await client.get("/api/tasks/\(taskID)", headers: auth).json()["data"]!
        #expect(processed["description"] == "Q4 [Processed]")
        #expect(processed["status"] == "completed")
        stop(server, output)
    }

    /// Runs `App arguments…` with `environment` and `input` on stdin; returns status, stdout, stderr.
    func app(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { mine, _ in mine }
        let output = Pipe()
        let errors = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, out, err)
    }

    func temporaryDatabaseURL() -> String {
        "sqlite:///" + FileManager.default.temporaryDirectory.appendingPathComponent("vial-\(UUID().uuidString).db").path
    }

    @Test func workerRefusesAConcurrencyOutOfRange() throws {
        for value in ["0", "65"] {
            let (status, _, errors) = try app(["worker", "--concurrency", value], environment: ["DATABASE_URL": temporaryDatabaseURL()])
            #expect(status != 0)
            #expect(errors.contains("--concurrency must be from 1 to 64"))
        }
    }

    @Test func productionRefusesWithoutASecret() throws {
        let (status, _, errors) = try app(["serve", "--port", "0"], environment: ["APP_ENV": "production"])
        #expect(status == 2)
        #expect(errors.contains("JWT_SECRET_KEY"))
    }

    @Test func productionRefusesWithPendingMigrations() throws {
        let (status, _, errors) = try app(
            ["serve", "--port", "0"],
            environment: ["APP_ENV": "production", "JWT_SECRET_KEY": "a-production-secret-value-0123456789abcdef", "DATABASE_URL": temporaryDatabaseURL()])
        #expect(status == 1)
        #expect(errors.contains("migration(s) pending"))
    }

    @Test func dbCommandsMoveBothWaysPerPlugin() throws {
        let environment = ["DATABASE_URL": temporaryDatabaseURL()]
        #expect(try app(["db", "current"], environment: environment).1 == "auth: base\njobs: base\ntasks: base\n")
        #expect(try app(["db", "upgrade"], environment: environment).0 == 0)
        let head = "auth: 0003 (head)\njobs: 0001 (head)\ntasks: 0005 (head)\n"
        #expect(try app(["db", "current"], environment: environment).1 == head)
        let down = try app(["db", "downgrade", "tasks", "0001"], environment: environment)
        #expect(down.1.contains("Downgraded tasks 0002: add tasks.due_date"))
        #expect(try app(["db", "current"], environment: environment).1 == "auth: 0003 (head)\njobs: 0001 (head)\ntasks: 0001\n")
        #expect(try app(["db", "stamp", "tasks", "0005"], environment: environment).0 == 0)
        #expect(try app(["db", "current"], environment: environment).1 == head)
        let refused = try app(["db", "downgrade", "auth", "base"], environment: environment)
        #expect(refused.0 == 1)
        #expect(refused.2.contains("Cannot take 'auth' to base while jobs, tasks"))
        #expect(try app(["db", "upgrade", "tasks", "9999"], environment: environment).0 == 1)
        #expect(try app(["db", "upgrade", "notes"], environment: environment).2.contains("No installed plugin is named 'notes'"))
        #expect(try app(["db", "history"]).1.contains("tasks: 0001 -> 0002, add tasks.due_date"))
    }

    @Test func initDBSeedsAndCreateUserReadsThePasswordFromStdin() throws {
        let environment = ["DATABASE_URL": temporaryDatabaseURL()]
        let initialized = try app(["init-db", "--sample-tasks"], environment: environment)
        #expect(initialized.0 == 0)
        #expect(initialized.1.contains("Seeded development users: admin/password"))
        #expect(initialized.1.contains("Created sample tasks for admin and user."))
        let created = try app(["create-user", "carol", "--email", "carol@example.com", "--role", "admin"], environment: environment, input: "a-long-password\n")
        #expect(created.0 == 0)
        #expect(created.1.contains("Created user carol"))
        let short = try app(["create-user", "dave", "--email", "dave@example.com"], environment: environment, input: "short\n")
        #expect(short.0 == 2)
        #expect(short.2.contains("password"))
        let production = try app(["init-db"], environment: environment.merging(["APP_ENV": "production", "JWT_SECRET_KEY": "a-production-secret-value-0123456789abcdef"]) { a, _ in a })
        #expect(production.0 == 1)
    }

    @Test func badConfigurationExitsWithTheVariableNamed() throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["routes"]
        process.environment = ["PORT": "not-a-port", "PATH": "/usr/bin:/bin"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 2)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("PORT"))
    }
}
