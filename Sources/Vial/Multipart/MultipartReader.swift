import NIOCore
import NIOHTTP1

/// A `multipart/form-data` body read part by part as it arrives (`req.multipart()`): each
/// part's headers, then its bytes as a stream, never the whole body in memory. A part's bytes
/// must be read (or left) before the next part is asked for; a part that is left is skipped.
///
/// ```swift
/// app.post("/upload", streamedBody(maxSize: 1 << 30)) { req in
///     var saved: [String] = []
///     for try await part in try req.multipart() {
///         if part.isFile {
///             let file = try await part.save()
///             try await file.move(to: "uploads/\(file.filename ?? "upload")")
///             saved.append(file.filename ?? "upload")
///         }
///     }
///     return ["saved": .array(saved.map(JSON.string))] as JSON
/// }
/// ```
///
/// Each bound in `MultipartLimits` passed is a 413; a malformed or truncated body is a 400
/// `invalid_multipart`. Not `Sendable`: read it in the handler's task.
public struct MultipartReader: AsyncSequence {
    public typealias Element = MultipartPart

    let decoder: MultipartDecoder

    public struct AsyncIterator: AsyncIteratorProtocol {
        let decoder: MultipartDecoder
        var current: MultipartPartBody?

        public mutating func next() async throws -> MultipartPart? {
            if let current { while try await current.next() != nil {} }
            var headers = HTTPHeaders()
            headers: while let event = try await decoder.next() {
                switch event {
                case .header(let name, let value):
                    headers.add(name: name, value: value)
                case .body(let chunk):
                    decoder.pushBack(.body(chunk))
                    break headers
                case .partEnd:
                    decoder.pushBack(.partEnd)
                    break headers
                }
            }
            guard !headers.isEmpty else {
                current = nil
                return nil
            }
            // Counted as it starts (the parser counts parts as they end): the handler never sees more.
            decoder.partsStarted += 1
            if decoder.partsStarted > decoder.limits.maxParts {
                throw HTTPError(
                    .payloadTooLarge, "The form has more than \(decoder.limits.maxParts) parts", code: "payload_too_large")
            }
            let part = try MultipartPart(headers: headers, decoder: decoder)
            current = part.body
            return part
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(decoder: decoder, current: nil)
    }
}

/// One part of a `multipart/form-data` body: a text field, or a file when it has a filename.
public struct MultipartPart {
    /// The part's headers as sent.
    public let headers: HTTPHeaders
    /// The form field's name (`Content-Disposition: form-data; name="…"`).
    public let name: String
    /// The file's name, made safe to save (no directory, no control characters, no leading
    /// dots, at most 255 bytes; see `ContentDisposition.safeFilename`); nil for a text field
    /// (or a file sent with no usable name: check `isFile`).
    public let filename: String?
    /// Whether the part is a file (its `Content-Disposition` has a `filename`).
    public let isFile: Bool
    /// The part's `Content-Type` as sent, nil when absent.
    public let contentType: String?
    /// The part's bytes as they arrive. A file is bounded by `MultipartLimits.maxFileSize`,
    /// and all text fields together by `maxFieldsSize` (413 past either).
    public let body: MultipartPartBody

    init(headers: HTTPHeaders, decoder: MultipartDecoder) throws {
        guard let disposition = headers.first(name: "content-disposition").map(HeaderParameters.init),
              disposition.value == "form-data", let name = disposition["name"]
        else {
            throw HTTPError(
                .badRequest, "A multipart part has no Content-Disposition: form-data with a name", code: "invalid_multipart")
        }
        self.headers = headers
        self.name = name
        let sent = disposition["filename"]
        isFile = sent != nil
        filename = sent.map(ContentDisposition.safeFilename).flatMap { $0.isEmpty ? nil : $0 }
        contentType = headers.first(name: "content-type")
        body = MultipartPartBody(decoder: decoder, isFile: isFile)
    }

    /// The part's bytes as UTF-8 text (a field's value), counted against `maxFieldsSize`.
    public func text() async throws -> String {
        var bytes = ByteBuffer()
        for try await var chunk in body { bytes.writeBuffer(&chunk) }
        return String(decoding: bytes.readableBytesView, as: UTF8.self)
    }
}

/// A part's bytes, read once, in order (see `MultipartPart.body`).
public final class MultipartPartBody: AsyncSequence, AsyncIteratorProtocol {
    public typealias Element = ByteBuffer

    let decoder: MultipartDecoder
    private let isFile: Bool
    private var finished = false
    /// Bytes handed out so far.
    public private(set) var count = 0

    init(decoder: MultipartDecoder, isFile: Bool) {
        self.decoder = decoder
        self.isFile = isFile
    }

    public func makeAsyncIterator() -> MultipartPartBody { self }

    public func next() async throws -> ByteBuffer? {
        guard !finished else { return nil }
        switch try await decoder.next() {
        case .body(let chunk):
            count += chunk.readableBytes
            try decoder.account(chunk.readableBytes, file: isFile, partSize: count)
            return chunk
        case .partEnd, .header, nil:
            finished = true
            return nil
        }
    }
}

extension MultipartDecoder {
    /// Counts `bytes` of a part against the limits (413 when one is passed).
    func account(_ bytes: Int, file: Bool, partSize: Int) throws {
        if file {
            if let maxFileSize = limits.maxFileSize, partSize > maxFileSize {
                throw HTTPError(.payloadTooLarge, "A file exceeds the limit of \(maxFileSize) bytes", code: "payload_too_large")
            }
        } else {
            fieldsSize += bytes
            if fieldsSize > limits.maxFieldsSize {
                throw HTTPError(
                    .payloadTooLarge, "The form's fields exceed \(limits.maxFieldsSize) bytes", code: "payload_too_large")
            }
        }
    }
}

extension Request {
    /// The `multipart/form-data` body, part by part as it arrives (see `MultipartReader`).
    /// Use it on a route with `streamedBody(maxSize:)` to take uploads larger than
    /// `MAX_CONTENT_LENGTH` without holding them; elsewhere it reads the collected body.
    ///
    /// Throws 415 `unsupported_media_type` for another content type, and 400
    /// `invalid_multipart` when the boundary is missing or not a valid one (1 to 70 characters).
    public func multipart(limits: MultipartLimits = MultipartLimits()) throws -> MultipartReader {
        let contentType = headers.first(name: "content-type").map(HeaderParameters.init)
        guard contentType?.value == "multipart/form-data" else {
            throw HTTPError(.unsupportedMediaType, "Request must be multipart/form-data", code: "unsupported_media_type")
        }
        guard let boundary = contentType?["boundary"], (1...70).contains(boundary.utf8.count),
              boundary.utf8.allSatisfy(Self.isBoundaryByte), boundary.last != " "
        else {
            throw HTTPError(.badRequest, "The multipart boundary is missing or invalid", code: "invalid_multipart")
        }
        return MultipartReader(decoder: MultipartDecoder(body: bodyStream, boundary: boundary, limits: limits))
    }

    /// RFC 2046 `bchars`.
    private static func isBoundaryByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "'()+_,-./:=? ".utf8.contains(byte)
        }
    }
}
