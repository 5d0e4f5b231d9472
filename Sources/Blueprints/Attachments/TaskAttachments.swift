import Foundation
import Vial
import VialApp
import VialMiddleware

/// Files attached to tasks: `POST/GET /<task_id>/attachments`, `GET/DELETE
/// /<task_id>/attachments/<attachment_id>` on the tasks blueprint (see docs/bundled-api.md).
public struct TaskAttachments: Sendable {
    /// What the routes allow.
    public struct Settings: Sendable {
        /// Bytes of one file (`ATTACHMENT_MAX_BYTES`, 50 MiB).
        public var maxBytes = 50 << 20
        /// Files in one upload (`ATTACHMENT_MAX_FILES`, 10).
        public var maxFiles = 10
        /// Bytes of attachments on one user's tasks (`ATTACHMENT_QUOTA_BYTES`, 1 GiB).
        public var quotaBytes: Int64 = 1 << 30

        public init() {}

        /// Reads the three settings.
        public static func load(_ settings: SettingsReader) throws -> Settings {
            var loaded = Settings()
            loaded.maxBytes = try settings.integer("ATTACHMENT_MAX_BYTES", default: loaded.maxBytes, in: 1...(1 << 40))
            loaded.maxFiles = try settings.integer("ATTACHMENT_MAX_FILES", default: loaded.maxFiles, in: 1...1_000)
            loaded.quotaBytes = Int64(
                try settings.integer("ATTACHMENT_QUOTA_BYTES", default: Int(loaded.quotaBytes), in: 0...(1 << 50)))
            return loaded
        }
    }

    public let store: AttachmentStore
    public let files: AttachmentFiles
    public let settings: Settings
    let clock: any WallClock

    public init(store: AttachmentStore, files: AttachmentFiles, settings: Settings = Settings(), clock: any WallClock = SystemClock()) {
        self.store = store
        self.files = files
        self.settings = settings
        self.clock = clock
    }

    /// The largest upload body: every file at its limit, plus room for the parts' headers.
    var bodyLimit: Int { settings.maxBytes * settings.maxFiles + (1 << 20) }

    /// Adds the four routes to the tasks blueprint.
    func register(on blueprint: Blueprint, tasks: any TaskStore) {
        let notFound = ResponseDoc.error("Task or attachment not found")
        let forbidden = TasksBlueprint.forbidden

        blueprint.post(
            "/<int:task_id>/attachments", name: "upload_attachments",
            docs: RouteDocs(
                summary: "Attach files to a task",
                description: """
                    multipart/form-data with one or more file parts (any field name; text fields are ignored). \
                    Each file at most ATTACHMENT_MAX_BYTES, at most ATTACHMENT_MAX_FILES per upload, and the task \
                    owner's attachments within ATTACHMENT_QUOTA_BYTES. All files are kept, or none.
                    """,
                tags: ["tasks"], form: [.file("file", multiple: true, maxCount: settings.maxFiles)],
                responses: [
                    201: .items(Attachment.self, "The new attachments"), 400: .error("Not a valid form, or no file in it"),
                    403: forbidden, 404: notFound, 413: .error("A file, the upload or the quota is too large"),
                    415: .error("Not multipart/form-data"),
                ]),
            streamedBody(maxSize: bodyLimit)
        ) { req in
            let task = try await TasksBlueprint.owned(req, tasks)
            var response = try Response.list(try await upload(req, to: task))
            response.status = .created
            return response
        }

        blueprint.get(
            "/<int:task_id>/attachments", name: "list_attachments",
            docs: RouteDocs(
                summary: "List a task's attachments", tags: ["tasks"],
                responses: [200: .items(Attachment.self, "The attachments, oldest first"), 403: forbidden, 404: notFound])
        ) { req in
            let task = try await TasksBlueprint.owned(req, tasks)
            return try .list(try await store.list(task: task.id!))
        }

        blueprint.get(
            "/<int:task_id>/attachments/<int:attachment_id>", name: "download_attachment",
            docs: RouteDocs(
                summary: "Download an attachment",
                description: "The file as sent, streamed, as an attachment; Range gives 206, If-None-Match 304.",
                tags: ["tasks"],
                responses: [
                    200: .media("application/octet-stream", "The file"), 206: .media("application/octet-stream", "A range of it"),
                    403: forbidden, 404: notFound, 416: .error("Range not satisfiable"),
                ])
        ) { req in
            let attachment = try await find(req, tasks)
            return try await .file(
                at: files.path(for: attachment.sha256), for: req, contentType: attachment.contentType,
                disposition: .attachment(filename: attachment.filename), etag: "\"\(attachment.sha256)\"")
        }

        blueprint.delete(
            "/<int:task_id>/attachments/<int:attachment_id>", name: "delete_attachment",
            docs: RouteDocs(
                summary: "Delete an attachment", tags: ["tasks"],
                responses: [204: .empty("Deleted"), 403: forbidden, 404: notFound])
        ) { req in
            let attachment = try await find(req, tasks)
            if try await store.delete(id: attachment.id!) {
                await files.removeIfUnreferenced(attachment.sha256, store)
            }
            return .noContent
        }
    }

    /// Receives every file of the form; on any failure the ones already kept are removed again.
    func upload(_ req: Request, to task: TaskItem) async throws -> [Attachment] {
        let used = try await store.usedBytes(owner: task.ownerId)
        let remaining = settings.quotaBytes - used
        guard remaining > 0 else { throw Self.overQuota }
        let limits = MultipartLimits(
            maxParts: settings.maxFiles + 20, maxFileSize: Int(min(Int64(settings.maxBytes), remaining)),
            temporaryDirectory: files.temporaryDirectory)
        var created: [Attachment] = []
        do {
            for try await part in try req.multipart(limits: limits) where part.isFile {
                guard created.count < settings.maxFiles else {
                    throw HTTPError(
                        .payloadTooLarge, "At most \(settings.maxFiles) files per upload", code: "payload_too_large")
                }
                let file: UploadedFile, sha256: String
                do {
                    (file, sha256) = try await files.receive(part)
                } catch let error as HTTPError where error.status == .payloadTooLarge && part.body.count <= settings.maxBytes {
                    throw Self.overQuota  // the file fits the per-file limit: what is left of the quota does not
                }
                try await files.commit(file, sha256: sha256)
                let attachment = Attachment(
                    taskId: task.id!, ownerId: task.ownerId, filename: part.filename ?? "attachment",
                    contentType: Self.acceptable(part.contentType), size: Int64(file.size), sha256: sha256,
                    createdAt: Timestamp.string(clock.date))
                guard let saved = try await store.create(attachment, quota: settings.quotaBytes) else { throw Self.overQuota }
                created.append(saved)
            }
        } catch {
            for attachment in created where (try? await store.delete(id: attachment.id!)) == true {
                await files.removeIfUnreferenced(attachment.sha256, store)
            }
            throw error
        }
        guard !created.isEmpty else {
            throw HTTPError(.badRequest, "The form has no file part", code: "invalid_multipart")
        }
        return created
    }

    /// Removes the content of a task's attachments once the task (and so, by cascade, they) went.
    func removeContents(of hashes: [String]) async {
        for sha256 in Set(hashes) { await files.removeIfUnreferenced(sha256, store) }
    }

    /// The attachment named by the path, on a task the caller may act on.
    private func find(_ req: Request, _ tasks: any TaskStore) async throws -> Attachment {
        let task = try await TasksBlueprint.owned(req, tasks)
        let id: Int = try req.param("attachment_id")
        guard let attachment = try await store.find(id: Int64(id), task: task.id!) else {
            throw HTTPError.notFound("Attachment with ID \(id) not found")
        }
        return attachment
    }

    static let overQuota = HTTPError(.payloadTooLarge, "The attachments quota of this task's owner is used up", code: "quota_exceeded")

    /// The part's media type when it is a plain `type/subtype`, else `application/octet-stream`.
    static func acceptable(_ contentType: String?) -> String {
        guard let contentType, contentType.utf8.count <= 127 else { return MediaType.fallback }
        let pieces = contentType.split(separator: ";", maxSplits: 1)[0].trimmedSpaces.lowercased().split(separator: "/")
        let token: (Substring) -> Bool = { !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$&^_.+-".contains($0)) } }
        guard pieces.count == 2, token(pieces[0]), token(pieces[1]) else { return MediaType.fallback }
        return pieces.joined(separator: "/")
    }
}
