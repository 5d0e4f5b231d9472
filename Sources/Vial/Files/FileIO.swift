import NIOFileSystem
import NIOPosix

/// The file system that file responses (and uploads) go through: NIO's non-blocking file
/// system on a thread pool of its own, so a download never waits behind CPU-heavy blocking work
/// on NIO's shared pool (password hashing runs there) and never delays it either.
public enum FileIO {
    /// Threads for file system calls: they mostly wait on the disk.
    public static let threads = 4

    /// The pool (it lives as long as the process).
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        return pool
    }()

    /// The shared file system.
    public static let fileSystem = FileSystem(threadPool: pool)

    /// Runs a blocking file-system call (Foundation's `FileManager`, `realpath`) on the file pool.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
