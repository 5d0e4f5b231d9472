// WebSockets on Vial: the program Benchmarks/HummingbirdWebSocket writes on hummingbird-websocket —
// `/echo` sends every message back; `/broadcast` forwards what `POST /publish` publishes (the
// wall-clock nanoseconds of the publish) to every open socket, through the in-process broker.
// The configuration a user gets by default: the access log on (one line per socket, at its close).
import Foundation
import Vial

let port = CommandLine.arguments.firstIndex(of: "--port").flatMap { Int(CommandLine.arguments[$0 + 1]) } ?? 8084
let app = App("ws-bench")
let broker = LocalBroker()
app.websocket("/echo") { _, ws in
    for await message in ws.messages { try await ws.send(message) }
}
app.websocket("/broadcast") { _, ws in
    let subscription = try await broker.subscribe("all")
    defer { subscription.cancel() }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { for await _ in ws.messages {} }
        group.addTask {
            for await case .message(let payload) in subscription { try await ws.send(String(decoding: payload, as: UTF8.self)) }
        }
        _ = try await group.next()
        group.cancelAll()
    }
}
app.post("/publish") { _ in
    let stamp = String(Int64(Date().timeIntervalSince1970 * 1_000_000_000))
    try await broker.publish("all", Array(stamp.utf8))
    return stamp
}
try await app.run(host: "127.0.0.1", port: port)
