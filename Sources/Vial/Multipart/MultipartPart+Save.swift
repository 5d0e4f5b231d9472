import Foundation
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
        let path = folder + "/upload-" + UUID().uuidString
        let size = try await FileWriting.write(body, to: path, durable: durable, observe: observe)
        return UploadedFile(name: name, filename: filename, contentType: contentType, size: size, path: path)
    }
}

extension MultipartPartBody {
    var decoderLimits: MultipartLimits { decoder.limits }
}
