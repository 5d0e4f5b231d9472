import NIOHTTP1

/// Pagination figures for list responses: `{"page", "per_page", "total", "pages"}`.
public struct PageMeta: Codable, Sendable, Equatable {
    public var page: Int
    public var perPage: Int
    public var total: Int
    public var pages: Int

    /// Meta for `total` items split into pages of `perPage`.
    public init(page: Int, perPage: Int, total: Int) {
        self.page = page
        self.perPage = perPage
        self.total = total
        self.pages = perPage > 0 ? (total + perPage - 1) / perPage : 0
    }

    enum CodingKeys: String, CodingKey {
        case page, total, pages
        case perPage = "per_page"
    }
}

/// The success envelope: `{"status": "success", "data": …}`, plus
/// `count` and `meta` on list responses and an optional `message`.
public struct SuccessEnvelope<Payload: Encodable & Sendable>: Encodable, Sendable {
    public var status = "success"
    public var data: Payload
    public var message: String?
    public var count: Int?
    public var meta: PageMeta?
}

extension Response {
    /// 200 with `{"status": "success", "data": data}`.
    public static func ok(_ data: some Encodable & Sendable, message: String? = nil) throws -> Response {
        try success(data, status: .ok, message: message)
    }

    /// A success envelope with any status.
    public static func success(
        _ data: some Encodable & Sendable, status: HTTPResponseStatus = .ok, message: String? = nil,
        headers: HTTPHeaders = [:]
    ) throws -> Response {
        try .json(SuccessEnvelope(data: data, message: message), status: status, headers: headers)
    }

    /// 200 list envelope: `data`, `count` (items in this page) and optional pagination `meta`.
    public static func list<Item: Encodable & Sendable>(_ items: [Item], meta: PageMeta? = nil) throws -> Response {
        try .json(SuccessEnvelope(data: items, count: items.count, meta: meta))
    }

    /// 201 with the success envelope and a `Location` header.
    public static func created(_ data: some Encodable & Sendable, location: String?, message: String? = nil) throws
        -> Response
    {
        var headers = HTTPHeaders()
        if let location { headers.add(name: "Location", value: location) }
        return try success(data, status: .created, message: message, headers: headers)
    }

    /// 202 with the success envelope and a `Location` header to poll.
    public static func accepted(_ data: some Encodable & Sendable, location: String?) throws -> Response {
        var headers = HTTPHeaders()
        if let location { headers.add(name: "Location", value: location) }
        return try success(data, status: .accepted, headers: headers)
    }

    /// Bytes of an error message sent at most.
    static let maxErrorMessage = 1_024

    /// The error envelope for `error`, with its headers (the message cut at `maxErrorMessage` bytes).
    public static func error(_ error: HTTPError) -> Response {
        // A message may quote input; the answer stays small whatever was sent.
        let message = error.message.utf8.count > maxErrorMessage
            ? String(decoding: error.message.utf8.prefix(maxErrorMessage), as: UTF8.self) + "…" : error.message
        var body: [String: JSON] = ["message": .string(message), "code": .string(error.code)]
        if let details = error.details { body["details"] = details }
        return .json(["status": "error", "error": .object(body)], status: error.status, headers: error.headers)
    }
}
