import NIOHTTP1

/// A value a handler returns whose status and body the route's documentation learns from its
/// type: a route whose handler returns one documents that answer without listing it.
///
/// ```swift
/// tasks.post("/", docs: RouteDocs(summary: "Create a task")) { req -> Created<TaskItem> in
///     …
///     return Created(task, location: url)      // 201, documented as the envelope of `Task`
/// }
/// ```
///
/// A `Model` that is also `Encodable` conforms with a declaration alone (`extension Tokens:
/// DocumentedResponse {}`): it answers 200 with itself as the top-level object.
public protocol DocumentedResponse: ResponseConvertible {
    /// The status every value of this type answers with.
    static var status: HTTPResponseStatus { get }
    /// The body as documentation shows it.
    static var documentedBody: ResponseDoc.Body { get }
    /// What the documentation says of the answer when the route does not (`.returned("…")`).
    static var documentedDescription: String { get }
    /// Headers the answer may carry, with what each says (`Location`).
    static var documentedHeaders: [String: String] { get }
}

extension DocumentedResponse {
    public static var documentedDescription: String { status.reasonPhrase }
    public static var documentedHeaders: [String: String] { [:] }
    /// The documentation of this answer.
    static var responseDoc: ResponseDoc {
        ResponseDoc(documentedDescription, body: documentedBody, headers: documentedHeaders)
    }
}

extension DocumentedResponse where Self: Model & Encodable {
    public static var status: HTTPResponseStatus { .ok }
    public static var documentedBody: ResponseDoc.Body { .object(schema) }
    public func response() throws -> Response { try .json(self, status: Self.status) }
}

/// 200 with the success envelope: `{"status": "success", "data": value, "message"?}`.
public struct Envelope<Value: Model & Encodable>: DocumentedResponse {
    public var value: Value
    public var message: String?

    public init(_ value: Value, message: String? = nil) {
        self.value = value
        self.message = message
    }

    public static var status: HTTPResponseStatus { .ok }
    public static var documentedBody: ResponseDoc.Body { .envelope(Value.schema) }
    public func response() throws -> Response { try .success(value, status: Self.status, message: message) }
}

/// 201 with the success envelope and `Location`, the new resource's URL.
public struct Created<Value: Model & Encodable>: DocumentedResponse {
    public var value: Value
    public var location: String?
    public var message: String?

    public init(_ value: Value, location: String?, message: String? = nil) {
        self.value = value
        self.location = location
        self.message = message
    }

    public static var status: HTTPResponseStatus { .created }
    public static var documentedBody: ResponseDoc.Body { .envelope(Value.schema) }
    public static var documentedHeaders: [String: String] { ["Location": "The new resource's URL"] }
    public func response() throws -> Response { try .created(value, location: location, message: message) }
}

/// 202 with the success envelope and `Location`, where to poll for the outcome.
public struct Accepted<Value: Model & Encodable>: DocumentedResponse {
    public var value: Value
    public var location: String?

    public init(_ value: Value, location: String?) {
        self.value = value
        self.location = location
    }

    public static var status: HTTPResponseStatus { .accepted }
    public static var documentedBody: ResponseDoc.Body { .envelope(Value.schema) }
    public static var documentedHeaders: [String: String] { ["Location": "Where to poll for the outcome"] }
    public func response() throws -> Response { try .accepted(value, location: location) }
}

/// 200 with one page of a list: `{"status": "success", "data": [item], "count", "meta"}`.
public struct Page<Item: Model & Encodable>: DocumentedResponse {
    public var items: [Item]
    public var meta: PageMeta

    public init(_ items: [Item], meta: PageMeta) {
        self.items = items
        self.meta = meta
    }

    public static var status: HTTPResponseStatus { .ok }
    public static var documentedBody: ResponseDoc.Body { .list(Item.schema) }
    public func response() throws -> Response { try .list(items, meta: meta) }
}

/// 200 with a whole list, not a page of one: `{"status": "success", "data": [item], "count"}`.
public struct Items<Item: Model & Encodable>: DocumentedResponse {
    public var items: [Item]

    public init(_ items: [Item]) { self.items = items }

    public static var status: HTTPResponseStatus { .ok }
    public static var documentedBody: ResponseDoc.Body { .items(Item.schema) }
    public func response() throws -> Response { try .list(items) }
}

extension RouteDocs {
    /// These docs with the answer a handler returning `R` gives: added under its status, or
    /// filling a `.returned(description)` the route listed there.
    func documentingReturn<R>(_ type: R.Type) -> RouteDocs {
        guard let typed = type as? any DocumentedResponse.Type else { return self }
        var docs = self
        let status = UInt(typed.status.code)
        switch docs.responses[status]?.body {
        case nil: docs.responses[status] = typed.responseDoc
        case .returned?:
            docs.responses[status]?.body = typed.documentedBody
            docs.responses[status]?.headers.merge(typed.documentedHeaders) { route, _ in route }
        default: break  // stated by hand: the route's word stands
        }
        return docs
    }
}
