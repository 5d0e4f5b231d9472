#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOFileSystem
import Synchronization

/// A file part saved to a temporary file (`MultipartPart.save()`, `Request.formData()`), as
/// Werkzeug's `FileStorage`. The temporary file is removed when the last reference to this
/// object goes, at the latest when the request ends, unless `move(to:)` or `keep()` took it.
public final class UploadedFile: Sendable {
    /// The form field's name.
    public let name: String
    /// The file's name made safe (see `MultipartPart.filename`), nil when none was usable.
    public let filename: String?
    /// The `Content-Type` the client sent, nil when absent.
    public let contentType: String?
    /// Bytes in the file.
    public let size: Int
    /// Where the file is now: the temporary file until `move(to:)`.
    public var path: String { state.withLock { $0.path } }

    private struct State {
        var path: String
        var kept = false
    }

    private let state: Mutex<State>

    init(name: String, filename: String?, contentType: String?, size: Int, path: String) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.size = size
        state = Mutex(State(path: path))
    }

    /// Moves the file to `destination` (replacing a file there) and keeps it: an atomic rename
    /// on the same file system, else a copy. The caller owns it from then on.
    public func move(to destination: String) async throws {
        let source = path
        let renamed = try await FileIO.run { () throws -> Bool in
            if rename(source, destination) == 0 { return true }
            guard errno == EXDEV else { throw FileMoveError(code: errno) }
            return false
        }
        if !renamed {
            _ = try? await FileIO.fileSystem.removeItem(at: FilePath(destination), strategy: .platformDefault, recursively: false)
            try await FileIO.fileSystem.copyItem(at: FilePath(source), to: FilePath(destination))
            _ = try? await FileIO.fileSystem.removeItem(at: FilePath(source), strategy: .platformDefault, recursively: false)
        }
        state.withLock { $0 = State(path: destination, kept: true) }
    }

    /// Keeps the file where it is and answers its path: the caller removes it when done.
    @discardableResult
    public func keep() -> String {
        state.withLock { state in
            state.kept = true
            return state.path
        }
    }

    deinit {
        let state = state.withLock { $0 }
        if !state.kept { unlink(state.path) }
    }
}

/// A rename that failed for another reason than crossing file systems.
struct FileMoveError: Error, CustomStringConvertible {
    let code: Int32
    var description: String { "rename failed: \(String(cString: strerror(code)))" }
}
