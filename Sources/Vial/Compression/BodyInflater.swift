import CompressNIO
import NIOCore
import NIOHTTP1

/// A request body's `Content-Encoding` that Vial undoes: `gzip` (and `x-gzip`) or `deflate`
/// (zlib, as RFC 9110 defines it).
enum ContentCoding: Sendable, Equatable {
    case gzip, deflate

    /// The coding `headers` declare: nil for none or `identity`; 415 for any other (RFC 7694).
    static func of(_ headers: HTTPHeaders) throws -> ContentCoding? {
        guard let value = headers.first(name: "content-encoding") else { return nil }
        switch value.trimmedSpaces.lowercased() {
        case "", "identity": return nil
        case "gzip", "x-gzip": return .gzip
        case "deflate": return .deflate
        default:
            throw HTTPError(
                .unsupportedMediaType, "Content-Encoding '\(value.prefix(40))' is not supported; send gzip, deflate or none",
                code: "unsupported_content_encoding", headers: ["Accept-Encoding": "gzip, deflate"])
        }
    }

    /// The whole of a collected `body` decoded, at most `limit` bytes of it (413 past that:
    /// a small bomb is refused as soon as its output passes the limit, never inflated whole).
    static func decode(_ body: ByteBuffer, _ coding: ContentCoding, limit: Int) throws -> ByteBuffer {
        let inflater = try BodyInflater(coding, limit: limit)
        var input = body
        var whole = ByteBuffer()
        while var piece = try inflater.inflate(&input) { whole.writeBuffer(&piece) }
        try inflater.finish()
        return whole
    }
}

/// Inflates a compressed request body a window at a time, refusing more than `limit` bytes of
/// output (413) and data that is not what the coding says (400). One task uses it.
final class BodyInflater {
    /// Output bytes produced per call at most: memory stays bounded whatever the ratio.
    static let window = 256 * 1024

    private let decompressor: ZlibDecompressor
    private let limit: Int
    private(set) var produced = 0
    private var ended = false

    init(_ coding: ContentCoding, limit: Int) throws {
        decompressor = try ZlibDecompressor(algorithm: coding == .gzip ? .gzip : .zlib)
        self.limit = limit
    }

    /// The next window of output from `input` (which it consumes), nil once `input` is used up
    /// (or the compressed stream has ended).
    func inflate(_ input: inout ByteBuffer) throws -> ByteBuffer? {
        guard input.readableBytes > 0, !ended else { return nil }
        var output = ByteBufferAllocator().buffer(capacity: Self.window)
        do {
            try decompressor.inflate(from: &input, to: &output)
            // Returned without asking for more room: the input is used up, or the stream ended.
            if input.readableBytes > 0 { ended = true }
        } catch let error as CompressNIOError where error == .bufferOverflow || error == .inputBufferOverflow {
            // The window is full (more follows), or the input ran out mid-stream (the next chunk continues it).
        } catch {
            throw HTTPError(.badRequest, "The request body is not valid for its Content-Encoding", code: "invalid_content_encoding")
        }
        produced += output.readableBytes
        if produced > limit {
            throw HTTPError(
                .payloadTooLarge, "Decompressed request body exceeds the limit of \(limit) bytes", code: "payload_too_large")
        }
        return output
    }

    /// Checks that the compressed stream ended (a cut one is a 400).
    func finish() throws {
        guard !ended else { return }
        var empty = ByteBuffer(bytes: [0])
        empty.moveReaderIndex(forwardBy: 1)
        var output = ByteBufferAllocator().buffer(capacity: 64)
        do {
            try decompressor.inflate(from: &empty, to: &output)
        } catch {
            throw HTTPError(.badRequest, "The request body ends before its compressed stream does", code: "invalid_content_encoding")
        }
    }
}
