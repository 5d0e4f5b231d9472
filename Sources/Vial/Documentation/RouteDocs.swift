/// What a route says about itself, next to its code, for generated API documentation.
/// Nothing here repeats what Vial already knows: path parameters come from the rule's
/// converters, authentication and the 401/403/429/304 answers from the route's middleware
/// (`MiddlewareDocs`), 400/415/422 from the request body, the success answer from the
/// handler's return type (`DocumentedResponse`).
///
/// ```swift
/// tasks.post("/", name: "create_task", docs: RouteDocs(
///     summary: "Create a task", tags: ["tasks"], request: TaskInput.schema,
///     responses: [201: .returned("The created task"), 404: .error("No such list")])
/// ) { req -> Created<TaskItem> in … }
/// ```
public struct RouteDocs: Sendable {
    public var summary: String?
    public var description: String?
    public var tags: [String]
    /// The JSON request body, as the handler validates it.
    public var request: Schema?
    /// The `multipart/form-data` request body's parts, when the route takes a form with files.
    public var form: [FormPartDoc]
    /// Query parameters the handler reads (types and rules as in request schemas).
    public var query: [Field]
    /// Answers by status code.
    public var responses: [UInt: ResponseDoc]
    public var deprecated: Bool
    /// Set on WebSocket routes (`websocket(…)` sets it): the messages each side sends.
    public var webSocket: WebSocketDoc?

    public init(
        summary: String? = nil, description: String? = nil, tags: [String] = [], request: Schema? = nil,
        form: [FormPartDoc] = [], query: [Field] = [], responses: [UInt: ResponseDoc] = [:], deprecated: Bool = false,
        webSocket: WebSocketDoc? = nil
    ) {
        self.webSocket = webSocket
        self.form = form
        self.summary = summary
        self.description = description
        self.tags = tags
        self.request = request
        self.query = query
        self.responses = responses
        self.deprecated = deprecated
    }
}

/// One part of a documented `multipart/form-data` body: a file (`format: binary`, which
/// Swagger UI offers as a file picker) or a text field.
extension RouteDocs {
    /// Every schema these docs name: the request's, the responses', the socket's messages'.
    var schemas: [Schema] {
        var schemas = [request, webSocket?.receives, webSocket?.sends].compactMap { $0 }
        for response in responses.values {
            switch response.body {
            case .object(let schema), .envelope(let schema), .list(let schema), .items(let schema): schemas.append(schema)
            case .none, .error, .media, .returned: break
            }
        }
        return schemas
    }
}

public struct FormPartDoc: Sendable {
    public var name: String
    public var isFile: Bool
    /// Whether the field may be sent several times (several files under one name).
    public var multiple: Bool
    /// How many times at most, when `multiple`.
    public var maxCount: Int?
    public var required: Bool
    public var description: String?

    /// A file part.
    public static func file(
        _ name: String, multiple: Bool = false, maxCount: Int? = nil, required: Bool = true, description: String? = nil
    ) -> FormPartDoc {
        FormPartDoc(name: name, isFile: true, multiple: multiple, maxCount: maxCount, required: required, description: description)
    }

    /// A text field.
    public static func text(_ name: String, required: Bool = false, description: String? = nil) -> FormPartDoc {
        FormPartDoc(name: name, isFile: false, multiple: false, maxCount: nil, required: required, description: description)
    }
}

/// One documented answer.
public struct ResponseDoc: Sendable {
    /// The shape of the body.
    public enum Body: Sendable {
        /// No body (204, 304).
        case none
        /// The object itself, at the top level (token responses).
        case object(Schema)
        /// `{"status": "success", "data": object, "message"?}`.
        case envelope(Schema)
        /// `{"status": "success", "data": [object], "count", "meta"}`.
        case list(Schema)
        /// `{"status": "success", "data": [object], "count"}`: a whole list, not a page of one.
        case items(Schema)
        /// The error envelope.
        case error
        /// A body of this media type with no schema to state (`text/html`, `application/json`).
        case media(String)
        /// Whatever the handler's return type (a `DocumentedResponse`) says; the app's build
        /// fails if the handler's type says nothing, or answers another status.
        case returned
    }

    public var description: String
    public var body: Body
    /// Headers the answer may carry, by name, with what each says (`Location`).
    public var headers: [String: String]

    public init(_ description: String, body: Body, headers: [String: String] = [:]) {
        self.description = description
        self.body = body
        self.headers = headers
    }

    /// An answer with the success envelope around `schema`.
    public static func envelope(_ schema: Schema, _ description: String) -> ResponseDoc { ResponseDoc(description, body: .envelope(schema)) }
    /// A list answer of `schema` items.
    public static func list(_ schema: Schema, _ description: String) -> ResponseDoc { ResponseDoc(description, body: .list(schema)) }
    /// A whole list of `schema` items, without page metadata (`Response.list(items)` without `meta`).
    public static func items(_ schema: Schema, _ description: String) -> ResponseDoc { ResponseDoc(description, body: .items(schema)) }
    /// A top-level object answer.
    public static func object(_ schema: Schema, _ description: String) -> ResponseDoc { ResponseDoc(description, body: .object(schema)) }
    /// An error envelope answer.
    public static func error(_ description: String) -> ResponseDoc { ResponseDoc(description, body: .error) }
    /// A body of `mediaType` with no schema to state.
    public static func media(_ mediaType: String, _ description: String) -> ResponseDoc { ResponseDoc(description, body: .media(mediaType)) }
    /// An answer without a body.
    public static func empty(_ description: String) -> ResponseDoc { ResponseDoc(description, body: .none) }
    /// The answer the handler's return type documents (`Created<TaskItem>`), described in the route's words.
    public static func returned(_ description: String) -> ResponseDoc { ResponseDoc(description, body: .returned) }

    /// An answer with the success envelope around a `model`.
    public static func envelope<M: Model>(_ model: M.Type, _ description: String) -> ResponseDoc { .envelope(M.schema, description) }
    /// A list answer of `model` items.
    public static func list<M: Model>(_ model: M.Type, _ description: String) -> ResponseDoc { .list(M.schema, description) }
    /// A whole list of `model` items, without page metadata.
    public static func items<M: Model>(_ model: M.Type, _ description: String) -> ResponseDoc { .items(M.schema, description) }
    /// A top-level `model` answer.
    public static func object<M: Model>(_ model: M.Type, _ description: String) -> ResponseDoc { .object(M.schema, description) }
}

/// What a middleware adds to the documentation of every route it wraps: security
/// requirements and the answers it may give in the handler's place.
public struct MiddlewareDocs: Sendable {
    /// Security scheme names (`bearerAuth`); all are required.
    public var security: [String]
    /// Whether the security is optional (a request without credentials is accepted).
    public var optionalSecurity: Bool
    /// Answers this middleware may give, by status.
    public var responses: [UInt: ResponseDoc]
    /// The rate limits this middleware applies: a route under several documents its 429 as the
    /// one that binds first.
    public var rateLimits: [RateLimitDoc]

    public init(
        security: [String] = [], optionalSecurity: Bool = false, responses: [UInt: ResponseDoc] = [:],
        rateLimits: [RateLimitDoc] = []
    ) {
        self.security = security
        self.optionalSecurity = optionalSecurity
        self.responses = responses
        self.rateLimits = rateLimits
    }
}

/// One rate limit as documentation sees it: its text (`5 per minute`) and its rate.
public struct RateLimitDoc: Sendable, Equatable {
    public var text: String
    /// Requests per second allowed over the limit's period: the lowest binds first for a steady client.
    public var perSecond: Double

    public init(text: String, perSecond: Double) {
        self.text = text
        self.perSecond = perSecond
    }

    /// The 429 of a route under `limits` (at least one), naming the one that binds first.
    static func answer(_ limits: [RateLimitDoc]) -> ResponseDoc {
        let ordered = limits.sorted { ($0.perSecond, $0.text) < ($1.perSecond, $1.text) }
        let others = ordered.dropFirst().map(\.text)
        let also = others.isEmpty ? "" : "; also \(others.joined(separator: ", "))"
        return .error("Rate limit exceeded: \(ordered[0].text) binds first\(also); see Retry-After")
    }
}

/// A `<converter:name>` placeholder as documentation sees it.
public struct PathParameterDoc: Sendable, Equatable {
    public var name: String
    /// `string`, `integer` or `number`.
    public var type: String
    /// `uuid` for `<uuid:…>`, `path` for `<path:…>`.
    public var format: String?
    /// The converter's own description of its values (`PathConverter.pattern`).
    public var pattern: String? = nil
}

extension RulePattern {
    /// The placeholders with their JSON types, from the converters.
    public var parameterDocs: [PathParameterDoc] {
        // The path's placeholders: a subdomain's or host's are not part of the path template.
        segments.flatMap(\.placeholders).map { name, _, converter in
            switch converter {
            case is IntConverter: return PathParameterDoc(name: name, type: "integer", format: nil)
            case is FloatConverter: return PathParameterDoc(name: name, type: "number", format: nil)
            case is UUIDConverter: return PathParameterDoc(name: name, type: "string", format: "uuid")
            case is PathRestConverter: return PathParameterDoc(name: name, type: "string", format: "path")
            default: return PathParameterDoc(name: name, type: "string", format: nil, pattern: converter.pattern)
            }
        }
    }
}
