import Vial

/// Guide section 2, "Request Headers".
enum HeadersExample {
    static func make(_ config: AppConfig) -> App {
        let app = App("headers", config: config)
        // Header lookup is case-insensitive; `all_headers` echoes every header.
        app.get("/api/show-headers", name: "show_headers") { req in
            var all: [String: JSON] = [:]
            for (name, value) in req.headers {
                // Title-case the names, as Werkzeug's `dict(request.headers)` shows them.
                let title = name.split(separator: "-", omittingEmptySubsequences: false)
                    .map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined(separator: "-")
                all[title] = .string(value)
            }
            return [
                "message": "Showing selected request headers",
                "user_agent": req.header("User-Agent").map(JSON.string) ?? .null,
                "accept_header": req.header("Accept").map(JSON.string) ?? .null,
                "all_headers": .object(all),
            ] as JSON
        }
        return app
    }
}
