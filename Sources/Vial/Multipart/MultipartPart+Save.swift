import NIOCore
import NIOFileSystem

extension MultipartPart {
    /// Writes the part's bytes to a new temporary file in `directory` (by default the limits'
    /// `temporaryDirectory`, created when missing) and answers it as an `UploadedFile`.
    ///
    /// The file appears under its name only once it is whole: a failed or cut-short upload
    /// leaves nothing behind. With `durable`, its bytes reach the disk (`fsync`) before this
    /// returns. `observe` sees every chunk as it is written (to hash it, say).
    public func save(
        in directory: String? = nil, durable: Bool = false, observe: (ByteBuffer) -> Void = { _ in }
    ) async throws -> UploadedFile {
        let folder = directory ?? body.decoderLimits.temporaryDirectory
        try await FileIO.fileSystem.createDirectory(
            at: FilePath(folder), withIntermediateDirectories: true, permissions: [.ownerReadWriteExecute])
        let path = folder + "/upload-" + Self.randomName()
        let handle = try await FileIO.fileSystem.openFile(
            forWritingAt: FilePath(path), options: .newFile(replaceExisting: false, permissions: [.ownerReadWrite]))
        var size: Int64 = 0
        do {
            // Writes of about 256 KiB: each write is a hop to the file system's threads.
            var pending = ByteBuffer()
            for try await var chunk in body {
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
        return UploadedFile(name: name, filename: filename, contentType: contentType, size: Int(size), path: path)
    }

    /// 32 random hex digits.
    static func randomName() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}

extension MultipartPartBody {
    var decoderLimits: MultipartLimits { decoder.limits }
}
