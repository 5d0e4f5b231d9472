import NIOHTTP1

/// A value a handler may return; converted to a `Response` in one place
/// (Flask's `make_response`, Hummingbird's `ResponseGenerator`).
public protocol ResponseConvertible: Sendable {
    /// The response for this value.
    func response() throws -> Response
}

extension Response: ResponseConvertible {
    public func response() -> Response { self }
}

/// Text handlers answer `text/plain`, as Flask answers a returned string with a page.
extension String: ResponseConvertible {
    public func response() -> Response { .text(self) }
}

extension JSON: ResponseConvertible {
    public func response() -> Response { .json(self) }
}

/// Wraps an `Encodable` value as a JSON response: `return JSONResponse(items, status: .created)`.
public struct JSONResponse<Value: Encodable & Sendable>: ResponseConvertible {
    public var value: Value
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders

    /// A JSON response of `value`.
    public init(_ value: Value, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]) {
        self.value = value
        self.status = status
        self.headers = headers
    }

    public func response() throws -> Response { try .json(value, status: status, headers: headers) }
}
