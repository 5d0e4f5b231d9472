import Foundation
import NIOCore

extension Request {
    /// The body as bytes.
    public var bodyBytes: [UInt8] { Array(body.readableBytesView) }

    /// The body as UTF-8 text (invalid sequences repaired).
    public var bodyText: String { String(decoding: body.readableBytesView, as: UTF8.self) }

    /// Decodes a JSON body into `T`.
    ///
    /// - 415 `unsupported_media_type` when the content type is not JSON,
    /// - 400 `invalid_json` when the body is empty or not well-formed JSON,
    /// - 422 `validation_error` with per-field `details` when the JSON does not fit `T`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try requireJSONContentType()
        let data = Data(body.readableBytesView)
        guard !data.isEmpty else { throw HTTPError(.badRequest, "Request body is empty", code: "invalid_json") }
        do {
            return try JSONCoding.decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw HTTPError(decoding: error)
        }
    }

    /// Decodes a JSON body into the model `T` after checking it against `T`'s schema:
    /// 415 when not JSON, 400 when malformed, and one 422 (or `T.validationStatus`) whose
    /// `details` name every problem by JSON path (`title`, `tags[3]`, `address.zip`).
    public func decode<T: Model>(_ type: T.Type = T.self) throws -> T {
        try T.validate(json())
    }

    /// The body parsed as a `JSON` value (415 when not JSON, 400 when empty or malformed).
    public func json() throws -> JSON {
        try requireJSONContentType()
        guard body.readableBytes > 0 else { throw HTTPError(.badRequest, "Request body is empty", code: "invalid_json") }
        do {
            return try JSON(parsing: body.readableBytesView)
        } catch let error as JSONParseError {
            throw HTTPError(.badRequest, "Malformed JSON in request body", code: "invalid_json", details: ["_body": [.string(error.description)]])
        }
    }

    /// The body parsed as `application/x-www-form-urlencoded` fields (415 for other content types).
    public func form() throws -> MultiDict {
        guard contentType == "application/x-www-form-urlencoded" else {
            throw HTTPError(
                .unsupportedMediaType, "Request must be application/x-www-form-urlencoded",
                code: "unsupported_media_type")
        }
        return MultiDict(urlEncoded: Substring(bodyText))
    }

    private func requireJSONContentType() throws {
        guard isJSON else {
            throw HTTPError(.unsupportedMediaType, "Request must be JSON", code: "unsupported_media_type")
        }
    }
}

extension HTTPError {
    /// Maps a `DecodingError` to 400 (malformed JSON) or `status` (well-formed, wrong shape) with
    /// details keyed by JSON path (`tags[3]`, `address.zip`), as validation names them.
    /// `parsed`: the JSON was already parsed (a `Model`'s own check failed), so an error at the
    /// top is about the value, not the syntax — `_schema`, never "malformed".
    init(decoding error: DecodingError, status: HTTPResponseStatus = .unprocessableEntity, parsed: Bool = false) {
        func field(_ path: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let path = Problems.path(path + (key.map { [$0] } ?? []))
            return path.isEmpty ? (parsed ? "_schema" : "_body") : path
        }
        func invalid(_ path: String, _ message: String) -> HTTPError {
            HTTPError(status, "Validation failed", code: "validation_error", details: [path: [.string(message)]])
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty && !parsed:
            self.init(.badRequest, "Malformed JSON in request body", code: "invalid_json")
        case .dataCorrupted(let context):
            self = invalid(field(context.codingPath), context.debugDescription)
        case .keyNotFound(let key, let context):
            self = invalid(field(context.codingPath, key), "Missing data for required field.")
        case .typeMismatch(let type, let context):
            self = invalid(field(context.codingPath), "Expected a value of type \(type).")
        case .valueNotFound(let type, let context):
            self = invalid(field(context.codingPath), "Expected a \(type), found null.")
        @unknown default:
            self.init(.badRequest, "Malformed JSON in request body", code: "invalid_json")
        }
    }
}
