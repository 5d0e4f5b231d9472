import Foundation
import Vial
import VialMiddleware

/// Streaming (issue 17): an SSE clock, a JSON Lines export of a million rows written as they are
/// made, an upload echo that hashes what it receives without holding it, and file downloads.
///
/// ```sh
/// swift run Examples stream
/// curl -N http://127.0.0.1:5000/clock                       # an event a second
/// curl -s http://127.0.0.1:5000/export | wc -l              # 1000000, never held in memory
/// curl -s -r 0-99 http://127.0.0.1:5000/download/export.txt  # a 206 slice of a file
/// curl -s -T big.iso http://127.0.0.1:5000/upload            # size and SHA-256, never held whole
/// curl -s -T big.iso http://127.0.0.1:5000/store             # saved to instance/uploads as it arrives
/// ```
enum StreamExample {
    /// Rows in the export.
    static let exportRows = 1_000_000

    struct Row: Encodable, Sendable {
        var id: Int
        var title: String
        var done: Bool
    }

    /// The export's rows, made one page at a time as the client takes them.
    struct Rows: AsyncSequence, Sendable {
        typealias Element = Row
        let count: Int

        struct AsyncIterator: AsyncIteratorProtocol {
            var next = 0
            let count: Int
            mutating func next() async -> Row? {
                guard next < count else { return nil }
                defer { next += 1 }
                return Row(id: next + 1, title: "Row \(next + 1)", done: next % 2 == 0)
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(count: count) }
    }

    static func make(_ config: AppConfig) -> App {
        let app = App("stream", config: config)
        // `tick` events, one a second; `?count=N` ends after N. Last-Event-ID resumes the count.
        app.get("/clock", name: "clock", docs: RouteDocs(summary: "An SSE clock", responses: [200: .media("text/event-stream", "tick events")])) { req in
            let start = req.lastEventID.flatMap(Int.init) ?? 0
            let count = req.args["count"].flatMap(Int.init)
            return Response.eventStream { events in
                var n = start
                while count.map({ n < start + $0 }) ?? true {
                    n += 1
                    try await events.send(ServerSentEvent(data: ISO8601DateFormatter().string(from: Date()), event: "tick", id: "\(n)"))
                    try await Task.sleep(for: .seconds(1))
                }
            }
        }
        // A million JSON lines; `?rows=N` for fewer.
        app.get("/export", name: "export", docs: RouteDocs(summary: "A JSON Lines export", responses: [200: .media("application/x-ndjson", "One row per line")])) { req in
            let rows = min(req.args["rows"].flatMap(Int.init) ?? exportRows, exportRows)
            return Response.stream(contentType: "application/x-ndjson") { writer in
                // Encoded a page at a time: one write per ~1,000 rows, not per row.
                var page = ByteBuffer()
                for try await row in Rows(count: max(rows, 0)) {
                    page.writeBytes(try JSONCoding.encode(row))
                    page.writeInteger(UInt8(ascii: "\n"))
                    if page.readableBytes >= 64 * 1024 {
                        try await writer.write(page)
                        page.clear()
                    }
                }
                try await writer.write(page)
            }
        }
        // Echoes the size and SHA-256 of what it received (up to 10 GiB), hashing as it arrives.
        app.route("/upload", methods: [.POST, .PUT], name: "upload", streamedBody(maxSize: 10 << 30)) { (req: Request) -> JSON in
            var sha = StreamingDigest(.sha256)
            var size = 0
            for try await chunk in req.bodyStream {
                size += chunk.readableBytes
                sha.update(chunk)
            }
            return ["bytes": .int(size), "sha256": .string(Hex.encode(sha.finish()))]
        }
        // Saves the body (up to 10 GiB) to `instance/uploads`, written to disk as it arrives.
        app.route("/store", methods: [.POST, .PUT], name: "store", streamedBody(maxSize: 10 << 30)) { (req: Request) -> JSON in
            try FileManager.default.createDirectory(atPath: "instance/uploads", withIntermediateDirectories: true)
            let name = UUID().uuidString
            let size = try await req.bodyStream.save(to: "instance/uploads/\(name)")
            return ["bytes": .int(size), "name": .string(name)]
        }
        // Files from the working directory's `instance/downloads` (ranges, ETag, 304).
        app.serveStatic("/download", directory: "instance/downloads", name: "download")
        return app
    }
}
