import NIOCore
import NIOHTTP1

/// One HTTP request, passed explicitly to middleware and handlers.
///
/// ```swift
/// app.get("/api/users/<int:user_id>") { req in
///     let id: Int = try req.param("user_id")
///     let verbose = req.query("verbose", as: Bool.self, default: false)
///     return ["id": .int(id), "verbose": .bool(verbose)] as JSON
/// }
/// ```
public struct Request: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The request target as sent (path and query string, still percent-encoded).
    public var uri: String
    /// The path part of `uri` (still percent-encoded).
    public var path: Substring
    /// The query string without `?` (still percent-encoded), empty when absent.
    public var queryString: Substring {
        didSet { args = MultiDict(urlEncoded: queryString) }
    }
    /// The query args (`request.args`), parsed from `queryString` once, and again when it is set:
    /// the cache key, the query's validation and the handler each read them.
    public private(set) var args: MultiDict
    /// The request headers (case-insensitive lookup).
    public var headers: HTTPHeaders
    /// The raw body.
    public var body: ByteBuffer
    /// The peer's IP address, `nil` in-process unless the test client sets one.
    public var remoteAddress: String?
    /// The HTTP version of the request.
    public var version: HTTPVersion
    /// Path parameters captured by the matched rule (percent-decoded) and its defaults; a URL value
    /// preprocessor may take some out (`urlValuePreprocessor`).
    public var parameters: [String: String] = [:]
    /// The endpoint name of the matched route (`tasks.get_task`), `nil` for 404/405.
    public internal(set) var endpoint: String?
    /// The blueprint chain of the matched route (`"api.tasks"`), `nil` for app routes.
    public internal(set) var blueprint: String?
    /// The request id: the client's `X-Request-ID` when acceptable, else a generated one.
    public internal(set) var id: String = ""
    /// Typed per-request storage for middleware.
    public var storage = Storage()
    /// The app's URL map and settings, for `urlFor` and `externalURL`.
    var context: RequestContext?
    /// Shared by the hooks and error handlers of this request (its `g` and first error), when
    /// the route has any that read it.
    var scope: RequestScope?
    /// The address and port this connection reached on the server (`127.0.0.1:5000`), when
    /// served over a socket: an absolute URL's host when nothing configured says otherwise.
    public var localAddress: String?
    /// The body's chunks as they arrive, on a route with `streamedBody(maxSize:)`.
    var streamedBody: RequestBodySource?

    /// The body as a sequence of chunks: straight off the connection on a route with
    /// `streamedBody(maxSize:)` (where `body` is empty), else the collected `body` as one chunk.
    public var bodyStream: RequestBody {
        streamedBody.map(RequestBody.init(source:)) ?? RequestBody(buffer: body)
    }

    /// Creates a request; the server and the test client call this.
    public init(
        method: HTTPMethod,
        uri: String,
        headers: HTTPHeaders = HTTPHeaders(),
        body: ByteBuffer = ByteBuffer(),
        remoteAddress: String? = nil,
        version: HTTPVersion = .http1_1
    ) {
        self.method = method
        self.uri = uri
        if let question = uri.firstIndex(of: "?") {
            self.path = uri[..<question]
            self.queryString = uri[uri.index(after: question)...]
        } else {
            self.path = uri[...]
            self.queryString = ""
        }
        args = MultiDict(urlEncoded: queryString)
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.version = version
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first(name: name)
    }

    /// The media type of the body, lower-cased and without parameters (`application/json`).
    public var contentType: String? {
        guard let value = headers.first(name: "content-type") else { return nil }
        let mediaType = value.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmedSpaces.lowercased()
    }

    /// Whether the body is declared JSON (`application/json` or `application/*+json`), as Flask's `is_json`.
    public var isJSON: Bool {
        guard let type = contentType else { return false }
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }
}

extension Request {
    /// The path parameter `name` converted to `T`; a 400 error when absent or not convertible.
    public func param<T: ParameterConvertible>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let raw = parameters[name] else {
            throw HTTPError(.badRequest, "Missing path parameter '\(name)'")
        }
        guard let value = T(parameter: raw) else {
            throw HTTPError(.badRequest, "Path parameter '\(name)' is not a valid \(T.self)")
        }
        return value
    }

    /// The first query arg `name`, as text.
    public func query(_ name: String) -> String? {
        args[name]
    }

    /// The query arg `name` as `T`, or `defaultValue` when it is absent or does not
    /// convert — Flask's `request.args.get(name, default=…, type=…)`.
    public func query<T: ParameterConvertible>(_ name: String, as type: T.Type = T.self, default defaultValue: T) -> T {
        guard let raw = args[name], let value = T(parameter: raw) else { return defaultValue }
        return value
    }

    /// The query arg `name` as `T`: `nil` when absent, a 400 error naming the arg when it does not convert.
    public func query<T: ParameterConvertible>(_ name: String, as type: T?.Type) throws -> T? {
        guard let raw = args[name] else { return nil }
        guard let value = T(parameter: raw) else {
            throw HTTPError(
                .badRequest, "Invalid value for query parameter '\(name)'", code: "invalid_query_parameter",
                details: [name: [.string("'\(raw)' is not a valid value")]])
        }
        return value
    }
}
