import Foundation
import Vial

/// Caches a GET/HEAD view's 200 answers (Flask-Caching's `@cache.cached`).
///
/// - The key always holds the authenticated identity (one user's answer never reaches
///   another), the method, the path and, unless `queryString` is false, the sorted query string.
/// - Answers carry a strong `ETag`, `Cache-Control: private, max-age=N` and `X-Cache: HIT|MISS`;
///   `If-None-Match` with the current ETag gives 304 without running the handler.
/// - `tags` label entries for invalidation (`cache.invalidate(tag:)` after writes);
///   `unless` skips the cache for a request.
public func cached(
    timeout: Double? = nil, keyPrefix: String = "view", queryString: Bool = true,
    tags: (@Sendable (Request) -> Set<String>)? = nil, unless: (@Sendable (Request) -> Bool)? = nil
) -> CachedView {
    CachedView(timeout: timeout, keyPrefix: keyPrefix, queryString: queryString, tags: tags, unless: unless, cache: nil)
}

/// `cached(…)` on a route. At `build()` it captures the `Cache` installed outside it
/// (`app.use(cache)`); with none installed the build fails naming the route.
public struct CachedView: Middleware {
    let timeout: Double?
    let keyPrefix: String
    let queryString: Bool
    let tags: (@Sendable (Request) -> Set<String>)?
    let unless: (@Sendable (Request) -> Bool)?
    let cache: Cache?

    public var name: String { timeout.map { "cached(\(Int($0))s)" } ?? "cached" }
    public var docs: MiddlewareDocs? { MiddlewareDocs(responses: [304: .empty("Not modified (If-None-Match matched the ETag)")]) }

    public func resolve(in route: MiddlewareResolution) throws -> any Middleware {
        guard let cache = route.outer(Cache.self) else {
            throw route.missing(name, fix: "install a Cache with app.use(Cache(…))")
        }
        return CachedView(timeout: timeout, keyPrefix: keyPrefix, queryString: queryString, tags: tags, unless: unless, cache: cache)
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        guard request.method == .GET || request.method == .HEAD, let cache, unless?(request) != true else {
            return try await next(request)
        }
        let key = CachedResponse.key(for: request, prefix: keyPrefix, queryString: queryString)
        if let (bytes, ttl) = try? await cache.backend.get(key), let stored = CachedResponse(decoding: bytes) {
            return stored.response(for: request, cacheState: "HIT", maxAge: ttl)
        }
        let response = try await next(request)
        guard response.status == .ok else { return response }
        let lifetime = timeout ?? cache.defaultTimeout
        let stored = CachedResponse(response)
        try? await cache.backend.set(key, stored.encoded(), timeout: lifetime, tags: tags?(request) ?? [])
        return stored.response(for: request, cacheState: "MISS", maxAge: lifetime)
    }
}

/// A 200 answer as the cache keeps it: content type, ETag and body.
struct CachedResponse {
    var contentType: String
    var etag: String
    var body: ArraySlice<UInt8>

    init(_ response: Response) {
        contentType = response.headers.first(name: "content-type") ?? "application/octet-stream"
        body = ArraySlice(response.body.readableBytesView)
        etag = "\"" + Hex.encode(LibCrypto.digest(.sha256, body).prefix(16)) + "\""
    }

    /// `contentType \n etag \n body`.
    func encoded() -> [UInt8] { Array((contentType + "\n" + etag + "\n").utf8) + body }

    /// Reads what `encoded()` wrote; the body stays a slice of the stored bytes (no copy).
    init?(decoding bytes: [UInt8]) {
        guard let first = bytes.firstIndex(of: 10), let second = bytes[(first + 1)...].firstIndex(of: 10) else { return nil }
        contentType = String(decoding: bytes[..<first], as: UTF8.self)
        etag = String(decoding: bytes[(first + 1)..<second], as: UTF8.self)
        body = bytes[(second + 1)...]
    }

    func response(for request: Request, cacheState: String, maxAge: Double) -> Response {
        var headers: HTTPHeaders = [
            "Content-Type": contentType, "ETag": etag, "Cache-Control": "private, max-age=\(max(Int(maxAge), 0))",
            "X-Cache": cacheState,
        ]
        if let match = request.header("If-None-Match"),
            match == "*" || match.split(separator: ",").contains(where: { $0.trimmedSpaces == etag })
        {
            headers.remove(name: "Content-Type")
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ByteBuffer(bytes: body))
    }

    /// `prefix:identity:METHOD:path?sorted-query` — identity always included.
    static func key(for request: Request, prefix: String, queryString: Bool) -> String {
        let identity = request.identity.map { "user:" + $0 } ?? "anonymous"
        var key = "\(prefix):\(identity):\(request.method.rawValue):\(request.path)"
        if queryString, !request.queryString.isEmpty {
            let pairs = request.args.pairs.sorted { ($0.key, $0.value) < ($1.key, $1.value) }
            key += "?" + pairs.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        }
        return key
    }
}
