
/// Adds the defensive response headers a JSON API wants (the guide's section 15):
/// `X-Content-Type-Options`, `X-Frame-Options`, `Referrer-Policy`, a
/// `Content-Security-Policy`, and `Strict-Transport-Security` when the request came over HTTPS
/// (directly, or as a trusted proxy's `X-Forwarded-Proto` says). A header the handler set is kept.
///
/// ```swift
/// app.use(SecurityHeaders())
/// ```
public struct SecurityHeaders: Middleware {
    /// Header name → value, added when the response lacks them.
    public var headers: [(String, String)]
    /// `Strict-Transport-Security` for HTTPS requests; `nil` to leave it out.
    public var strictTransportSecurity: String?

    public var name: String { "security-headers" }

    /// The defaults; pass your own `contentSecurityPolicy` if you serve HTML that needs more.
    public init(
        contentSecurityPolicy: String = "default-src 'self'; frame-ancestors 'none'",
        frameOptions: String = "DENY",
        referrerPolicy: String = "no-referrer",
        strictTransportSecurity: String? = "max-age=31536000; includeSubDomains"
    ) {
        headers = [
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", frameOptions),
            ("Referrer-Policy", referrerPolicy),
            ("Content-Security-Policy", contentSecurityPolicy),
        ]
        self.strictTransportSecurity = strictTransportSecurity
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        var response = try await next(request)
        for (name, value) in headers where !response.headers.contains(name: name) {
            response.headers.add(name: name, value: value)
        }
        if let strictTransportSecurity, request.externalBase.hasPrefix("https://"),
            !response.headers.contains(name: "Strict-Transport-Security")
        {
            response.headers.add(name: "Strict-Transport-Security", value: strictTransportSecurity)
        }
        return response
    }
}
