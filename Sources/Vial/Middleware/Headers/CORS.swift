
/// Cross-origin resource sharing (flask-cors): which origins may call the API from a
/// browser, with which methods and headers. Nothing is added for origins not allowed;
/// preflight `OPTIONS` requests from allowed origins are answered here without reaching a handler.
///
/// ```swift
/// app.use(CORS(origins: [.exact("https://app.example.com"), .pattern("https://*.example.dev")], credentials: true))
/// ```
public struct CORS: Middleware {
    /// An allowed origin.
    public enum Origin: Sendable, Equatable {
        /// Any origin (`*`; with credentials the caller's origin is echoed instead).
        case any
        /// Exactly this origin, e.g. `https://app.example.com`.
        case exact(String)
        /// `*` matches one or more characters of a host label run, e.g. `https://*.example.com`.
        case pattern(String)

        /// A configured origin: `*` is any, one with `*` in it a pattern, else exact
        /// (`CORS_ORIGINS`, `WEBSOCKET_ORIGINS`).
        public init(parsing text: String) {
            self = text == "*" ? .any : text.contains("*") ? .pattern(text) : .exact(text)
        }

        func matches(_ origin: String) -> Bool {
            switch self {
            case .any: return true
            case .exact(let allowed): return allowed.lowercased() == origin.lowercased()
            case .pattern(let pattern): return CORS.wildcard(pattern.lowercased(), matches: origin.lowercased())
            }
        }
    }

    public var origins: [Origin]
    public var methods: [HTTPMethod]
    public var headers: [String]
    public var exposedHeaders: [String]
    public var credentials: Bool
    /// Seconds a browser may cache a preflight answer.
    public var maxAge: Int?

    public var name: String { "cors" }

    public init(
        origins: [Origin], methods: [HTTPMethod] = [.GET, .HEAD, .POST, .PUT, .PATCH, .DELETE, .OPTIONS],
        headers: [String] = ["Authorization", "Content-Type"],
        exposedHeaders: [String] = ["Location", "X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After", "ETag"],
        credentials: Bool = false, maxAge: Int? = 600
    ) {
        self.origins = origins
        self.methods = methods
        self.headers = headers
        self.exposedHeaders = exposedHeaders
        self.credentials = credentials
        self.maxAge = maxAge
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        guard let origin = request.header("Origin"), origins.contains(where: { $0.matches(origin) }) else {
            var response = try await next(request)
            if request.header("Origin") != nil { response.headers.add(name: "Vary", value: "Origin") }
            return response
        }
        let allowOrigin = origins == [.any] && !credentials ? "*" : origin
        if request.method == .OPTIONS, let wanted = request.header("Access-Control-Request-Method") {
            var headers: HTTPHeaders = ["Access-Control-Allow-Origin": allowOrigin, "Vary": "Origin"]
            guard methods.contains(where: { $0.rawValue == wanted.uppercased() }) else {
                return Response(status: .noContent, headers: headers)  // no Allow-Methods: the browser refuses
            }
            headers.add(name: "Access-Control-Allow-Methods", value: methods.map(\.rawValue).joined(separator: ", "))
            if let requested = request.header("Access-Control-Request-Headers") {
                let allowed = Set(self.headers.map { $0.lowercased() })
                let granted = requested.split(separator: ",").map(\.trimmedSpaces).filter { allowed.contains($0.lowercased()) }
                if !granted.isEmpty { headers.add(name: "Access-Control-Allow-Headers", value: granted.joined(separator: ", ")) }
            }
            if credentials { headers.add(name: "Access-Control-Allow-Credentials", value: "true") }
            if let maxAge { headers.add(name: "Access-Control-Max-Age", value: String(maxAge)) }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request)
        response.headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: allowOrigin)
        response.headers.add(name: "Vary", value: "Origin")
        if credentials { response.headers.replaceOrAdd(name: "Access-Control-Allow-Credentials", value: "true") }
        if !exposedHeaders.isEmpty {
            response.headers.replaceOrAdd(name: "Access-Control-Expose-Headers", value: exposedHeaders.joined(separator: ", "))
        }
        return response
    }

    /// `*` in `pattern` stands for one or more characters other than `/`.
    static func wildcard(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return pattern == text }
        guard text.hasPrefix(parts[0]), text.hasSuffix(parts[parts.count - 1]),
            text.count >= parts.reduce(0, { $0 + $1.count }) + parts.count - 1
        else { return false }
        var rest = Substring(text.dropFirst(parts[0].count).dropLast(parts[parts.count - 1].count))
        for middle in parts.dropFirst().dropLast() {
            guard let range = rest.range(of: middle), range.lowerBound > rest.startIndex else { return false }
            if rest[rest.startIndex..<range.lowerBound].contains("/") { return false }
            rest = rest[range.upperBound...]
        }
        return !rest.isEmpty && !rest.contains("/")
    }
}
