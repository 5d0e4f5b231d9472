import Vial
import Foundation
import NIOCore
import NIOHTTP1

/// A response as a test sees it.
public struct TestResponse: Sendable {
    /// The status.
    public var status: HTTPResponseStatus
    /// The headers.
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: ByteBuffer

    /// Wraps a status, headers and body.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }

    /// The body parsed as JSON.
    public func json() throws -> JSON { try JSON(parsing: body.readableBytesView) }

    /// The body decoded into `T`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONCoding.decoder.decode(T.self, from: Data(body.readableBytesView))
    }

    /// The first value of header `name`.
    public func header(_ name: String) -> String? { headers.first(name: name) }
}
