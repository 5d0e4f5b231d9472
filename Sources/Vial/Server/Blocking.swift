import NIOPosix

/// Runs blocking work — disk reads, slow hashing, building a large document — on NIO's shared
/// thread pool (`NIOThreadPool.singleton`), so that neither an event loop nor one of Swift's
/// few cooperative threads waits on it. Throws if the pool is shut down.
///
/// ```swift
/// let data = try await runBlocking { try Data(contentsOf: url) }
/// ```
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}
