import NIOCore
import NIOHTTP1

/// Builds a `multipart/form-data` body for tests, as a browser's form would send it.
///
/// ```swift
/// let form = MultipartBody().field("title", "Report").file("doc", filename: "a.txt", "hello")
/// let response = try await client.execute(.POST, "/upload", headers: form.headers, body: form.body)
/// ```
public struct MultipartBody: Sendable {
    /// The boundary between parts.
    public let boundary: String
    /// The body so far, without the closing boundary (see `body`).
    public private(set) var parts = ByteBuffer()

    public init(boundary: String = "----VialTestBoundary7MA4YWxkTrZu0gW") {
        self.boundary = boundary
    }

    /// Adds a text field.
    public func field(_ name: String, _ value: String) -> MultipartBody {
        adding("Content-Disposition: form-data; name=\"\(name)\"\r\n", ByteBuffer(string: value))
    }

    /// Adds a file part.
    public func file(_ name: String, filename: String, contentType: String = "application/octet-stream", _ bytes: ByteBuffer) -> MultipartBody {
        adding(
            "Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n", bytes)
    }

    /// Adds a file part with text content.
    public func file(_ name: String, filename: String, contentType: String = "text/plain", _ text: String) -> MultipartBody {
        file(name, filename: filename, contentType: contentType, ByteBuffer(string: text))
    }

    /// Adds a part with the given raw header lines (each ending in CRLF).
    public func adding(_ headerLines: String, _ bytes: ByteBuffer) -> MultipartBody {
        var copy = self
        copy.parts.writeString("--\(boundary)\r\n\(headerLines)\r\n")
        copy.parts.writeImmutableBuffer(bytes)
        copy.parts.writeString("\r\n")
        return copy
    }

    /// The whole body, closing boundary included.
    public var body: ByteBuffer {
        var body = parts
        body.writeString("--\(boundary)--\r\n")
        return body
    }

    /// `Content-Type: multipart/form-data; boundary=…`.
    public var headers: HTTPHeaders {
        ["Content-Type": "multipart/form-data; boundary=\(boundary)"]
    }
}
