import Foundation
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import Vial
import VialTesting

/// The real server on 127.0.0.1 and an ephemeral port.
@Suite struct ServerTests {
    func app(_ configure: (inout AppConfig) -> Void = { _ in }) -> App {
        var config = AppConfig()
        config.accessLog = false
        configure(&config)
        let app = App("server-test", config: config)
        app.get("/hello") { _ in ["message": "hi"] as JSON }
        app.get("/slow") { _ in
            try await Task.sleep(for: .milliseconds(200))
            return "slow"
        }
        app.get("/fast") { _ in "fast" }
        app.post("/echo") { req in req.bodyText }
        app.get("/greet/<name>") { req in "Hello, \(try req.param("name", as: String.self))" }
        app.get("/on-loop") { _ in MultiThreadedEventLoopGroup.currentEventLoop != nil ? "loop" : "pool" }
        return app
    }

    @Test func servesJSONOverASocket() async throws {
        try await app().withLiveServer { client in
            let response = try await client.get("/hello")
            #expect(response.status == .ok)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            #expect(try response.json() == ["message": "hi"])
            #expect(try await client.get("/greet/Jane%20Doe").text == "Hello, Jane Doe")
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderOnOneConnection() async throws {
        try await app().withLiveServer { client in
            let raw = try await client.sendRaw(
                "GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /fast HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let slow = try #require(raw.range(of: "slow"))
            let fast = try #require(raw.range(of: "fast"))
            #expect(slow.lowerBound < fast.lowerBound)
            #expect(raw.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        }
    }

    @Test func manyPipelinedRequestsAreAllAnsweredInOrder() async throws {
        try await app().withLiveServer { client in
            // More than the handler queues before it pauses reading.
            var raw = ""
            for index in 0..<40 { raw += "GET /greet/n\(index) HTTP/1.1\r\nHost: t\r\n\r\n" }
            raw += "GET /fast HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            let answer = try await client.sendRaw(raw, timeout: .seconds(10))
            var position = answer.startIndex
            for index in 0..<40 {
                let found = try #require(answer.range(of: "Hello, n\(index)", range: position..<answer.endIndex))
                position = found.upperBound
            }
            #expect(answer[position...].contains("fast"))
        }
    }

    @Test func malformedRequestAfterAGoodOneIsAnsweredInTurn() async throws {
        try await app().withLiveServer { client in
            let answer = try await client.sendRaw("GET /slow HTTP/1.1\r\nHost: t\r\n\r\nNOT HTTP AT ALL\r\n\r\n")
            let slow = try #require(answer.range(of: "slow"))
            let bad = try #require(answer.range(of: "400 Bad Request"))
            #expect(slow.lowerBound < bad.lowerBound)
        }
    }

    @Test func keepAliveIsTheDefaultForHTTP11() async throws {
        try await app().withLiveServer { client in
            let (raw, closedByServer) = try await client.exchangeRaw(
                "GET /fast HTTP/1.1\r\nHost: t\r\n\r\n", timeout: .seconds(3))
            // The server kept the connection open: the client timed out and closed it.
            #expect(raw.contains("fast"))
            #expect(!closedByServer)
            #expect(!raw.lowercased().contains("connection: close"))
        }
    }

    @Test func http10ClosesAfterTheResponse() async throws {
        try await app().withLiveServer { client in
            let (raw, closedByServer) = try await client.exchangeRaw("GET /fast HTTP/1.0\r\n\r\n", timeout: .seconds(30))
            #expect(raw.hasPrefix("HTTP/1.0 200 OK"))
            #expect(closedByServer)
        }
    }

    @Test func malformedRequestGetsJSON400AndTheConnectionCloses() async throws {
        try await app().withLiveServer { client in
            let (raw, closedByServer) = try await client.exchangeRaw("GARBAGE\r\n\r\n", timeout: .seconds(30))
            #expect(raw.hasPrefix("HTTP/1.1 400 Bad Request"))
            #expect(raw.contains(#""code":"malformed_request""#))
            #expect(raw.lowercased().contains("connection: close"))
            #expect(closedByServer)
        }
    }

    @Test func declaredBodyOverTheLimitGets413WithoutReadingIt() async throws {
        try await app { $0.maxContentLength = 100 }.withLiveServer { client in
            // Only the head is sent: the server must answer and close without waiting for 1000 bytes.
            let (raw, closedByServer) = try await client.exchangeRaw(
                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n",
                timeout: .seconds(30))
            #expect(raw.hasPrefix("HTTP/1.1 413 Payload Too Large"))
            #expect(raw.contains(#""code":"payload_too_large""#))
            #expect(closedByServer)
        }
    }

    @Test func streamedBodyOverTheLimitGets413() async throws {
        try await app { $0.maxContentLength = 100 }.withLiveServer { client in
            let chunk = String(repeating: "x", count: 80)
            let raw = try await client.sendRaw(
                "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n\(chunk)\r\n50\r\n\(chunk)\r\n",
                timeout: .seconds(5))
            #expect(raw.hasPrefix("HTTP/1.1 413"))
        }
    }

    @Test func bodyWithinTheLimitIsDelivered() async throws {
        try await app { $0.maxContentLength = 100 }.withLiveServer { client in
            let response = try await client.send(.POST, "/echo", body: "hello body", contentType: "text/plain")
            #expect(response.text == "hello body")
        }
    }

    @Test func expectContinueGetsAnInterimResponse() async throws {
        try await app().withLiveServer { client in
            let raw = try await client.sendRaw(
                "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
            #expect(raw.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"))
            #expect(raw.hasSuffix("hi"))
        }
    }

    @Test func headOverTheWireHasLengthButNoBody() async throws {
        try await app().withLiveServer { client in
            let raw = try await client.sendRaw("HEAD /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(raw.hasPrefix("HTTP/1.1 200 OK"))
            #expect(raw.lowercased().contains("content-length: 17"))
            #expect(raw.hasSuffix("\r\n\r\n"))
        }
    }

    @Test func slowRequestGets408AndIsClosed() async throws {
        try await app { $0.requestReadTimeout = 1 }.withLiveServer { client in
            let (raw, closedByServer) = try await client.exchangeRaw("GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow", timeout: .seconds(30))
            #expect(raw.hasPrefix("HTTP/1.1 408 Request Timeout"))
            #expect(closedByServer)
        }
    }

    @Test func idleConnectionIsClosed() async throws {
        try await app { $0.idleTimeout = 1 }.withLiveServer { client in
            let (raw, closedByServer) = try await client.exchangeRaw("", timeout: .seconds(30))
            #expect(raw.isEmpty)
            #expect(closedByServer)
        }
    }

    @Test func handlerWithoutIOStaysOnItsEventLoop() async throws {
        try await app().withLiveServer { client in
            let text = try await client.get("/on-loop").text
            #expect(text == "loop")
        }
    }

    /// A server without a group (`app.run()`'s) serves on NIO's shared loops, where
    /// postgres-nio's connections live too, unless the configuration asks for a number of loops.
    @Test func appsRunOnTheSharedEventLoops() async throws {
        let app = App("shared")
        let shared = HTTPServer(responder: try app.build(), config: app.config, logger: app.logger)
        #expect(shared.group as? MultiThreadedEventLoopGroup === MultiThreadedEventLoopGroup.singleton)
        var config = AppConfig()
        config.eventLoopThreads = 2
        let own = HTTPServer(responder: try app.build(), config: config, logger: app.logger)
        let group = try #require(own.group as? MultiThreadedEventLoopGroup)
        #expect(group !== MultiThreadedEventLoopGroup.singleton)
        #expect(Array(group.makeIterator()).count == 2)
        try await group.shutdownGracefully()
    }

    @Test func gracefulShutdownFinishesInFlightRequests() async throws {
        // The handler says when it has started, so shutdown begins with the request truly in flight
        // however slow the machine is.
        let started = NIOLockedValueBox(false)
        var config = AppConfig()
        config.accessLog = false
        let app = App("shutdown-test", config: config)
        app.get("/slow") { _ in
            started.withLockedValue { $0 = true }
            try await Task.sleep(for: .milliseconds(300))
            return "slow"
        }
        app.get("/fast") { _ in "fast" }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = HTTPServer(responder: try app.build(), config: app.config, logger: app.logger, group: group)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let client = LiveTestClient(port: port, group: group)
        async let slow = client.get("/slow")
        while !started.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        await server.shutdown()
        let response = try await slow
        #expect(response.status == .ok)
        #expect(response.text == "slow")
        // The listener is gone: new connections are refused.
        await #expect(throws: (any Error).self) { _ = try await client.get("/fast") }
        try await group.shutdownGracefully()
    }

}

@Suite struct HTTPDateTests {
    @Test func formatsIMFFixdate() {
        #expect(HTTPDateCache.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDateCache.format(1_795_707_869) == "Thu, 26 Nov 2026 15:44:29 GMT")
    }
}

/// A request sent on an idle keep-alive connection just as shutdown begins (the client cannot
/// know) is answered, with `Connection: close`, instead of meeting a closed connection: SIGTERM
/// during 500 such requests failed up to 491 of them (the reliability suite, issue 10).
///
/// The steps are ordered by the server's own awaits, not by sleeps or clocks: a sleep-ordered
/// version failed in CI when the loaded test run held the test's task past the 500 ms grace.
@Suite struct ShutdownDrainTests {
    let request = "GET /fast HTTP/1.1\r\nHost: t\r\n\r\n"

    /// A server with `idleGrace`, one keep-alive connection that has had an answer, then shutdown
    /// begun (`stopAccepting` returns once the connection has been told); `body` gets the
    /// connection and the port; afterwards the server drains.
    func atShutdown(idleGrace: TimeAmount, _ body: (BlockingSocket, Int) async throws -> Void) async throws {
        var config = AppConfig()
        config.accessLog = false
        let app = App("drain-test", config: config)
        app.get("/fast") { _ in "fast" }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = HTTPServer(
            responder: try app.build(), config: app.config, logger: app.logger, group: group, idleGraceOnShutdown: idleGrace)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let socket = try BlockingSocket(port: port)
        try socket.send(request)
        #expect(try socket.receive(until: "fast").hasPrefix("HTTP/1.1 200"))
        #expect(await server.stopAccepting())
        try await body(socket, port)
        await server.drain()
        socket.close()
        try await group.shutdownGracefully()
    }

    @Test func aRequestArrivingOnAnIdleConnectionAsShutdownBeginsIsAnswered() async throws {
        // A grace no scheduling delay outruns; the connection closes after its answer anyway.
        try await atShutdown(idleGrace: .seconds(60)) { socket, port in
            #expect(throws: (any Error).self) { try BlockingSocket(port: port) }  // the listener is gone
            try socket.send(request)
            let answer = try socket.receive(until: "fast")
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(answer.lowercased().contains("connection: close"))
            #expect(socket.waitForClose(), "closed after its answer, not held for the grace")
        }
    }

    @Test func anIdleConnectionThatStaysSilentClosesAfterTheGrace() async throws {
        // Only the grace can close it: shutdown's own deadline comes with `drain`, later.
        try await atShutdown(idleGrace: .milliseconds(200)) { socket, _ in
            #expect(socket.waitForClose())
        }
    }
}

/// `serve --unix PATH`: the server behind nginx on the same machine, through a socket file.
@Suite struct UnixSocketTests {
    @Test func servesOnASocketFileAndBelievesItsProxysHeaders() async throws {
        let path = NSTemporaryDirectory() + "vial-\(UUID().uuidString.prefix(8)).sock"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A stale socket file, as a killed server leaves behind, is replaced.
        BlockingSocket.leaveStaleSocketFile(at: path)
        #expect(FileManager.default.fileExists(atPath: path))
        var config = AppConfig()
        config.accessLog = false
        let app = App("unix-test", config: config)
        app.get("/who") { req in ["client": .string(req.clientAddress ?? "-"), "base": .string(req.externalBase)] as JSON }
        let server = HTTPServer(responder: try app.build(), config: config, logger: app.logger)
        try await server.start(unixSocket: path)
        // nginx's request: only what can open the socket file reaches the server, so the proxy's
        // X-Forwarded-* headers decide the client address and the external URL.
        let socket = try BlockingSocket(unixPath: path)
        try socket.send(
            "GET /who HTTP/1.1\r\nHost: api.example.com\r\nX-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n"
                + "X-Forwarded-Host: api.example.com\r\nConnection: close\r\n\r\n")
        let response = try socket.receive(until: "}")
        socket.close()
        #expect(response.hasPrefix("HTTP/1.1 200 OK"))
        #expect(response.contains("\"client\":\"203.0.113.9\""))
        #expect(response.contains("\"base\":\"https:\\/\\/api.example.com\"") || response.contains("\"base\":\"https://api.example.com\""))
        await server.shutdown()
    }
}

/// A plain blocking TCP client on loopback, for tests that need one connection across requests.
final class BlockingSocket {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    /// A connection to the Unix domain socket at `path`.
    init(unixPath path: String) throws {
        descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = Self.withUnixAddress(path) { Glibc.connect(descriptor, $0, $1) }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    /// Binds a socket at `path` and closes it without removing the file (what a killed server leaves).
    static func leaveStaleSocketFile(at path: String) {
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        _ = withUnixAddress(path) { Glibc.bind(descriptor, $0, $1) }
        _ = Glibc.close(descriptor)
    }

    private static func withUnixAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.utf8.prefix(bytes.count - 1).enumerated() { bytes[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw POSIXError(.EPIPE) }
    }

    /// Reads until `marker` has arrived, the peer closes (what came, possibly empty) or 5 s pass.
    func receive(until marker: String) throws -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains(marker) {
            let count = Glibc.recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Reads (and drops) until the peer closes: true, or until the 5 s receive timeout: false.
    func waitForClose() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 { return false }
        }
    }

    func close() { _ = Glibc.close(descriptor) }
}
