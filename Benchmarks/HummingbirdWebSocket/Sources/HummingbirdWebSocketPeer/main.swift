// WSBench's program on hummingbird-websocket, as the project's README and examples write it:
// `/echo` sends every message back; `/broadcast` forwards what `POST /publish` publishes to every
// open socket (a hub of AsyncStreams, one per socket, 256 messages each, as Vial's broker).
// Messages up to 1 MiB, as Vial's default. Hummingbird logs no requests by default.
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Synchronization

final class Hub: Sendable {
    private let subscribers = Mutex<(next: Int, all: [Int: AsyncStream<String>.Continuation])>((0, [:]))

    func subscribe() -> (Int, AsyncStream<String>) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(256))
        let id = subscribers.withLock { state in
            defer { state.next += 1 }
            state.all[state.next] = continuation
            return state.next
        }
        return (id, stream)
    }

    func unsubscribe(_ id: Int) {
        subscribers.withLock { $0.all.removeValue(forKey: id) }?.finish()
    }

    func publish(_ text: String) {
        for continuation in subscribers.withLock({ Array($0.all.values) }) { continuation.yield(text) }
    }
}

let port = CommandLine.arguments.firstIndex(of: "--port").flatMap { Int(CommandLine.arguments[$0 + 1]) } ?? 8085
let hub = Hub()
let router = Router()
router.post("/publish") { _, _ -> String in
    let stamp = String(Int64(Date().timeIntervalSince1970 * 1_000_000_000))
    hub.publish(stamp)
    return stamp
}
let sockets = Router(context: BasicWebSocketRequestContext.self)
sockets.ws("/echo") { inbound, outbound, _ in
    for try await message in inbound.messages(maxSize: 1 << 20) {
        switch message {
        case .text(let text): try await outbound.write(.text(text))
        case .binary(let bytes): try await outbound.write(.binary(bytes))
        }
    }
}
sockets.ws("/broadcast") { inbound, outbound, _ in
    let (id, stream) = hub.subscribe()
    defer { hub.unsubscribe(id) }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { for try await _ in inbound {} }
        group.addTask { for await text in stream { try await outbound.write(.text(text)) } }
        _ = try await group.next()
        group.cancelAll()
    }
}
let app = Application(
    router: router,
    server: .http1WebSocketUpgrade(webSocketRouter: sockets, configuration: .init(ws: .init(maxFrameSize: 1 << 20))),
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
    onServerRunning: { channel in
        print(" * Hummingbird on http://127.0.0.1:\(channel.localAddress?.port ?? port)")
        fflush(nil)
    })
try await app.runService()
