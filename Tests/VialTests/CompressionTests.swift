import Foundation
import NIOCore
import Testing
@testable import Vial
import VialTesting

/// gzip both ways: responses to clients that accept it (whole and streamed), and request
/// bodies sent compressed, with a bound on what they inflate to.
@Suite struct CompressionTests {
    static let rows = JSON.array((0..<200).map { ["id": .int($0), "title": .string("Task number \($0)")] })

    func app(_ settings: CompressionSettings = CompressionSettings()) -> App {
        var config = AppConfig()
        config.accessLog = false
        let app = App("compress-test", config: config)
        app.use(compress(settings))
        app.get("/rows") { _ in Self.rows }
        app.get("/small") { _ in ["ok": true] as JSON }
        app.get("/medium") { _ in ["text": .string(String(repeating: "a", count: 200))] as JSON }
        app.get("/tagged") { _ in
            var response = Response.json(Self.rows)
            response.headers.add(name: "ETag", value: "\"v1\"")
            return response
        }
        app.get("/png") { _ in Response(headers: ["Content-Type": "image/png"], body: ByteBuffer(repeating: 0, count: 5_000)) }
        app.get("/no-transform") { _ in
            var response = Response.json(Self.rows)
            response.headers.add(name: "Cache-Control", value: "no-transform")
            return response
        }
        app.get("/lines") { _ in
            Response.stream(contentType: "application/x-ndjson") { writer in
                try await writer.write("{\"n\":1}\n")
                try await Task.sleep(for: .milliseconds(600))
                try await writer.write("{\"n\":2}\n")
            }
        }
        app.get("/events") { _ in
            Response.eventStream { events in try await events.send(ServerSentEvent(data: String(repeating: "e", count: 2_000))) }
        }
        app.post("/echo") { req in
            ["bytes": .int(req.body.readableBytes), "encoding": req.header("Content-Encoding").map(JSON.string) ?? .null] as JSON
        }
        app.post("/stream-count", streamedBody(maxSize: 1 << 20)) { req in
            var size = 0
            for try await chunk in req.bodyStream { size += chunk.readableBytes }
            return ["bytes": .int(size)] as JSON
        }
        return app
    }

    static func gunzip(_ body: ByteBuffer) throws -> ByteBuffer {
        try ContentCoding.decode(body, .gzip, limit: 1 << 30)
    }

    @Test func jsonIsGzippedForClientsThatAcceptIt() async throws {
        let client = try app().testClient()
        let plain = try await client.get("/rows")
        #expect(plain.header("Content-Encoding") == nil)
        #expect(plain.header("Vary") == "Accept-Encoding")
        for accept in ["gzip", "deflate, gzip;q=0.8, br", "*", "GZIP"] {
            let zipped = try await client.get("/rows", headers: ["Accept-Encoding": accept])
            #expect(zipped.header("Content-Encoding") == "gzip", "\(accept)")
            #expect(zipped.header("Vary") == "Accept-Encoding")
            #expect(zipped.body.readableBytes < plain.body.readableBytes / 3)
            #expect(try Self.gunzip(zipped.body) == plain.body)
        }
        for refused in ["gzip;q=0", "br", "identity", "*;q=0", "gzip;q=0, *"] {
            let response = try await client.get("/rows", headers: ["Accept-Encoding": refused])
            #expect(response.header("Content-Encoding") == nil, "\(refused)")
        }
    }

    /// The whole app, without a middleware: errors and 404s (answered outside the route's chain) too.
    @Test func compressResponsesCoversTheWholeApp() async throws {
        var config = AppConfig()
        config.accessLog = false
        let app = App("whole", config: config)
        app.compressResponses()
        app.get("/rows") { _ in Self.rows }
        app.get("/fails") { _ in throw HTTPError(.conflict, String(repeating: "conflict ", count: 100)) }
        let client = try app.testClient()
        let rows = try await client.get("/rows", headers: ["Accept-Encoding": "gzip"])
        #expect(rows.header("Content-Encoding") == "gzip")
        #expect(try Self.gunzip(rows.body) == (try await client.get("/rows")).body)
        let failed = try await client.get("/fails", headers: ["Accept-Encoding": "gzip"])
        #expect(failed.status == .conflict && failed.header("Content-Encoding") == "gzip")
        #expect(try await client.get("/missing").header("Vary") == "Accept-Encoding")
        #expect(try app.routes().allSatisfy { !$0.middleware.contains("compress(gzip)") })
    }

    @Test func smallOrIncompressibleAnswersGoAsTheyAre() async throws {
        let client = try app().testClient()
        let accept: HTTPHeaders = ["Accept-Encoding": "gzip"]
        #expect(try await client.get("/small", headers: accept).header("Content-Encoding") == nil)
        let png = try await client.get("/png", headers: accept)
        #expect(png.header("Content-Encoding") == nil)
        #expect(png.header("Vary") == "Accept-Encoding")
        #expect(try await client.get("/no-transform", headers: accept).header("Content-Encoding") == nil)
        #expect(try await client.get("/missing", headers: accept).header("Content-Encoding") == nil)
    }

    @Test func aStrongETagNamesTheCompressedForm() async throws {
        let client = try app().testClient()
        #expect(try await client.get("/tagged").header("ETag") == "\"v1\"")
        #expect(try await client.get("/tagged", headers: ["Accept-Encoding": "gzip"]).header("ETag") == "\"v1-gzip\"")
    }

    @Test func settingsChangeWhatIsCompressed() async throws {
        var settings = CompressionSettings()
        settings.minSize = 5
        settings.mimeTypes = ["application/json"]
        let client = try app(settings).testClient()
        #expect(try await client.get("/medium", headers: ["Accept-Encoding": "gzip"]).header("Content-Encoding") == "gzip")
        #expect(try await self.app().testClient().get("/medium", headers: ["Accept-Encoding": "gzip"]).header("Content-Encoding") == nil)
    }

    @Test func aStreamIsCompressedChunkByChunk() async throws {
        try await app().withLiveServer { client in
            let connection = try await client.openRaw()
            try await connection.send("GET /lines HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n")
            #expect(try await connection.waitFor("Content-Encoding: gzip"))
            #expect(connection.text.lowercased().contains("transfer-encoding: chunked"))
            // The first line can be inflated before the second is written (a sync flush per write).
            let first = try await connection.waitUntil(timeout: .milliseconds(500)) { connection in
                (try? Self.inflateChunked(connection.bytes)).map { String(buffer: $0).contains("{\"n\":1}") } ?? false
            }
            #expect(first)
            #expect(try await connection.waitUntil(timeout: .seconds(5)) { connection in
                (try? Self.inflateChunked(connection.bytes)).map { String(buffer: $0) == "{\"n\":1}\n{\"n\":2}\n" } ?? false
            })
            await connection.close()
        }
    }

    @Test func eventStreamsAreNotCompressed() async throws {
        let response = try await app().testClient().get("/events", headers: ["Accept-Encoding": "gzip"])
        #expect(response.header("Content-Encoding") == nil)
        #expect(String(buffer: response.body).contains("data: eee"))
    }

    /// The body of a chunked answer in `raw` (head and all), de-chunked and inflated as far as it goes.
    static func inflateChunked(_ raw: [UInt8]) throws -> ByteBuffer {
        guard let headEnd = raw.firstRange(of: Array("\r\n\r\n".utf8)) else { return ByteBuffer() }
        var rest = raw[headEnd.upperBound...]
        var compressed = ByteBuffer()
        while let lineEnd = rest.firstRange(of: Array("\r\n".utf8)),
            let size = Int(String(decoding: rest[rest.startIndex..<lineEnd.lowerBound], as: UTF8.self), radix: 16),
            size > 0, rest.count >= lineEnd.upperBound - rest.startIndex + size
        {
            let start = lineEnd.upperBound
            compressed.writeBytes(rest[start..<(start + size)])
            rest = rest[min(rest.endIndex, start + size + 2)...]
        }
        let inflater = try BodyInflater(.gzip, limit: 1 << 20)
        var output = ByteBuffer()
        while var piece = try inflater.inflate(&compressed) { output.writeBuffer(&piece) }
        return output
    }

    // MARK: Request bodies

    @Test func aGzippedBodyArrivesInflated() async throws {
        let json = ByteBuffer(string: String(repeating: "{\"title\":\"compressed\"}", count: 100))
        let zipped = try Compress.gzip(json, level: 6)
        try await app().withLiveServer { client in
            let collected = try await client.execute(.POST, "/echo", headers: ["Content-Encoding": "gzip"], body: zipped)
            #expect(try collected.json() == ["bytes": .int(json.readableBytes), "encoding": .null])
            let streamed = try await client.execute(.POST, "/stream-count", headers: ["Content-Encoding": "gzip"], body: zipped)
            #expect(try streamed.json() == ["bytes": .int(json.readableBytes)])
        }
    }

    @Test func aGzipBombIs413WithoutInflatingIt() async throws {
        // 64 MiB of zeros compress to about 64 KiB: under the 1 MiB body limit, far over it inflated.
        let bomb = try Compress.gzip(ByteBuffer(repeating: 0, count: 64 << 20), level: 9)
        #expect(bomb.readableBytes < 1 << 20)
        try await app().withLiveServer { client in
            let collected = try await client.execute(.POST, "/echo", headers: ["Content-Encoding": "gzip"], body: bomb)
            #expect(collected.status == .payloadTooLarge)
            #expect(try collected.json()["error"]?["message"] == "Decompressed request body exceeds the limit of 1048576 bytes")
            let streamed = try await client.execute(.POST, "/stream-count", headers: ["Content-Encoding": "gzip"], body: bomb)
            #expect(streamed.status == .payloadTooLarge)
        }
        // Not inflated whole: the inflater stops within one window past the limit (counted in
        // bytes, not timed — a time bound flaked on a loaded machine).
        let inflater = try BodyInflater(.gzip, limit: 1 << 20)
        var input = bomb
        #expect(throws: HTTPError.self) { while try inflater.inflate(&input) != nil {} }
        #expect(inflater.produced <= (1 << 20) + BodyInflater.window)
        #expect(input.readableBytes > 0)
    }

    @Test func badlyEncodedBodiesAreRefused() async throws {
        let zipped = try Compress.gzip(ByteBuffer(string: String(repeating: "abc", count: 1_000)), level: 6)
        let cut = zipped.getSlice(at: 0, length: zipped.readableBytes - 10)!
        try await app().withLiveServer { client in
            let garbage = try await client.execute(.POST, "/echo", headers: ["Content-Encoding": "gzip"], body: ByteBuffer(string: "not gzip at all"))
            #expect(garbage.status == .badRequest)
            #expect(try garbage.json()["error"]?["code"] == "invalid_content_encoding")
            let truncated = try await client.execute(.POST, "/echo", headers: ["Content-Encoding": "gzip"], body: cut)
            #expect(truncated.status == .badRequest)
            let truncatedStream = try await client.execute(.POST, "/stream-count", headers: ["Content-Encoding": "gzip"], body: cut)
            #expect(truncatedStream.status == .badRequest)
            let unknown = try await client.execute(.POST, "/echo", headers: ["Content-Encoding": "br"], body: zipped)
            #expect(unknown.status == .unsupportedMediaType)
            #expect(unknown.headers.first(name: "Accept-Encoding") == "gzip, deflate")
            let unknownStream = try await client.execute(.POST, "/stream-count", headers: ["Content-Encoding": "zstd"], body: zipped)
            #expect(unknownStream.status == .unsupportedMediaType)
        }
    }
}
