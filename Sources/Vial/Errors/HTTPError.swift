import NIOHTTP1

/// An error that carries its HTTP status and leaves the server as the JSON error envelope:
/// `{"status": "error", "error": {"message", "code", "details"?}}`.
///
/// ```swift
/// guard let task = store.find(id) else { throw HTTPError.notFound("Task with ID \(id) not found") }
/// ```
public struct HTTPError: Error, Sendable, Equatable {
    /// The response status.
    public var status: HTTPResponseStatus
    /// A message safe to show to the client.
    public var message: String
    /// A stable `snake_case` code clients can switch on.
    public var code: String
    /// Extra structure, e.g. field → list of messages.
    public var details: JSON?
    /// Headers to add to the error response (`Allow`, `WWW-Authenticate`, `Retry-After` …).
    public var headers: HTTPHeaders

    /// An error with `status`; `message` and `code` default from the status' reason phrase.
    public init(
        _ status: HTTPResponseStatus, _ message: String? = nil, code: String? = nil, details: JSON? = nil,
        headers: HTTPHeaders = [:]
    ) {
        self.status = status
        self.message = message ?? status.reasonPhrase
        self.code = code ?? HTTPError.defaultCode(for: status)
        self.details = details
        self.headers = headers
    }

    /// `bad_request`, `not_found`, `method_not_allowed` …: the reason phrase in snake case.
    public static func defaultCode(for status: HTTPResponseStatus) -> String {
        let phrase = status.reasonPhrase.isEmpty ? "http_\(status.code)" : status.reasonPhrase
        var code = ""
        for character in phrase.lowercased() {
            if character.isLetter || character.isNumber {
                code.append(character)
            } else if !code.hasSuffix("_") {
                code.append("_")
            }
        }
        return code
    }

    public static func == (lhs: HTTPError, rhs: HTTPError) -> Bool {
        lhs.status == rhs.status && lhs.message == rhs.message && lhs.code == rhs.code && lhs.details == rhs.details
    }
}

extension HTTPError {
    /// 400 Bad Request.
    public static func badRequest(_ message: String, code: String? = nil, details: JSON? = nil) -> HTTPError {
        HTTPError(.badRequest, message, code: code, details: details)
    }
    /// 401 Unauthorized, with `WWW-Authenticate: Bearer`.
    public static func unauthorized(_ message: String, code: String? = nil) -> HTTPError {
        HTTPError(.unauthorized, message, code: code, headers: ["WWW-Authenticate": "Bearer"])
    }
    /// 403 Forbidden.
    public static func forbidden(_ message: String, code: String? = nil) -> HTTPError {
        HTTPError(.forbidden, message, code: code)
    }
    /// 404 Not Found.
    public static func notFound(_ message: String = "Resource not found", code: String? = nil) -> HTTPError {
        HTTPError(.notFound, message, code: code)
    }
    /// 409 Conflict.
    public static func conflict(_ message: String, code: String? = nil) -> HTTPError {
        HTTPError(.conflict, message, code: code)
    }
    /// 415 Unsupported Media Type.
    public static func unsupportedMediaType(_ message: String = "Request must be JSON") -> HTTPError {
        HTTPError(.unsupportedMediaType, message, code: "unsupported_media_type")
    }
    /// 422 Unprocessable Entity with field → messages details.
    public static func validation(_ details: [String: [String]], message: String = "Validation failed") -> HTTPError {
        HTTPError(
            .unprocessableEntity, message, code: "validation_error",
            details: .object(details.mapValues { .array($0.map(JSON.string)) }))
    }
    /// 405 Method Not Allowed with its `Allow` header.
    public static func methodNotAllowed(allow: [HTTPMethod]) -> HTTPError {
        HTTPError(
            .methodNotAllowed, "The method is not allowed for the requested URL.",
            headers: ["Allow": allow.map(\.rawValue).joined(separator: ", ")])
    }
}

/// Flask's `abort`: stops the handler with an HTTP error.
///
/// ```swift
/// guard let user = users[id] else { try abort(.notFound, "User with ID \(id) not found") }
/// ```
public func abort(
    _ status: HTTPResponseStatus, _ message: String? = nil, code: String? = nil, details: JSON? = nil
) throws -> Never {
    throw HTTPError(status, message, code: code, details: details)
}
