import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import Vial
import VialTesting

/// Streamed request bodies over a real socket: past MAX_CONTENT_LENGTH, limits, 100-continue,
/// a minimum rate, early answers and clients that vanish.
@Suite struct RequestStreamingTests {
    final class Probe: Sendable {
        let runs = NIOLockedValueBox(0)
        let failure = NIOLockedValueBox<String?>(nil)
    }

    /// Refuses requests without `X-Key: open` (stands in for a JWT check).
    struct KeyCheck: Middleware {
        func handle(_ request: Request, next: Handler) async throws -> Response {
            guard request.header("X-Key") == "open" else { throw HTTPError.unauthorized("No key") }
            return try await next(request)
        }
    }

    func app(_ probe: Probe = Probe(), _ configure: (inout AppConfig) -> Void = { _ in }) -> App {
        var config = AppConfig()
        config.accessLog = false
        configure(&config)
        let app = App("upload-test", config: config)
        // Counts the bytes and sums them, never holding the body.
        app.post("/count", KeyCheck(), streamedBody(maxSize: 64 << 20)) { req in
            probe.runs.withLockedValue { $0 += 1 }
            var size = 0, sum = 0
            do {
                for try await chunk in req.bodyStream {
                    size += chunk.readableBytes
                    sum &+= chunk.withUnsafeReadableBytes { bytes in bytes.reduce(0) { $0 &+ Int($1) } }
                }
            } catch {
                probe.failure.withLockedValue { $0 = "\(type(of: error)): \(error)" }
                throw error
            }
            return ["bytes": .int(size), "sum": .int(sum)] as JSON
        }
        app.post("/small", KeyCheck(), streamedBody(maxSize: 1_000)) { req in
            let body = try await req.bodyStream.collect(upTo: 1_000)
            return ["bytes": .int(body.readableBytes)] as JSON
        }
        app.post("/early", streamedBody(maxSize: 1 << 30)) { _ in "answered without reading" }
        // Lets the body pile up (reading pauses) before taking it.
        app.post("/late", streamedBody(maxSize: 64 << 20)) { req in
            var size = 0
            for try await chunk in req.bodyStream {
                size += chunk.readableBytes
                try await Task.sleep(for: .milliseconds(2))
            }
            return ["bytes": .int(size)] as JSON
        }
        app.post("/collected") { req in
            var size = 0
            for try await chunk in req.bodyStream { size += chunk.readableBytes }
            return ["bytes": .int(size)] as JSON
        }
        return app
    }

    @Test func aBodyFarPastMaxContentLengthStreamsThrough() async throws {
        let probe = Probe()
        let bytes = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let body = ByteBuffer(bytes: bytes)
        let sum = bytes.withUnsafeBufferPointer { $0.reduce(0) { $0 &+ Int($1) } }
        try await app(probe).withLiveServer { client in
            let response = try await client.execute(.POST, "/count", headers: ["X-Key": "open"], body: body)
            #expect(response.status == .ok)
            #expect(try response.json() == ["bytes": .int(8 << 20), "sum": .int(sum)])
        }
    }

    @Test func chunkedBodiesStreamAndKeepTheConnection() async throws {
        try await app().withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send(
                "POST /count HTTP/1.1\r\nHost: t\r\nX-Key: open\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            #expect(try await connection.waitFor(#""bytes":11"#))
            try await connection.send("GET /nothing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(try await connection.waitForClose())
            #expect(connection.text.contains("404 Not Found"))
            await connection.close()
        }
    }

    @Test func theNextRequestIsReadAfterABodyThatPausedReading() async throws {
        try await app().withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send("POST /late HTTP/1.1\r\nHost: t\r\nContent-Length: \(3 << 20)\r\n\r\n")
            try await connection.send(String(repeating: "y", count: 3 << 20))
            #expect(try await connection.waitFor(#""bytes":3145728"#, timeout: .seconds(30)))
            try await connection.send("GET /after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(try await connection.waitFor("404 Not Found", timeout: .seconds(5)))
            await connection.close()
        }
    }

    @Test func aDeclaredLengthOverTheLimitIs413BeforeTheHandlerRuns() async throws {
        let probe = Probe()
        try await app(probe).withLiveServer { client in
            let (raw, closed) = try await client.exchangeRaw(
                "POST /count HTTP/1.1\r\nHost: t\r\nX-Key: open\r\nContent-Length: \(65 << 20)\r\n\r\nabc")
            #expect(raw.hasPrefix("HTTP/1.1 413"))
            #expect(raw.contains("payload_too_large"))
            #expect(closed)
        }
        #expect(probe.runs.withLockedValue { $0 } == 0)
    }

    @Test func aBodyThatGrowsPastTheLimitIs413AndTheRestIsNotRead() async throws {
        try await app().withLiveServer { client in
            let chunk = String(repeating: "x", count: 600)
            let hex = String(600, radix: 16)
            let (raw, closed) = try await client.exchangeRaw(
                "POST /small HTTP/1.1\r\nHost: t\r\nX-Key: open\r\nTransfer-Encoding: chunked\r\n\r\n\(hex)\r\n\(chunk)\r\n\(hex)\r\n\(chunk)\r\n")
            #expect(raw.hasPrefix("HTTP/1.1 413"))
            #expect(closed)
        }
    }

    @Test func continueIsSentOnlyOnceTheRouteReadsTheBody() async throws {
        try await app().withLiveServer { client in
            // Refused by the middleware: 401, and no 100 Continue before it.
            let refused = try await client.openRaw()
            try await refused.send("POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await refused.waitFor("401 Unauthorized"))
            #expect(!refused.text.contains("100 Continue"))
            await refused.close()
            // Accepted: 100 Continue, then the body, then the answer.
            let accepted = try await client.openRaw()
            try await accepted.send("POST /count HTTP/1.1\r\nHost: t\r\nX-Key: open\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            #expect(try await accepted.waitFor("HTTP/1.1 100 Continue\r\n\r\n"))
            try await accepted.send("hello")
            #expect(try await accepted.waitFor(#""bytes":5"#))
            await accepted.close()
        }
    }

    @Test func aTrickleIs408() async throws {
        let probe = Probe()
        try await app(probe, { $0.bodyMinRate = 100_000 }).withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send("POST /count HTTP/1.1\r\nHost: t\r\nX-Key: open\r\nContent-Length: 100000\r\n\r\nabc")
            // Nothing more: within two rate windows (5 s each) the body is given up on.
            #expect(try await connection.waitFor("408 Request Timeout", timeout: .seconds(15)))
            #expect(try await connection.waitForClose())
            await connection.close()
        }
        #expect(probe.failure.withLockedValue { $0 }?.contains("slower than") == true)
    }

    @Test func anAnswerBeforeTheBodyEndsClosesTheConnection() async throws {
        try await app().withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send("POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\npartial")
            #expect(try await connection.waitFor("answered without reading"))
            #expect(try await connection.waitForClose())
            await connection.close()
        }
    }

    @Test func aClientThatVanishesMidBodyEndsTheReadWithAnError() async throws {
        let probe = Probe()
        try await app(probe).withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send("POST /count HTTP/1.1\r\nHost: t\r\nX-Key: open\r\nContent-Length: 1000000\r\n\r\nsome")
            try await Task.sleep(for: .milliseconds(200))
            await connection.close()
            let deadline = ContinuousClock.now + .seconds(10)
            while probe.failure.withLockedValue({ $0 }) == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(probe.failure.withLockedValue { $0 }?.contains("went away") == true, "\(probe.failure.withLockedValue { $0 } ?? "-")")
    }

    @Test func inProcessAndCollectedBodiesReadTheSameWay() async throws {
        let client = try app().testClient()
        let counted = try await client.send(.POST, "/count", body: "hello", headers: ["X-Key": "open"])
        #expect(try counted.json()["bytes"] == 5)
        let collected = try await client.send(.POST, "/collected", body: "four")
        #expect(try collected.json()["bytes"] == 4)
        let listing = RouteListing.render(try app().routes())
        #expect(listing.contains("body(stream ≤ 64 MiB)"))
    }
}
