// The WebSocket load generator for Benchmarks/websockets.py, on swift-nio's client upgrader and
// frame codec (the same client for Vial and the Hummingbird peer):
//
//   WSLoad echo --port P [--connections 64] [--seconds 10] [--size 32]
//       each connection sends a message, waits for its echo, sends the next; prints messages a
//       second and the round-trip p50/p99 as one JSON line.
//   WSLoad broadcast --port P --server-pid PID [--connections 10000] [--rounds 5]
//       opens the sockets on /broadcast, reads the server's RSS before and after, then POSTs
//       /publish each round and waits until every socket has the message: prints the time until
//       the last one got it, the p50/p99 of delivery, and the server's memory per socket.
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

func option(_ name: String, _ fallback: Int) -> Int {
    CommandLine.arguments.firstIndex(of: "--\(name)").flatMap { Int(CommandLine.arguments[$0 + 1]) } ?? fallback
}

let mode = CommandLine.arguments.dropFirst().first ?? "echo"
let port = option("port", 8084)
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

func nanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
func wallNanos() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }

/// Opens a WebSocket on `path` with `handler` receiving its frames.
func open(_ path: String, _ handler: @escaping @Sendable () -> any ChannelHandler) async throws -> any Channel {
    let upgraded = group.next().makePromise(of: Void.self)
    let channel = try await ClientBootstrap(group: group)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .channelInitializer { channel in
            let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 20, automaticErrorHandling: false) { channel, _ in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler()) }
            }
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers(
                    withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in upgraded.succeed() }))
            }
        }
        .connect(host: "127.0.0.1", port: port).get()
    channel.closeFuture.whenComplete { _ in upgraded.fail(ChannelError.ioOnClosedChannel) }
    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: ["Host": "127.0.0.1:\(port)"])
    channel.write(HTTPClientRequestPart.head(head), promise: nil)
    try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
    try await upgraded.futureResult.get()
    return channel
}

func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1_000_000
}

/// One echo connection: sends, waits for the echo, records the round trip, sends again.
final class EchoHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let payload: String
    let deadline: UInt64
    let done: EventLoopPromise<[UInt64]>
    var trips: [UInt64] = []
    var sentAt: UInt64 = 0

    init(payload: String, deadline: UInt64, done: EventLoopPromise<[UInt64]>) {
        self.payload = payload
        self.deadline = deadline
        self.done = done
        trips.reserveCapacity(1 << 16)
    }

    func handlerAdded(context: ChannelHandlerContext) { send(context) }

    func send(_ context: ChannelHandlerContext) {
        sentAt = nanos()
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: context.channel.allocator.buffer(string: payload))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .text else { return }
        let now = nanos()
        trips.append(now - sentAt)
        if now < deadline {
            send(context)
        } else {
            done.succeed(trips)
            var close = context.channel.allocator.buffer(capacity: 2)
            close.writeInteger(UInt16(1000))
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: close)), promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) { done.succeed(trips) }
}

/// One broadcast socket: records when each published stamp arrived (wall-clock delay).
final class BroadcastHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    let received: NIOLockedValueBox<[Int64: [Int64]]>

    init(received: NIOLockedValueBox<[Int64: [Int64]]>) { self.received = received }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard frame.opcode == .text, let stamp = Int64(String(buffer: frame.unmaskedData)) else { return }
        let delay = wallNanos() - stamp
        received.withLockedValue { $0[stamp, default: []].append(delay) }
    }
}

func rssKiB(_ pid: Int) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
    }
    return 0
}

/// `POST /publish` on a plain socket; answers the stamp the server published.
func publish() throws -> Int64 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw ChannelError.connectTimeout(.seconds(0)) }
    let request = "POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    _ = request.withCString { write(fd, $0, strlen($0)) }
    var answer = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(fd, &chunk, chunk.count)
        if count <= 0 { break }
        answer += chunk[0..<count]
    }
    let text = String(decoding: answer, as: UTF8.self)
    guard let body = text.components(separatedBy: "\r\n\r\n").last, let stamp = Int64(body.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw ChannelError.inputClosed
    }
    return stamp
}

switch mode {
case "echo":
    let connections = option("connections", 64)
    let seconds = option("seconds", 10)
    let payload = String(repeating: "x", count: option("size", 32))
    let deadline = nanos() + UInt64(seconds) * 1_000_000_000
    var results: [EventLoopFuture<[UInt64]>] = []
    var channels: [any Channel] = []
    let started = nanos()
    for _ in 0..<connections {
        let done = group.next().makePromise(of: [UInt64].self)
        results.append(done.futureResult)
        channels.append(try await open("/echo") { EchoHandler(payload: payload, deadline: deadline, done: done) })
    }
    var trips: [UInt64] = []
    for result in results { trips += try await result.get() }
    let elapsed = Double(nanos() - started) / 1e9
    trips.sort()
    print(#"{"messages": \#(trips.count), "per_second": \#(Int(Double(trips.count) / elapsed)), "p50_ms": \#(percentile(trips, 0.5)), "p99_ms": \#(percentile(trips, 0.99))}"#)
    for channel in channels { channel.close(promise: nil) }
case "broadcast":
    let connections = option("connections", 10_000)
    let rounds = option("rounds", 5)
    let serverPID = option("server-pid", 0)
    let received = NIOLockedValueBox<[Int64: [Int64]]>([:])
    let before = rssKiB(serverPID)
    var channels: [any Channel] = []
    for start in stride(from: 0, to: connections, by: 100) {
        let batch = try await withThrowingTaskGroup(of: (any Channel).self) { tasks in
            for _ in start..<min(start + 100, connections) {
                tasks.addTask { try await open("/broadcast") { BroadcastHandler(received: received) } }
            }
            var opened: [any Channel] = []
            for try await channel in tasks { opened.append(channel) }
            return opened
        }
        channels += batch
    }
    try await Task.sleep(for: .seconds(2))
    let after = rssKiB(serverPID)
    var lasts: [Double] = []
    var all: [UInt64] = []
    for _ in 0..<rounds {
        let stamp = try publish()
        let waitUntil = nanos() + 30_000_000_000
        while received.withLockedValue({ $0[stamp]?.count ?? 0 }) < connections, nanos() < waitUntil {
            try await Task.sleep(for: .milliseconds(5))
        }
        let delays = received.withLockedValue { $0[stamp] ?? [] }.map { UInt64(max($0, 0)) }.sorted()
        lasts.append(Double(delays.last ?? 0) / 1e6)
        all += delays
        try await Task.sleep(for: .seconds(1))
    }
    all.sort()
    let perSocket = Double(after - before) / Double(connections)
    print(#"{"sockets": \#(channels.count), "delivered": \#(all.count), "last_ms": \#(lasts.sorted()[lasts.count / 2]), "p50_ms": \#(percentile(all, 0.5)), "p99_ms": \#(percentile(all, 0.99)), "rss_before_kib": \#(before), "rss_after_kib": \#(after), "kib_per_socket": \#((perSocket * 10).rounded() / 10)}"#)
    for channel in channels { channel.close(promise: nil) }
default:
    print("usage: WSLoad echo|broadcast --port P …")
}
try await group.shutdownGracefully()
