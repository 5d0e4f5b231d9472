// GET /ticks: an event stream that sends `data: <wall-clock nanoseconds>` every second, so the
// client measures each event's delivery latency; a `: ping` comment is not needed (an event a
// second keeps the connection busy). Access log off: Hummingbird logs no requests by default.
import Foundation
import Hummingbird

let port = CommandLine.arguments.firstIndex(of: "--port").flatMap { Int(CommandLine.arguments[$0 + 1]) } ?? 8082
let router = Router()
router.get("/ticks") { _, _ -> Response in
    Response(
        status: .ok,
        headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
        body: ResponseBody { writer in
            while !Task.isCancelled {
                let now = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
                try await writer.write(ByteBuffer(string: "data: \(now)\n\n"))
                try await Task.sleep(for: .seconds(1))
            }
            try await writer.finish(nil)
        })
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
    onServerRunning: { channel in
        print(" * Hummingbird on http://127.0.0.1:\(channel.localAddress?.port ?? port)")
        fflush(nil)
    })
try await app.runService()
