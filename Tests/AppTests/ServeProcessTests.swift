import Foundation
import NIOPosix
import Testing
import Vial

/// `App serve` as a user runs it: the built binary, real signals.
@Suite(.serialized) struct ServeProcessTests {
    /// The `App` executable next to the test bundle (`swift build --build-tests` builds both).
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("App")
    }

    /// Starts `App serve --port 0`, waits for the start-up lines, and returns the process, its
    /// output pipe and the port it printed.
    func start() async throws -> (Process, Pipe, Int) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["serve", "--port", "0", "--env", "testing"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let chunk = output.fileHandleForReading.availableData
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.contains("Running on http://127.0.0.1:") }),
                let port = Int(line.split(separator: ":").last ?? "")
            {
                #expect(text.contains(" * Serving Vial app 'tasks-api'"))
                return (process, output, port)
            }
            if chunk.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        process.terminate()
        throw CancellationError()
    }

    @Test(arguments: [SIGTERM, SIGINT]) func serveAnswersThenShutsDownCleanlyOnSignal(signal: Int32) async throws {
        let (process, output, port) = try await start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = LiveTestClient(port: port, group: group)
        let response = try await client.get("/health")
        #expect(response.status == .ok)
        #expect(try response.json() == ["status": "ok"])
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains(" * Shut down cleanly"))
        try await group.shutdownGracefully()
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
