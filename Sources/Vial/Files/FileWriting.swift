import NIOCore
import NIOFileSystem

/// Writes a stream of chunks to a new file, as both `RequestBody.save(to:)` and
/// `MultipartPart.save()` do: in writes of about 256 KiB (each is a hop to the file system's
/// threads), appearing under its name only once whole (NIO's transactional creation: a failed
/// or cut-short stream leaves nothing), fsynced first when `durable`.
enum FileWriting {
    static func write<Chunks: AsyncSequence>(
        _ chunks: Chunks, to path: String, durable: Bool, observe: (ByteBuffer) -> Void = { _ in }
    ) async throws -> Int where Chunks.Element == ByteBuffer {
        let handle = try await FileIO.fileSystem.openFile(
            forWritingAt: FilePath(path), options: .newFile(replaceExisting: false, permissions: [.ownerReadWrite]))
        var size: Int64 = 0
        do {
            var pending = ByteBuffer()
            for try await var chunk in chunks {
                observe(chunk)
                pending.writeBuffer(&chunk)
                if pending.readableBytes >= 256 * 1024 {
                    size += try await handle.write(contentsOf: pending, toAbsoluteOffset: size)
                    pending.clear()
                }
            }
            if pending.readableBytes > 0 { size += try await handle.write(contentsOf: pending, toAbsoluteOffset: size) }
            if durable { try await handle.synchronize() }
            try await handle.close(makeChangesVisible: true)
        } catch {
            try? await handle.close(makeChangesVisible: false)
            throw error
        }
        return Int(size)
    }
}

extension RequestBody {
    /// Writes the rest of the body to a new file at `path` (which must not exist) and answers
    /// its size: an upload to disk that never sits whole in memory. The file appears only once
    /// whole; with `durable`, its bytes reach the disk (`fsync`) before this returns.
    ///
    /// ```swift
    /// app.put("/files/<name>", streamedBody(maxSize: 10 << 30)) { req in
    ///     let size = try await req.bodyStream.save(to: "uploads/\(UUID())")
    ///     return ["bytes": .int(size)] as JSON
    /// }
    /// ```
    public func save(to path: String, durable: Bool = false) async throws -> Int {
        try await FileWriting.write(self, to: path, durable: durable)
    }
}
