import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import Vial
import VialTesting

/// multipart/form-data: fields and files part by part, limits, bad bodies, temporary files.
@Suite struct MultipartTests {
    /// A fresh temporary folder for uploads.
    static func folder() -> String {
        let path = NSTemporaryDirectory() + "vial-multipart-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func leftovers(_ folder: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }

    func app(_ limits: MultipartLimits) -> App {
        var config = AppConfig()
        config.accessLog = false
        let app = App("multipart-test", config: config)
        // Describes the form: fields, and each file's name, size and content.
        app.post("/form", streamedBody(maxSize: 256 << 20)) { req in
            let form = try await req.formData(limits: limits)
            var files: [JSON] = []
            for file in form.files {
                let content = try Data(contentsOf: URL(fileURLWithPath: file.path))
                files.append([
                    "field": .string(file.name), "filename": file.filename.map(JSON.string) ?? .null,
                    "type": file.contentType.map(JSON.string) ?? .null, "size": .int(file.size),
                    "same_size": .bool(content.count == file.size),
                    "text": .string(content.count <= 64 ? String(decoding: content, as: UTF8.self) : ""),
                ])
            }
            let fields = form.fields.pairs.map { JSON.array([.string($0.key), .string($0.value)]) }
            return ["fields": .array(fields), "files": .array(files)] as JSON
        }
        // Keeps the first file: moves it into the folder under its own name.
        app.post("/keep", streamedBody(maxSize: 256 << 20)) { req in
            for try await part in try req.multipart(limits: limits) where part.isFile {
                let file = try await part.save()
                try await file.move(to: limits.temporaryDirectory + "/kept-" + (file.filename ?? "x"))
                return ["kept": .string(file.filename ?? "x")] as JSON
            }
            throw HTTPError.badRequest("no file")
        }
        // Streams each part's bytes without saving them.
        app.post("/sizes", streamedBody(maxSize: 256 << 20)) { req in
            var sizes: [JSON] = []
            for try await part in try req.multipart(limits: limits) {
                var size = 0
                for try await chunk in part.body { size += chunk.readableBytes }
                sizes.append([.string(part.name), .int(size)])
            }
            return ["sizes": .array(sizes)] as JSON
        }
        return app
    }

    func limits(_ folder: String) -> MultipartLimits {
        MultipartLimits(maxFileSize: 32 << 20, temporaryDirectory: folder)
    }

    @Test func fieldsAndFilesArriveInOrderAndTheTemporaryFilesGo() async throws {
        let folder = Self.folder()
        let form = MultipartBody()
            .field("title", "Quarterly report")
            .file("doc", filename: "notes.txt", "line one\r\nline two\r\n--not a boundary")
            .field("title", "second value")
            .file("doc", filename: "empty.bin", contentType: "application/octet-stream", ByteBuffer())
        let client = try app(limits(folder)).testClient()
        let response = try await client.execute(.POST, "/form", headers: form.headers, body: form.body)
        #expect(response.status == .ok)
        let json = try response.json()
        #expect(json["fields"] == [["title", "Quarterly report"], ["title", "second value"]])
        #expect(json["files"]?[0]?["filename"] == "notes.txt")
        #expect(json["files"]?[0]?["type"] == "text/plain")
        #expect(json["files"]?[0]?["text"] == "line one\r\nline two\r\n--not a boundary")
        #expect(json["files"]?[1]?["size"] == 0)
        #expect(json["files"]?[1]?["filename"] == "empty.bin")
        #expect(Self.leftovers(folder).isEmpty)
    }

    @Test func aMovedFileIsKept() async throws {
        let folder = Self.folder()
        let form = MultipartBody().file("doc", filename: "keep me.txt", "kept bytes")
        let response = try await app(limits(folder)).testClient().execute(.POST, "/keep", headers: form.headers, body: form.body)
        #expect(response.status == .ok)
        #expect(Self.leftovers(folder) == ["kept-keep me.txt"])
        #expect(try String(contentsOfFile: folder + "/kept-keep me.txt", encoding: .utf8) == "kept bytes")
    }

    @Test func filenamesAreMadeSafe() async throws {
        let folder = Self.folder()
        let form = MultipartBody()
            .file("a", filename: "../../etc/passwd", "x")
            .file("b", filename: "C:\\\\Windows\\\\evil.exe", "x")
            .adding(
                "Content-Disposition: form-data; name=\"c\"; filename=\"fallback\"; filename*=UTF-8''r%C3%A9sum%C3%A9%0D%0AX-Evil%3A%201%00.pdf\r\n",
                ByteBuffer(string: "x"))
            .file("d", filename: "..", "x")
        let response = try await app(limits(folder)).testClient().execute(.POST, "/form", headers: form.headers, body: form.body)
        let files = try response.json()["files"]
        #expect(files?[0]?["filename"] == "passwd")
        #expect(files?[1]?["filename"] == "evil.exe")
        #expect(files?[2]?["filename"] == "résumé__X-Evil: 1_.pdf")
        #expect(files?[3]?["filename"] == .null)
        #expect(Self.leftovers(folder).isEmpty)
    }

    @Test func anEmptyFormHasNoParts() async throws {
        let folder = Self.folder()
        let form = MultipartBody()
        let response = try await app(limits(folder)).testClient().execute(.POST, "/form", headers: form.headers, body: form.body)
        #expect(response.status == .ok)
        #expect(try response.json() == ["fields": [], "files": []])
    }

    @Test(arguments: [
        ("text/plain", 415, "unsupported_media_type"),
        ("multipart/form-data", 400, "invalid_multipart"),
        ("multipart/form-data; boundary=", 400, "invalid_multipart"),
        ("multipart/form-data; boundary=" + String(repeating: "b", count: 10_000), 400, "invalid_multipart"),
        ("multipart/form-data; boundary=a{b}", 400, "invalid_multipart"),
    ])
    func badContentTypesAreRefused(contentType: String, status: Int, code: String) async throws {
        let response = try await app(limits(Self.folder())).testClient().execute(
            .POST, "/form", headers: ["Content-Type": contentType], body: ByteBuffer(string: "--b\r\n\r\nx\r\n--b--"))
        #expect(Int(response.status.code) == status)
        #expect(try response.json()["error"]?["code"] == .string(code))
    }

    @Test func aTruncatedBodyIs400AndLeavesNoFile() async throws {
        let folder = Self.folder()
        var body = MultipartBody().field("a", "1").file("doc", filename: "big.bin", ByteBuffer(repeating: 7, count: 300_000)).parts
        body.moveWriterIndex(to: body.writerIndex - 1000)
        let response = try await app(limits(folder)).testClient().execute(
            .POST, "/form", headers: MultipartBody().headers, body: body)
        #expect(response.status == .badRequest)
        #expect(try response.json()["error"]?["code"] == "invalid_multipart")
        #expect(Self.leftovers(folder).isEmpty)
    }

    @Test func aBodyWithoutTheBoundaryIs400() async throws {
        let response = try await app(limits(Self.folder())).testClient().execute(
            .POST, "/form", headers: MultipartBody().headers, body: ByteBuffer(string: "just some bytes"))
        #expect(response.status == .badRequest)
    }

    /// Found by the multipart fuzz target: MultipartKit 4.7.1 reads a 128-entry table with each
    /// header-name byte, so a byte over 0x7F there crashed the process. It is a 400 now.
    @Test(arguments: ["\u{FF}: x", "Content-\u{E9}: x", "X\u{80}"])
    func aHeaderNameOutsideASCIIIs400(header: String) async throws {
        var body = ByteBuffer(string: "preamble\r\n--\(MultipartBody().boundary)\r\n")
        body.writeBytes(header.unicodeScalars.map { UInt8($0.value) })
        body.writeString("\r\n\r\nvalue\r\n--\(MultipartBody().boundary)--\r\n")
        let response = try await app(limits(Self.folder())).testClient().execute(
            .POST, "/sizes", headers: MultipartBody().headers, body: body)
        #expect(response.status == .badRequest)
        #expect(try response.json()["error"]?["code"] == "invalid_multipart")
        // Non-ASCII in a header's value (a browser's UTF-8 filename) is fine.
        let form = MultipartBody().file("doc", filename: "r\u{E9}sum\u{E9}.txt", "x")
        let fine = try await app(limits(Self.folder())).testClient().execute(.POST, "/form", headers: form.headers, body: form.body)
        #expect(try fine.json()["files"]?[0]?["filename"] == "r\u{E9}sum\u{E9}.txt")
    }

    @Test func aPartWithoutANameIs400() async throws {
        let form = MultipartBody().adding("Content-Type: text/plain\r\n", ByteBuffer(string: "x"))
        let response = try await app(limits(Self.folder())).testClient().execute(.POST, "/form", headers: form.headers, body: form.body)
        #expect(response.status == .badRequest)
        #expect(try response.json()["error"]?["code"] == "invalid_multipart")
    }

    @Test func tooManyPartsIs413() async throws {
        let form = MultipartBody()
        var body = ByteBuffer()
        for index in 0..<100_000 {
            body.writeString("--\(form.boundary)\r\nContent-Disposition: form-data; name=\"f\(index % 10)\"\r\n\r\nv\r\n")
        }
        body.writeString("--\(form.boundary)--\r\n")
        let response = try await app(limits(Self.folder())).testClient().execute(.POST, "/sizes", headers: form.headers, body: body)
        #expect(response.status == .payloadTooLarge)
        #expect(try response.json()["error"]?["message"] == "The form has more than 1000 parts")
    }

    /// Found by the multipart fuzz target: the parser counts a part when it ends, so the part
    /// past the limit reached the handler before the 413.
    @Test func noPartPastTheLimitReachesTheHandler() async throws {
        var limits = limits(Self.folder())
        limits.maxParts = 3
        // One chunk per part, so the parser has not seen the later parts when the reader asks.
        let source = RequestBodySource(onFirstDemand: {}, onDrained: {})
        let empty = MultipartBody()
        for index in 0..<5 { _ = source.append(empty.field("f\(index)", "v").parts) }
        _ = source.append(ByteBuffer(string: "--\(empty.boundary)--\r\n"))
        source.finish()
        var request = Request(method: .POST, uri: "/", headers: empty.headers)
        request.streamedBody = source
        var seen = 0
        await #expect(throws: HTTPError.self) {
            for try await _ in try request.multipart(limits: limits) { seen += 1 }
        }
        #expect(seen == 3)
    }

    @Test func headersThatNeverEndAre413() async throws {
        var body = ByteBuffer(string: "--\(MultipartBody().boundary)\r\nContent-Disposition: form-data; name=\"a\"; x=\"")
        body.writeString(String(repeating: "h", count: 1 << 20))
        let response = try await app(limits(Self.folder())).testClient().execute(
            .POST, "/sizes", headers: MultipartBody().headers, body: body)
        #expect(response.status == .payloadTooLarge)
        #expect(try response.json()["error"]?["message"] == "A part's headers exceed 16384 bytes")
    }

    @Test func aFileOverItsLimitIs413AndLeavesNoFile() async throws {
        let folder = Self.folder()
        var limits = limits(folder)
        limits.maxFileSize = 100_000
        let form = MultipartBody().file("doc", filename: "big.bin", ByteBuffer(repeating: 1, count: 100_001))
        let response = try await app(limits).testClient().execute(.POST, "/form", headers: form.headers, body: form.body)
        #expect(response.status == .payloadTooLarge)
        #expect(Self.leftovers(folder).isEmpty)
    }

    @Test func fieldsPastTheirMemoryLimitAre413() async throws {
        var limits = limits(Self.folder())
        limits.maxFieldsSize = 1_000
        let form = MultipartBody().field("a", String(repeating: "x", count: 600)).field("b", String(repeating: "y", count: 600))
        let response = try await app(limits).testClient().execute(.POST, "/form", headers: form.headers, body: form.body)
        #expect(response.status == .payloadTooLarge)
    }

    /// The parser sees the body cut anywhere: one byte at a time, and in odd-sized pieces.
    @Test(arguments: [1, 7, 70, 4096])
    func partsSurviveAnyChunking(size: Int) async throws {
        let payload = ByteBuffer(bytes: (0..<20_000).map { UInt8(truncatingIfNeeded: $0 % 13 == 0 ? 13 : $0) })
        let form = MultipartBody().field("title", "t").file("doc", filename: "a.bin", payload).field("z", "\r\n--")
        let source = RequestBodySource(onFirstDemand: {}, onDrained: {})
        var body = form.body
        while let piece = body.readSlice(length: min(size, body.readableBytes)), piece.readableBytes > 0 { _ = source.append(piece) }
        source.finish()
        var request = Request(method: .POST, uri: "/", headers: form.headers)
        request.streamedBody = source
        var seen: [(String, ByteBuffer)] = []
        for try await part in try request.multipart(limits: limits(Self.folder())) {
            var bytes = ByteBuffer()
            for try await var chunk in part.body { bytes.writeBuffer(&chunk) }
            seen.append((part.name, bytes))
        }
        #expect(seen.map(\.0) == ["title", "doc", "z"])
        #expect(seen[1].1 == payload)
        #expect(String(buffer: seen[2].1) == "\r\n--")
    }

    @Test func aLargeUploadStreamsToDiskOverASocket() async throws {
        let folder = Self.folder()
        let payload = ByteBuffer(bytes: (0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) })
        let form = MultipartBody().field("note", "big").file("doc", filename: "big.bin", payload)
        try await app(limits(folder)).withLiveServer { client in
            let response = try await client.execute(.POST, "/sizes", headers: form.headers, body: form.body)
            #expect(response.status == .ok)
            #expect(try response.json()["sizes"] == [["note", 3], ["doc", .int(6 << 20)]])
            let saved = try await client.execute(.POST, "/form", headers: form.headers, body: form.body)
            #expect(try saved.json()["files"]?[0]?["same_size"] == true)
            #expect(try saved.json()["files"]?[0]?["size"] == .int(6 << 20))
        }
        #expect(Self.leftovers(folder).isEmpty)
    }
}
