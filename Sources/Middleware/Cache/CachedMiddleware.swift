import Foundation
import Vial

/// Caches a GET/HEAD view's 200 answers (Flask-Caching's `@cache.cached`).
///
/// - The key always holds the authenticated identity and its current role (one user's answer
///   never reaches another, and an admin's answers never reach the same account once demoted),
///   the method, the path and, unless `queryString` is false, the query: the arguments the
///   route declares (`RouteDocs.query`) when it declares any — junk arguments neither split nor
///   evict entries — else the whole sorted query string.
/// - Each identity holds a bounded share of an in-memory cache (`SimpleCache.maxEntriesPerOwner`).
/// - Answers carry a strong `ETag`, `Cache-Control: private, max-age=N` and `X-Cache: HIT|MISS`;
///   `If-None-Match` with the current ETag gives 304 without running the handler.
/// - Streamed answers (`Response.stream`, event streams, files) pass through uncached.
/// - `tags` label entries for invalidation (`cache.invalidate(tag:)` after writes);
///   `unless` skips the cache for a request.
public func cached(
    timeout: Double? = nil, keyPrefix: String = "view", queryString: Bool = true,
    tags: (@Sendable (Request) -> Set<String>)? = nil, unless: (@Sendable (Request) -> Bool)? = nil
) -> CachedView {
    CachedView(
        timeout: timeout, keyPrefix: keyPrefix, queryString: queryString, tags: tags, unless: unless, cache: nil,
        declaredQuery: [])
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
    /// The route's declared query arguments (none: the whole query string keys the entry).
    let declaredQuery: [String]

    public var name: String { timeout.map { "cached(\(Int($0))s)" } ?? "cached" }
    public var docs: MiddlewareDocs? { MiddlewareDocs(responses: [304: .empty("Not modified (If-None-Match matched the ETag)")]) }

    public func resolve(in route: MiddlewareResolution) throws -> any Middleware {
        guard let cache = route.outer(Cache.self) else {
            throw route.missing(name, fix: "install a Cache with app.use(Cache(…))")
        }
        return CachedView(
            timeout: timeout, keyPrefix: keyPrefix, queryString: queryString, tags: tags, unless: unless, cache: cache,
            declaredQuery: route.declaredQuery)
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        guard request.method == .GET || request.method == .HEAD, let cache, unless?(request) != true else {
            return try await next(request)
        }
        let owner = CachedResponse.owner(of: request)
        let key = CachedResponse.key(
            for: request, owner: owner, prefix: keyPrefix, queryString: queryString, declaredQuery: declaredQuery)
        if let (bytes, ttl) = try? await cache.backend.get(key), let stored = CachedResponse(decoding: bytes) {
            return stored.response(for: request, cacheState: "HIT", maxAge: ttl)
        }
        let response = try await next(request)
        // A streamed body is never held whole, so it is never cached.
        guard response.status == .ok, !response.isStreamed else { return response }
        let lifetime = timeout ?? cache.defaultTimeout
        let stored = CachedResponse(response)
        try? await cache.backend.set(key, stored.encoded(), timeout: lifetime, tags: tags?(request) ?? [], owner: owner)
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

    /// Who an entry belongs to: `user:ID:ROLE` (the role as checked for this request), or `anonymous`.
    static func owner(of request: Request) -> String {
        guard let identity = request.identity else { return "anonymous" }
        return "user:" + identity + ":" + (request.jwtClaims?.role ?? "-")
    }

    /// `prefix:owner:METHOD:path?query` — owner always included; the query is the declared
    /// arguments in declared order when there are any, else every argument, sorted.
    static func key(for request: Request, owner: String, prefix: String, queryString: Bool, declaredQuery: [String]) -> String {
        var key = "\(prefix):\(owner):\(request.method.rawValue):\(request.path)"
        guard queryString, !request.queryString.isEmpty else { return key }
        let args = request.args
        if declaredQuery.isEmpty {
            let pairs = args.pairs.sorted { ($0.key, $0.value) < ($1.key, $1.value) }
            key += "?" + pairs.map { part($0.key, $0.value) }.joined(separator: "&")
        } else {
            let pairs = declaredQuery.compactMap { name in args[name].map { part(name, $0) } }
            if !pairs.isEmpty { key += "?" + pairs.joined(separator: "&") }
        }
        return key
    }

    /// `name=LENGTH:value`: a value holding `&` or `=` cannot pass for two arguments.
    private static func part(_ name: String, _ value: String) -> String {
        "\(name.utf8.count):\(name)=\(value.utf8.count):\(value)"
    }
}
