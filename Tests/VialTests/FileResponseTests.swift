import Foundation
import NIOCore
import Testing
@testable import Vial
import VialTesting

@Suite struct FileResponseTests {
    /// A folder with `data.bin` (1,000 bytes: 0, 1, … 255, 0, …) and `notes.txt`.
    final class Folder: Sendable {
        let path: String
        init() throws {
            path = NSTemporaryDirectory() + "vial-files-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try Data((0..<1_000).map { UInt8($0 % 256) }).write(to: URL(fileURLWithPath: path + "/data.bin"))
            try Data("hello notes\n".utf8).write(to: URL(fileURLWithPath: path + "/notes.txt"))
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func app(_ folder: Folder) -> App {
        var config = AppConfig()
        config.accessLog = false
        let app = App("files-test", config: config)
        app.get("/data") { req in try await Response.file(at: folder.path + "/data.bin", for: req) }
        app.get("/download") { req in
            try await Response.file(
                at: folder.path + "/notes.txt", for: req, disposition: .attachment(filename: "../../etc/pässwd\r\n\".txt"))
        }
        app.get("/missing") { req in try await Response.file(at: folder.path + "/nope", for: req) }
        app.get("/folder") { req in try await Response.file(at: folder.path, for: req) }
        app.serveStatic("/static", directory: folder.path)
        return app
    }

    static let bytes = (0..<1_000).map { UInt8($0 % 256) }

    @Test func aWholeFileIsStreamedWithItsValidators() async throws {
        let folder = try Folder()
        try await app(folder).withLiveServer { client in
            let response = try await client.get("/data")
            #expect(response.status == .ok)
            #expect(response.header("Content-Length") == "1000")
            #expect(response.header("Content-Type") == "application/octet-stream")
            #expect(response.header("Accept-Ranges") == "bytes")
            #expect(response.header("ETag")?.hasPrefix("\"") == true)
            #expect(response.header("Last-Modified")?.hasSuffix(" GMT") == true)
            #expect(Array(response.body.readableBytesView) == Self.bytes)
        }
    }

    @Test func oneRangeIsA206WithExactlyThoseBytes() async throws {
        let folder = try Folder()
        try await app(folder).withLiveServer { client in
            let middle = try await client.get("/data", headers: ["Range": "bytes=100-199"])
            #expect(middle.status == .partialContent)
            #expect(middle.header("Content-Range") == "bytes 100-199/1000")
            #expect(middle.header("Content-Length") == "100")
            #expect(Array(middle.body.readableBytesView) == Array(Self.bytes[100...199]))
            let suffix = try await client.get("/data", headers: ["Range": "bytes=-10"])
            #expect(suffix.header("Content-Range") == "bytes 990-999/1000")
            #expect(Array(suffix.body.readableBytesView) == Array(Self.bytes[990...]))
            let open = try await client.get("/data", headers: ["Range": "bytes=995-"])
            #expect(Array(open.body.readableBytesView) == Array(Self.bytes[995...]))
            let clamped = try await client.get("/data", headers: ["Range": "bytes=998-5000"])
            #expect(clamped.header("Content-Range") == "bytes 998-999/1000")
        }
    }

    @Test func aRangePastTheEndIs416AndOddRangesGetTheWholeFile() async throws {
        let folder = try Folder()
        try await app(folder).withLiveServer { client in
            let past = try await client.get("/data", headers: ["Range": "bytes=1000-"])
            #expect(past.status == .rangeNotSatisfiable)
            #expect(past.header("Content-Range") == "bytes */1000")
            #expect(try past.json()["error"]?["code"] == "range_not_satisfiable")
            for header in ["bytes=5-1", "items=0-1", "bytes=abc", "bytes=0-1,2-3"] {
                let whole = try await client.get("/data", headers: ["Range": header])
                #expect(whole.status == .ok, "\(header)")
                #expect(whole.body.readableBytes == 1_000, "\(header)")
            }
        }
    }

    @Test func conditionalRequestsGet304() async throws {
        let folder = try Folder()
        try await app(folder).withLiveServer { client in
            let first = try await client.get("/data")
            let etag = try #require(first.header("ETag"))
            let modified = try #require(first.header("Last-Modified"))
            let byTag = try await client.get("/data", headers: ["If-None-Match": "\"other\", \(etag)"])
            #expect(byTag.status == .notModified)
            #expect(byTag.body.readableBytes == 0)
            #expect(byTag.header("ETag") == etag)
            let byDate = try await client.get("/data", headers: ["If-Modified-Since": modified])
            #expect(byDate.status == .notModified)
            let older = try await client.get("/data", headers: ["If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"])
            #expect(older.status == .ok)
            // If-Range with a stale validator: the whole file, not the range.
            let stale = try await client.get("/data", headers: ["Range": "bytes=0-9", "If-Range": "\"stale\""])
            #expect(stale.status == .ok)
            let fresh = try await client.get("/data", headers: ["Range": "bytes=0-9", "If-Range": etag])
            #expect(fresh.status == .partialContent)
        }
    }

    @Test func headSendsTheHeadersOnly() async throws {
        let folder = try Folder()
        try await app(folder).withLiveServer { client in
            let (raw, _) = try await client.exchangeRaw("HEAD /data HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(raw.contains("Content-Length: 1000"))
            #expect(raw.hasSuffix("\r\n\r\n"))
        }
    }

    @Test func downloadsGetASafeFilename() async throws {
        let folder = try Folder()
        try await app(folder).withLiveServer { client in
            let response = try await client.get("/download")
            #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(response.header("Content-Disposition") == "attachment; filename=\"p_sswd___.txt\"; filename*=UTF-8''p%C3%A4sswd___.txt")
            #expect(response.text == "hello notes\n")
        }
        #expect(ContentDisposition.safeFilename("..\\..\\boot.ini") == "boot.ini")
        #expect(ContentDisposition.safeFilename("a\0b") == "a_b")
        #expect(ContentDisposition.safeFilename("....") == "")
        // Found by the multipart fuzz target: a space before the dot left a hidden name.
        #expect(ContentDisposition.safeFilename(" .profile") == "profile")
        #expect(ContentDisposition.safeFilename(". . .x ") == "x")
        #expect(ContentDisposition.attachment(filename: "....").headerValue == "attachment")
    }

    @Test func missingFilesAndFoldersAre404() async throws {
        let folder = try Folder()
        try await app(folder).withLiveServer { client in
            for path in ["/missing", "/folder", "/static/../data.bin", "/static/"] {
                let response = try await client.get(path)
                #expect(response.status == .notFound, "\(path)")
            }
        }
    }

    @Test func serveStaticStreamsWithRangesAndETags() async throws {
        let folder = try Folder()
        try await app(folder).withLiveServer { client in
            let text = try await client.get("/static/notes.txt")
            #expect(text.status == .ok)
            #expect(text.header("Cache-Control") == "public, max-age=3600")
            #expect(text.header("Content-Type") == "text/plain; charset=utf-8")
            let etag = try #require(text.header("ETag"))
            #expect(try await client.get("/static/notes.txt", headers: ["If-None-Match": etag]).status == .notModified)
            let slice = try await client.get("/static/data.bin", headers: ["Range": "bytes=0-3"])
            #expect(Array(slice.body.readableBytesView) == [0, 1, 2, 3])
        }
    }

    @Test func rangeHeadersAreParsedStrictly() {
        #expect(ByteRanges(header: "bytes=0-0", length: 10) == .ranges([0...0]))
        #expect(ByteRanges(header: "Bytes = 2-3", length: 10) == .whole)
        #expect(ByteRanges(header: "bytes= 2-3 , 5-", length: 10) == .ranges([2...3, 5...9]))
        #expect(ByteRanges(header: "bytes=-0", length: 10) == .whole)
        #expect(ByteRanges(header: "bytes=-20", length: 10) == .ranges([0...9]))
        #expect(ByteRanges(header: "bytes=10-", length: 10) == .unsatisfiable)
        #expect(ByteRanges(header: "bytes=0-", length: 0) == .unsatisfiable)
        #expect(ByteRanges(header: "bytes=+1-2", length: 10) == .whole)
        #expect(ByteRanges(header: "bytes=99999999999999999999-", length: 10) == .whole)
        let many = "bytes=" + (0..<17).map { "\($0)-\($0)" }.joined(separator: ",")
        #expect(ByteRanges(header: many, length: 100) == .whole)
    }

    @Test func httpDatesRoundTrip() {
        let now = Int(Date().timeIntervalSince1970)
        #expect(HTTPDateCache.parse(HTTPDateCache.format(now)) == now)
        #expect(HTTPDateCache.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDateCache.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(HTTPDateCache.parse("Sun, 06 Foo 1994 08:49:37 GMT") == nil)
    }

    @Test func mediaTypesByExtension() {
        #expect(MediaType.forPath("/a/b/Report.PDF") == "application/pdf")
        #expect(MediaType.forPath("x.css") == "text/css; charset=utf-8")
        #expect(MediaType.forPath(".hidden") == "application/octet-stream")
        #expect(MediaType.forPath("noext") == "application/octet-stream")
    }
}
