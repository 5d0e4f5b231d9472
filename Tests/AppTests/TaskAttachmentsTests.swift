import Foundation
import NIOCore
import Testing
import Vial
import VialApp
import VialBlueprints
import VialMiddleware
import VialTesting

/// `/api/tasks/<task_id>/attachments`: upload, list, download with Range and ETag, delete,
/// limits, quota, who may, and what happens to the files.
@Suite struct TaskAttachmentsTests {
    /// A bundled app whose attachments go to a folder of their own, removed with the fixture.
    final class Fixture: Sendable {
        let bundled: BundledApp
        let folder: String
        let client: TestClient
        var attachments: TaskAttachments { bundled.services.assembly[TasksPlugin.Attachments.self]! }

        init(_ variables: [String: String] = [:]) async throws {
            folder = NSTemporaryDirectory() + "vial-attachments-test-" + UUID().uuidString
            bundled = try await BundledApp(variables.merging(["ATTACHMENTS_DIR": folder]) { mine, _ in mine })
            client = try bundled.app.testClient()
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }

        func auth(_ index: Int) -> HTTPHeaders { ["Authorization": "Bearer \(bundled.token(index))"] }

        /// A task of user `index` (1: the plain user, 0: the admin).
        func task(of index: Int = 1) async throws -> Int {
            let created = try await client.post("/api/tasks/", json: ["title": "with files"], headers: auth(index))
            return try #require(created.json()["data"]?["id"]?.intValue)
        }

        func upload(_ form: MultipartBody, task: Int, as index: Int = 1) async throws -> TestResponse {
            var headers = auth(index)
            headers.add(contentsOf: form.headers)
            return try await client.execute(.POST, "/api/tasks/\(task)/attachments", headers: headers, body: form.body)
        }

        /// Content files (named by hash) under the folder, temporary ones apart.
        var contentFiles: [String] {
            let all = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String]) ?? []
            return all.filter { ($0 as NSString).lastPathComponent.count == 64 && !$0.hasPrefix("tmp") }
        }

        var temporaryFiles: [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: folder + "/tmp")) ?? []
        }
    }

    static func sha256(_ bytes: ByteBuffer) -> String {
        var digest = StreamingDigest(.sha256)
        digest.update(bytes)
        return Hex.encode(digest.finish())
    }

    static let payload = ByteBuffer(bytes: (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ $0 >> 9) })

    @Test func uploadListDownloadWithRangeAndETag() async throws {
        let f = try await Fixture()
        let task = try await f.task()
        let form = MultipartBody().field("note", "ignored")
            .file("file", filename: "../report.bin", contentType: "application/x-custom", Self.payload)
            .file("file", filename: "notes.txt", "hello attachments")
        let uploaded = try await f.upload(form, task: task)
        #expect(uploaded.status == .created)
        let items = try #require(uploaded.json()["data"]?.arrayValue)
        #expect(items.count == 2)
        #expect(items[0]["filename"] == "report.bin")
        #expect(items[0]["content_type"] == "application/x-custom")
        #expect(items[0]["size"] == 300_000)
        #expect(items[0]["sha256"] == .string(Self.sha256(Self.payload)))
        #expect(items[1]["content_type"] == "text/plain")
        #expect(f.contentFiles.count == 2)
        #expect(f.temporaryFiles.isEmpty)

        let list = try await f.client.get("/api/tasks/\(task)/attachments", headers: f.auth(1))
        #expect(try list.json()["count"] == 2)
        let id = try #require(items[0]["id"]?.intValue)
        let url = "/api/tasks/\(task)/attachments/\(id)"
        let whole = try await f.client.get(url, headers: f.auth(1))
        #expect(whole.status == .ok)
        #expect(whole.body == Self.payload)
        #expect(whole.header("Content-Disposition") == "attachment; filename=\"report.bin\"")
        #expect(whole.header("Content-Type") == "application/x-custom")
        let etag = try #require(whole.header("ETag"))
        #expect(etag == "\"\(Self.sha256(Self.payload))\"")

        var ranged = f.auth(1)
        ranged.add(name: "Range", value: "bytes=1000-1999")
        let slice = try await f.client.get(url, headers: ranged)
        #expect(slice.status == .partialContent)
        #expect(slice.body == Self.payload.getSlice(at: 1000, length: 1000))

        var conditional = f.auth(1)
        conditional.add(name: "If-None-Match", value: etag)
        #expect(try await f.client.get(url, headers: conditional).status == .notModified)
    }

    @Test func othersAreRefusedAndAdminsMay() async throws {
        let f = try await Fixture()
        let task = try await f.task(of: 0)
        let form = MultipartBody().file("file", filename: "a.txt", "admin's")
        #expect(try await f.upload(form, task: task, as: 1).status == .forbidden)
        let uploaded = try await f.upload(form, task: task, as: 0)
        let id = try #require(uploaded.json()["data"]?[0]?["id"]?.intValue)
        #expect(try await f.client.get("/api/tasks/\(task)/attachments", headers: f.auth(1)).status == .forbidden)
        #expect(try await f.client.get("/api/tasks/\(task)/attachments/\(id)", headers: f.auth(1)).status == .forbidden)
        #expect(try await f.client.delete("/api/tasks/\(task)/attachments/\(id)", headers: f.auth(1)).status == .forbidden)
        #expect(try await f.client.get("/api/tasks/\(task)/attachments/\(id + 1)", headers: f.auth(0)).status == .notFound)
        #expect(try await f.client.get("/api/tasks/\(task)/attachments/\(id)").status == .unauthorized)
        // An attachment is found only under its own task.
        let other = try await f.task(of: 0)
        #expect(try await f.client.get("/api/tasks/\(other)/attachments/\(id)", headers: f.auth(0)).status == .notFound)
    }

    @Test func aFileOverTheLimitIs413AndNothingIsKept() async throws {
        let f = try await Fixture(["ATTACHMENT_MAX_BYTES": "100000"])
        let task = try await f.task()
        let form = MultipartBody().file("file", filename: "ok.txt", "fits").file("file", filename: "big.bin", Self.payload)
        let refused = try await f.upload(form, task: task)
        #expect(refused.status == .payloadTooLarge)
        // All or nothing: the first file, already kept, went again.
        let list = try await f.client.get("/api/tasks/\(task)/attachments", headers: f.auth(1))
        #expect(try list.json()["count"] == 0)
        #expect(f.temporaryFiles.isEmpty)
        #expect(try await f.attachments.files.sweep(f.attachments.store, olderThan: 0) >= 0)
        #expect(f.contentFiles.isEmpty)
    }

    @Test func theQuotaCountsEveryTaskOfTheOwner() async throws {
        let f = try await Fixture(["ATTACHMENT_QUOTA_BYTES": "400000"])
        let first = try await f.task(), second = try await f.task()
        #expect(try await f.upload(MultipartBody().file("file", filename: "a.bin", Self.payload), task: first).status == .created)
        let over = try await f.upload(MultipartBody().file("file", filename: "b.bin", Self.payload), task: second)
        #expect(over.status == .payloadTooLarge)
        #expect(try over.json()["error"]?["code"] == "quota_exceeded")
        let small = ByteBuffer(repeating: 1, count: 60_000)
        #expect(try await f.upload(MultipartBody().file("file", filename: "c.bin", small), task: second).status == .created)
        let full = try await f.upload(MultipartBody().file("file", filename: "d.bin", small), task: second)
        #expect(full.status == .payloadTooLarge)
        #expect(try full.json()["error"]?["code"] == "quota_exceeded")
    }

    @Test func badFormsAreRefused() async throws {
        let f = try await Fixture()
        let task = try await f.task()
        let noFile = try await f.upload(MultipartBody().field("note", "no file"), task: task)
        #expect(noFile.status == .badRequest)
        #expect(try noFile.json()["error"]?["code"] == "invalid_multipart")
        let json = try await f.client.post("/api/tasks/\(task)/attachments", json: ["file": "x"], headers: f.auth(1))
        #expect(json.status == .unsupportedMediaType)
        var tooMany = MultipartBody()
        for index in 0..<11 { tooMany = tooMany.file("file", filename: "f\(index).txt", "x\(index)") }
        #expect(try await f.upload(tooMany, task: task).status == .payloadTooLarge)
        #expect(try await f.client.get("/api/tasks/\(task)/attachments", headers: f.auth(1)).json()["count"] == 0)
    }

    @Test func deletingAnAttachmentOrItsTaskRemovesItsContent() async throws {
        let f = try await Fixture()
        let first = try await f.task(), second = try await f.task()
        let form = MultipartBody().file("file", filename: "same.bin", Self.payload)
        let a = try #require(try await f.upload(form, task: first).json()["data"]?[0]?["id"]?.intValue)
        #expect(try await f.upload(form, task: second).status == .created)
        // The same bytes twice are stored once.
        #expect(f.contentFiles.count == 1)
        #expect(try await f.client.delete("/api/tasks/\(first)/attachments/\(a)", headers: f.auth(1)).status == .noContent)
        #expect(try await f.client.get("/api/tasks/\(first)/attachments/\(a)", headers: f.auth(1)).status == .notFound)
        #expect(try await f.attachments.files.sweep(f.attachments.store, olderThan: 0) == 0)
        #expect(f.contentFiles.count == 1)  // still the second task's
        let list = try await f.client.get("/api/tasks/\(second)/attachments", headers: f.auth(1))
        let b = try #require(list.json()["data"]?[0]?["id"]?.intValue)
        #expect(try await f.client.get("/api/tasks/\(second)/attachments/\(b)", headers: f.auth(1)).body == Self.payload)
        // Deleting the task deletes its attachments (ON DELETE CASCADE), then their content.
        #expect(try await f.client.delete("/api/tasks/\(second)", headers: f.auth(1)).status == .noContent)
        #expect(try await f.attachments.store.list(task: Int64(second)).isEmpty)
        #expect(try await f.attachments.files.sweep(f.attachments.store, olderThan: 0) == 1)
        #expect(f.contentFiles.isEmpty)
    }

    @Test func contentIsRemovedAtOnceOutsideTheGraceTime() async throws {
        let f = try await Fixture()
        let task = try await f.task()
        let files = AttachmentFiles(directory: f.folder, graceSeconds: 0)
        let id = try #require(try await f.upload(MultipartBody().file("file", filename: "x", "bytes"), task: task).json()["data"]?[0]?["id"]?.intValue)
        let attachment = try #require(try await f.attachments.store.find(id: Int64(id), task: Int64(task)))
        #expect(try await f.attachments.store.delete(id: Int64(id)))
        await files.removeIfUnreferenced(attachment.sha256, f.attachments.store)
        #expect(f.contentFiles.isEmpty)
    }

    @Test func aLargeUploadStreamsOverASocket() async throws {
        let f = try await Fixture()
        let task = try await f.task()
        let big = ByteBuffer(bytes: (0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) })
        let form = MultipartBody().file("file", filename: "big.bin", big)
        var uploadHeaders = f.auth(1)
        uploadHeaders.add(contentsOf: form.headers)
        let headers = uploadHeaders
        try await f.bundled.app.withLiveServer { client in
            let uploaded = try await client.execute(.POST, "/api/tasks/\(task)/attachments", headers: headers, body: form.body)
            #expect(uploaded.status == .created)
            #expect(try uploaded.json()["data"]?[0]?["sha256"] == .string(Self.sha256(big)))
            let id = try #require(try uploaded.json()["data"]?[0]?["id"]?.intValue)
            let downloaded = try await client.execute(.GET, "/api/tasks/\(task)/attachments/\(id)", headers: f.auth(1), body: nil)
            #expect(downloaded.body == big)
        }
    }
}
