import Foundation
import Vial

/// Flask-Caching's `Cache`: a backend and a default timeout, for manual `get`/`set`,
/// memoized functions, and (installed with `app.use(cache)`) the `cached(…)` route middleware.
///
/// ```swift
/// let cache = Cache(backend: SimpleCache(), defaultTimeout: 300)
/// app.use(cache)
/// tasks.get("/", cached(timeout: 60, tags: { req in ["tasks:user:\(req.identity ?? "")"] })) { … }
/// try await cache.invalidate(tag: "tasks:user:42")        // after a write
/// let stats = try await cache.memoized("stats", key: "\(userID)") { try await computeStats(userID) }
/// ```
public final class Cache: Middleware {
    public let backend: any CacheBackend
    /// `CACHE_DEFAULT_TIMEOUT`, seconds.
    public let defaultTimeout: Double

    public var name: String { "cache" }
    public var isListed: Bool { false }

    public init(backend: any CacheBackend = SimpleCache(), defaultTimeout: Double = 300) {
        self.backend = backend
        self.defaultTimeout = defaultTimeout
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        var request = request
        request.storage[CacheKey.self] = self
        return try await next(request)
    }

    // MARK: Manual use

    /// The decoded value under `key`, if present and fresh.
    public func get<T: Decodable>(_ key: String, as type: T.Type = T.self) async throws -> T? {
        guard let (bytes, _) = try await backend.get(key) else { return nil }
        return try? JSONCoding.decoder.decode(T.self, from: Data(bytes))
    }

    /// Stores `value` under `key` for `timeout` seconds (default: the cache's).
    public func set<T: Encodable>(_ key: String, _ value: T, timeout: Double? = nil, tags: Set<String> = []) async throws {
        try await backend.set(key, try JSONCoding.encode(value), timeout: timeout ?? defaultTimeout, tags: tags)
    }

    public func delete(_ key: String) async throws { try await backend.delete(key) }
    public func clear() async throws { try await backend.clear() }
    /// Drops every entry tagged `tag` (cached views and memoized values alike).
    public func invalidate(tag: String) async throws { try await backend.delete(tag: tag) }
    /// Drops every entry tagged with any of `tags`, in one round trip where the backend allows.
    public func invalidate(tags: Set<String>) async throws { try await backend.delete(tags: tags) }
    /// Drops every entry whose key starts with `prefix`.
    public func invalidate(prefix: String) async throws { try await backend.delete(prefix: prefix) }

    // MARK: Memoize

    /// The cached result of `compute` for (`function`, `key`), computing and storing it on a miss.
    public func memoized<T: Codable & Sendable>(
        _ function: String, key: String, timeout: Double? = nil, tags: Set<String> = [],
        _ compute: () async throws -> T
    ) async throws -> T {
        let cacheKey = Self.memoKey(function, key)
        if let hit: T = try await get(cacheKey) { return hit }
        let value = try await compute()
        try await set(cacheKey, value, timeout: timeout, tags: tags)
        return value
    }

    /// Forgets memoized results of `function` — for one `key`, or all of them.
    public func forget(_ function: String, key: String? = nil) async throws {
        if let key {
            try await backend.delete(Self.memoKey(function, key))
        } else {
            try await backend.delete(prefix: "memo:\(function):")
        }
    }

    static func memoKey(_ function: String, _ key: String) -> String { "memo:\(function):\(key)" }
}

enum CacheKey: StorageKey { typealias Value = Cache }

extension Request {
    /// The app's cache, when one is installed with `app.use(cache)`.
    public var cache: Cache? { storage[CacheKey.self] }
}
