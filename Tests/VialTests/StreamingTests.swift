import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import Vial
import VialTesting

/// Streamed responses over a real socket: bytes out before the handler returns, framing,
/// HEAD, back-pressure, cancellation, guards and shutdown.
@Suite struct StreamingTests {
    /// A one-shot signal a test opens to let a producer go on.
    final class Gate: Sendable {
        private let stream: AsyncStream<Void>
        private let continuation: AsyncStream<Void>.Continuation
        init() { (stream, continuation) = AsyncStream.makeStream() }
        func open() { continuation.yield(); continuation.finish() }
        func wait() async { for await _ in stream { return } }
    }

    /// Counters a producer reports into.
    final class Probe: Sendable {
        let runs = NIOLockedValueBox(0)
        let written = NIOLockedValueBox(0)
        let cancelled = NIOLockedValueBox(false)
        let finishedBytes = NIOLockedValueBox<Int?>(nil)
    }

    func app(_ configure: (inout AppConfig) -> Void = { _ in }, routes: (App) -> Void) -> App {
        var config = AppConfig()
        config.accessLog = false
        configure(&config)
        let app = App("stream-test", config: config)
        routes(app)
        return app
    }

    @Test func theFirstChunkArrivesWhileTheHandlerIsStillWriting() async throws {
        let gate = Gate()
        let app = app { app in
            app.get("/two") { _ in
                Response.stream(contentType: "text/plain") { writer in
                    try await writer.write("first\n")
                    await gate.wait()
                    try await writer.write("second\n")
                }
            }
        }
        try await app.withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send("GET /two HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await connection.waitFor("first\n"))
            #expect(!connection.text.contains("second"))
            #expect(connection.text.contains("Transfer-Encoding: chunked") || connection.text.contains("transfer-encoding: chunked"))
            gate.open()
            #expect(try await connection.waitFor("0\r\n\r\n"))
            #expect(connection.text.contains("second\n"))
            // The connection stays open for the next request.
            try await connection.send("GET /two HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(try await connection.waitForClose())
            #expect(connection.text.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
            await connection.close()
        }
    }

    @Test func aKnownLengthIsSentAsContentLength() async throws {
        let app = app { app in
            app.get("/sized") { _ in
                Response.stream(length: 10) { writer in
                    try await writer.write("01234")
                    try await writer.write("56789")
                }
            }
        }
        try await app.withLiveServer { client in
            let response = try await client.get("/sized")
            #expect(response.status == .ok)
            #expect(response.header("Content-Length") == "10")
            #expect(response.header("Transfer-Encoding") == nil)
            #expect(response.text == "0123456789")
        }
    }

    @Test func aStreamShorterThanItsLengthClosesTheConnection() async throws {
        let app = app { app in
            app.get("/short") { _ in Response.stream(length: 100) { try await $0.write("only this") } }
        }
        try await app.withLiveServer { client in
            let (raw, closedByServer) = try await client.exchangeRaw("GET /short HTTP/1.1\r\nHost: t\r\n\r\n", timeout: .seconds(5))
            #expect(closedByServer)
            #expect(raw.hasSuffix("only this"))
        }
    }

    @Test func anErrorMidStreamCutsTheBodyWithoutTheTerminator() async throws {
        struct Broken: Error {}
        let app = app { app in
            app.get("/broken") { _ in
                Response.stream { writer in
                    try await writer.write("part")
                    throw Broken()
                }
            }
        }
        try await app.withLiveServer { client in
            let (raw, closedByServer) = try await client.exchangeRaw("GET /broken HTTP/1.1\r\nHost: t\r\n\r\n", timeout: .seconds(5))
            #expect(closedByServer)
            #expect(raw.contains("part"))
            #expect(!raw.hasSuffix("0\r\n\r\n"))
        }
    }

    @Test func headAnswersWithoutRunningTheBody() async throws {
        let probe = Probe()
        let app = app { app in
            app.get("/export") { _ in
                var response = Response.stream { writer in
                    probe.runs.withLockedValue { $0 += 1 }
                    try await writer.write("rows")
                }
                response.stream?.whenFinished { sent in probe.finishedBytes.withLockedValue { $0 = sent } }
                return response
            }
        }
        try await app.withLiveServer { client in
            let (raw, _) = try await client.exchangeRaw("HEAD /export HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(raw.hasPrefix("HTTP/1.1 200 OK"))
            #expect(!raw.contains("rows"))
            #expect(!raw.contains("0\r\n\r\n"))
        }
        #expect(probe.runs.withLockedValue { $0 } == 0)
        #expect(probe.finishedBytes.withLockedValue { $0 } == 0)
    }

    @Test func http10WithoutALengthIsFramedByClosing() async throws {
        let app = app { app in
            app.get("/plain") { _ in Response.stream { try await $0.write("hello 1.0") } }
        }
        try await app.withLiveServer { client in
            let (raw, closedByServer) = try await client.exchangeRaw("GET /plain HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(closedByServer)
            #expect(raw.lowercased().contains("connection: close"))
            #expect(!raw.lowercased().contains("transfer-encoding"))
            #expect(raw.hasSuffix("\r\n\r\nhello 1.0"))
        }
    }

    @Test func aClientThatGoesAwayCancelsTheProducer() async throws {
        let probe = Probe()
        let app = app { app in
            app.get("/forever") { _ in
                Response.stream { writer in
                    do {
                        while true {
                            try await writer.write("tick\n")
                            try await Task.sleep(for: .milliseconds(20))
                        }
                    } catch {
                        probe.cancelled.withLockedValue { $0 = true }
                        throw error
                    }
                }
            }
        }
        try await app.withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await connection.waitFor("tick\n"))
            await connection.close()
            let deadline = ContinuousClock.now + .seconds(5)
            while !probe.cancelled.withLockedValue({ $0 }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(probe.cancelled.withLockedValue { $0 })
        }
    }

    @Test func aClientThatStopsReadingSuspendsTheProducerThenIsDropped() async throws {
        let probe = Probe()
        let app = app({ $0.streamSendTimeout = 2 }) { app in
            app.get("/flood") { _ in
                Response.stream { writer in
                    let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 65_536)
                    do {
                        for _ in 0..<4_096 {  // 256 MiB if nothing held it back
                            try await writer.write(chunk)
                            probe.written.withLockedValue { $0 += chunk.readableBytes }
                        }
                    } catch {
                        probe.cancelled.withLockedValue { $0 = true }
                        throw error
                    }
                }
            }
        }
        try await app.withLiveServer { client in
            let connection = try await client.openRaw(autoRead: false)
            try await connection.send("GET /flood HTTP/1.1\r\nHost: t\r\n\r\n")
            try await Task.sleep(for: .milliseconds(700))
            let held = probe.written.withLockedValue { $0 }
            // The socket buffers and the channel's high-water mark, not 256 MiB.
            #expect(held < 32 << 20, "wrote \(held) bytes to a client that reads nothing")
            let deadline = ContinuousClock.now + .seconds(8)
            while !probe.cancelled.withLockedValue({ $0 }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(probe.cancelled.withLockedValue { $0 }, "the stalled stream was not dropped")
            await connection.close()
        }
    }

    @Test func aGuardEndsTheStreamCleanly() async throws {
        let app = app { app in
            app.get("/guarded") { _ in
                var response = Response.stream { writer in
                    while true {
                        try await writer.write("beat\n")
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
                response.stream?.addGuard(StreamGuard(reason: "test deadline", deadline: Date().addingTimeInterval(0.3)))
                return response
            }
        }
        try await app.withLiveServer { client in
            // Without the guard the producer never ends; with it the chunked body is ended properly.
            let connection = try await client.openRaw()
            try await connection.send("GET /guarded HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await connection.waitFor("beat\n"))
            #expect(try await connection.waitFor("\r\n0\r\n\r\n", timeout: .seconds(20)))
            await connection.close()
        }
    }

    @Test func aRecheckThatFailsEndsTheStream() async throws {
        let valid = NIOLockedValueBox(true)
        let app = app { app in
            app.get("/rechecked") { _ in
                var response = Response.stream { writer in
                    while true {
                        try await writer.write("beat\n")
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                response.stream?.addGuard(
                    StreamGuard(reason: "revoked", recheckEvery: .milliseconds(50)) { valid.withLockedValue { $0 } })
                return response
            }
        }
        try await app.withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send("GET /rechecked HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await connection.waitFor("beat\n"))
            try await Task.sleep(for: .milliseconds(200))
            #expect(!connection.text.contains("0\r\n\r\n"))
            valid.withLockedValue { $0 = false }
            #expect(try await connection.waitFor("0\r\n\r\n", timeout: .seconds(3)))
            await connection.close()
        }
    }

    @Test func gracefulShutdownEndsOpenStreamsPromptly() async throws {
        var config = AppConfig()
        config.accessLog = false
        config.shutdownTimeout = 20
        let app = App("stream-shutdown", config: config)
        app.get("/events") { _ in
            Response.eventStream(ping: .milliseconds(100)) { events in
                try await events.send(ServerSentEvent(data: "hello"))
                try await Task.sleep(for: .seconds(3600))
            }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = HTTPServer(responder: try app.build(), config: config, logger: app.logger, group: group)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let connection = try await LiveTestClient(port: port, group: group).openRaw()
        try await connection.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await connection.waitFor("data: hello\n\n"))
        let started = ContinuousClock.now
        await server.shutdown()
        // Well before the 20 s that a stream holding on would take.
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(try await connection.waitForClose(timeout: .seconds(2)))
        #expect(connection.text.hasSuffix("0\r\n\r\n"))
        try await group.shutdownGracefully()
    }

    @Test func theAccessLogRecordsTheBytesSentWhenTheStreamEnds() async throws {
        let lines = CapturedLines()
        var config = AppConfig()
        config.accessLog = true
        let app = App("stream-log", config: config, logger: Logger(label: "test") { _ in CapturingHandler(lines: lines) })
        app.get("/ten") { _ in Response.stream { writer in for _ in 0..<10 { try await writer.write("0123456789") } } }
        let client = try app.testClient()
        _ = try await client.get("/ten")
        #expect(lines.all.contains { $0.contains("\"GET /ten HTTP/1.1\" 200 100 ") })
    }

    @Test func theInProcessClientCollectsAStream() async throws {
        let app = app { app in
            app.get("/lines") { _ in Response.jsonLines([["n": 1], ["n": 2]] as [[String: Int]]) }
        }
        let response = try await app.testClient().get("/lines")
        #expect(response.header("Content-Type") == "application/x-ndjson")
        #expect(response.text == "{\"n\":1}\n{\"n\":2}\n")
    }

    @Test func jsonLinesFromAnAsyncSequenceSendsEachLineAsItComes() async throws {
        let gate = Gate()
        let app = app { app in
            app.get("/live") { _ in
                let rows = AsyncStream<[String: Int]> { continuation in
                    Task {
                        continuation.yield(["n": 1])
                        await gate.wait()
                        continuation.yield(["n": 2])
                        continuation.finish()
                    }
                }
                return Response.jsonLines(rows)
            }
        }
        try await app.withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send("GET /live HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(try await connection.waitFor("{\"n\":1}\n"))
            #expect(!connection.text.contains("\"n\":2"))
            gate.open()
            #expect(try await connection.waitFor("{\"n\":2}\n"))
            #expect(try await connection.waitForClose())
        }
    }
}
