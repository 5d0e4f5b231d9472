#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import Vial
import VialMiddleware

/// Attachment contents on disk, each named by its SHA-256 (`ab/ab12…`) in `directory`, which
/// several instances may share (a shared volume).
///
/// An upload is written to `directory/tmp`, fsynced, and renamed into place before its row is
/// inserted: a crash leaves at worst a file no row points to, never a row pointing to half a
/// file. Content no row refers to is removed when its last attachment goes — unless it was
/// (re)written in the last `graceSeconds`, as an upload of the same bytes on another instance
/// may be about to insert its row — and by `sweep`, which the plugin runs at start and hourly.
public final class AttachmentFiles: Sendable {
    public let directory: String
    /// Where uploads wait until they are whole.
    public var temporaryDirectory: String { directory + "/tmp" }
    /// Content younger than this is never removed as unreferenced.
    let graceSeconds: Double

    public init(directory: String, graceSeconds: Double = 60) {
        self.directory = directory
        self.graceSeconds = graceSeconds
    }

    /// Where content `sha256` lives.
    public func path(for sha256: String) -> String {
        "\(directory)/\(sha256.prefix(2))/\(sha256)"
    }

    /// Saves a file part to a temporary file (fsynced), hashing it on the way.
    func receive(_ part: MultipartPart) async throws -> (file: UploadedFile, sha256: String) {
        let digest = DigestBox()
        let file = try await part.save(in: temporaryDirectory, durable: true) { digest.update($0) }
        return (file, digest.hex())
    }

    /// Moves a received file into place under its hash (replacing the same bytes if there).
    func commit(_ file: UploadedFile, sha256: String) async throws {
        let target = path(for: sha256)
        let folder = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try await file.move(to: target)
        // The rename itself must survive a crash before a row may point to it.
        try await FileIO.run { Self.syncDirectory(folder) }
    }

    /// Removes content `sha256` when no attachment refers to it and it is older than the grace time.
    public func removeIfUnreferenced(_ sha256: String, _ store: AttachmentStore) async {
        guard (try? await store.isReferenced(sha256)) == false else { return }
        let target = path(for: sha256)
        _ = try? await FileIO.run { [graceSeconds] in
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: target))?[.modificationDate] as? Date,
                Date().timeIntervalSince(modified) > graceSeconds
            else { return }
            unlink(target)
        }
    }

    /// Removes content no attachment refers to and temporary files older than an hour: what a
    /// crash, a task deleted in the grace time or another instance's failure left behind.
    /// Answers how many files went.
    @discardableResult
    public func sweep(_ store: AttachmentStore, olderThan age: Double = 3_600) async throws -> Int {
        let referenced = try await store.allHashes()
        let directory = directory
        return try await FileIO.run {
            let manager = FileManager.default
            guard let enumerator = manager.enumerator(atPath: directory) else { return 0 }
            var removed = 0
            let cutoff = Date().addingTimeInterval(-age)
            while let relative = enumerator.nextObject() as? String {
                let full = directory + "/" + relative
                guard let attributes = try? manager.attributesOfItem(atPath: full),
                    attributes[.type] as? FileAttributeType == .typeRegular,
                    let modified = attributes[.modificationDate] as? Date, modified < cutoff
                else { continue }
                let name = (relative as NSString).lastPathComponent
                let isContent = !relative.hasPrefix("tmp/") && name.count == 64
                if isContent && referenced.contains(name) { continue }
                if unlink(full) == 0 { removed += 1 }
            }
            return removed
        }
    }

    private static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}

/// A SHA-256 being computed, for `MultipartPart.save(observe:)`.
private final class DigestBox {
    private var digest: StreamingDigest? = StreamingDigest(.sha256)

    func update(_ chunk: ByteBuffer) { digest?.update(chunk) }

    func hex() -> String {
        guard let digest = digest.take() else { return "" }
        return Hex.encode(digest.finish())
    }
}
