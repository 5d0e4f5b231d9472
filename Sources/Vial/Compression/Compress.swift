import CompressNIO
import NIOCore
import NIOHTTP1

/// What `compress(_:)` compresses, as Flask-Compress names its settings.
public struct CompressionSettings: Sendable {
    /// Media types compressed (`COMPRESS_MIMETYPES`). Server-Sent Events are not among them:
    /// each event would need a flush of its own, which takes most of the gain, and some
    /// proxies hold compressed streams back.
    public var mimeTypes: Set<String> = [
        "text/html", "text/css", "text/plain", "text/xml", "text/csv", "text/markdown", "text/javascript",
        "application/javascript", "application/json", "application/xml", "application/x-ndjson", "application/yaml",
        "application/problem+json", "image/svg+xml",
    ]
    /// zlib level, 1 (fast) to 9 (small) (`COMPRESS_LEVEL`).
    public var level = 6
    /// Bodies smaller than this many bytes go as they are (`COMPRESS_MIN_SIZE`).
    public var minSize = 500
    /// Whether streamed responses of those types are compressed too, a flush per write so that
    /// each chunk still arrives when written (`COMPRESS_STREAMS`).
    public var streams = true

    public init() {}
}

/// gzip for responses to clients that accept it (`Accept-Encoding: gzip`), as Flask-Compress:
/// a body of a listed type (`CompressionSettings.mimeTypes`) and at least `minSize` bytes is
/// compressed and `Content-Encoding: gzip` set; every answer gets `Vary: Accept-Encoding` (a
/// cache must not give a gzip body to a client that did not ask).
///
/// Left alone: answers with a `Content-Encoding` already (compressed images, archives), ranges
/// (206), `Cache-Control: no-transform`, and bodiless statuses. A strong `ETag` gets `-gzip`
/// inside its quotes, as the compressed body is a different representation.
/// Streamed answers (JSON Lines, CSV exports) are compressed chunk by chunk with a flush each.
///
/// ```swift
/// app.compressResponses()            // the whole app, outside every middleware
/// api.use(compress())                // one blueprint
/// ```
public func compress(_ settings: CompressionSettings = CompressionSettings()) -> Compress {
    Compress(settings: settings)
}

/// See `compress(_:)`.
public struct Compress: Middleware {
    public let settings: CompressionSettings

    public init(settings: CompressionSettings) { self.settings = settings }

    public var name: String { "compress(gzip)" }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        var response = try await next(request)
        apply(to: &response, for: request)
        return response
    }

    /// Compresses `response` when `request` accepts gzip and the answer qualifies; adds `Vary`.
    func apply(to response: inout Response, for request: Request) {
        // As Flask-Compress: every answer varies by Accept-Encoding (a shared cache must not
        // give a gzip body to a client that did not ask). The cheap checks go first: most
        // requests (API clients, benchmarks) send no Accept-Encoding at all.
        response.headers.add(name: "Vary", value: "Accept-Encoding")
        guard request.headers.contains(name: "accept-encoding"), Self.acceptsGzip(request.headers),
            isCompressible(response)
        else { return }
        if let stream = response.stream {
            guard settings.streams else { return }
            response.stream = GzipStream.wrap(stream, level: settings.level)
        } else {
            guard response.body.readableBytes >= settings.minSize,
                let compressed = try? Self.gzip(response.body, level: settings.level),
                compressed.readableBytes < response.body.readableBytes
            else { return }
            response.body = compressed
        }
        response.headers.replaceOrAdd(name: "Content-Encoding", value: "gzip")
        response.headers.remove(name: "Content-Length")
        if let etag = response.headers.first(name: "ETag"), etag.hasSuffix("\"") {
            response.headers.replaceOrAdd(name: "ETag", value: String(etag.dropLast()) + "-gzip\"")
        }
    }

    /// Whether the response is of a listed type and may be compressed.
    private func isCompressible(_ response: Response) -> Bool {
        let status = response.status.code
        guard status >= 200, status != 204, status != 206, status != 304,
            !response.headers.contains(name: "content-encoding"),
            !response.headers.contains(name: "content-range"),
            let contentType = response.headers.first(name: "content-type")
        else { return false }
        guard settings.mimeTypes.contains(HeaderParameters(contentType).value) else { return false }
        let cacheControl = response.headers.first(name: "cache-control")?.lowercased() ?? ""
        return !cacheControl.contains("no-transform")
    }

    /// Whether `Accept-Encoding` lists `gzip` (or `*`) with a q-value above 0.
    static func acceptsGzip(_ headers: HTTPHeaders) -> Bool {
        var gzip: Bool?
        var any: Bool?
        for value in headers[canonicalForm: "accept-encoding"] {
            let coding = HeaderParameters(String(value))
            let accepted = coding["q"].map { (Double($0) ?? 0) > 0 } ?? true
            if coding.value == "gzip" || coding.value == "x-gzip" { gzip = accepted } else if coding.value == "*" { any = accepted }
        }
        return gzip ?? any ?? false
    }

    /// `body` gzipped whole.
    static func gzip(_ body: ByteBuffer, level: Int) throws -> ByteBuffer {
        let compressor = try ZlibCompressor(algorithm: .gzip, configuration: ZlibConfiguration(compressionLevel: Int32(level)))
        var input = body
        var output = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: input))
        try compressor.deflate(from: &input, to: &output, flush: .finish)
        return output
    }
}
