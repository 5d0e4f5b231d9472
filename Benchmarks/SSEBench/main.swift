// GET /ticks on Vial: the program Benchmarks/HummingbirdSSE writes on Hummingbird 2 — an event
// stream that sends `data: <wall-clock nanoseconds>` every second (no ping: an event a second
// keeps the connection busy). The configuration a user gets by default: the access log on.
import Foundation
import Vial

let port = CommandLine.arguments.firstIndex(of: "--port").flatMap { Int(CommandLine.arguments[$0 + 1]) } ?? 8083
let app = App("sse-bench")
app.get("/ticks") { _ in
    Response.eventStream(ping: nil) { events in
        while !Task.isCancelled {
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
            try await events.send(ServerSentEvent(data: String(now)))
            try await Task.sleep(for: .seconds(1))
        }
    }
}
try await app.run(host: "127.0.0.1", port: port)
