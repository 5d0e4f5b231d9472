import NIOConcurrencyHelpers

extension App {
    /// Serves the generated OpenAPI document at `GET /openapi.json`, Swagger UI at `GET /docs`
    /// and ReDoc at `GET /redoc` — one line for any Vial app. The UIs load their scripts from a
    /// CDN unless `assetsURL` (or the `DOCS_ASSETS_URL` setting) points elsewhere; with
    /// `DOCS_ASSETS_DIR` (a folder holding `swagger-ui-bundle.js`, `swagger-ui.css` and, for ReDoc,
    /// `redoc.standalone.js`) Vial serves the assets itself at `/docs/assets`, so the docs work offline.
    /// `tags` describes the operations' tags by name.
    public func mountAPIDocs(
        title: String, version: String, description: String? = nil, tags: [String: String] = [:], assetsURL: String? = nil
    ) {
        let document = NIOLockedValueBox<String?>(nil)
        var localAssets: String?
        if let directory = config.values["DOCS_ASSETS_DIR"], !directory.isEmpty {
            serveStatic("/docs/assets", directory: directory, name: "docs_assets")
            localAssets = "/docs/assets"
        }
        let configured = assetsURL ?? config.values["DOCS_ASSETS_URL"] ?? localAssets
        let swaggerAssets = configured ?? "https://unpkg.com/swagger-ui-dist@5"
        let redocScript = configured.map { $0 + "/redoc.standalone.js" }
            ?? "https://cdn.redoc.ly/redoc/latest/bundles/redoc.standalone.js"

        // The document is built from the route table on first use, then kept.
        get(
            "/openapi.json", name: "openapi",
            docs: RouteDocs(summary: "This API's OpenAPI 3.1 document", tags: ["docs"], responses: [200: .media("application/json", "The document")])
        ) { _ -> Response in
            // The app keeps this route and the route keeps the app: both live as long as the process.
            if let cached = document.withLockedValue({ $0 }) { return Self.jsonText(cached) }
            // Built once, off the event loop: encoding the whole document takes milliseconds.
            let routes = try self.routes()
            let text = try await runBlocking {
                try OpenAPIGenerator.json(for: routes, title: title, version: version, description: description, tags: tags)
            }
            document.withLockedValue { $0 = text }
            return Self.jsonText(text)
        }
        get(
            "/docs", name: "swagger_ui",
            docs: RouteDocs(summary: "Swagger UI", tags: ["docs"], responses: [200: .media("text/html", "An HTML page")])
        ) { _ -> Response in
            Self.page(
                title: title, assets: swaggerAssets,
                body: """
                    <link rel="stylesheet" href="\(swaggerAssets)/swagger-ui.css">
                    <div id="swagger-ui"></div>
                    <script src="\(swaggerAssets)/swagger-ui-bundle.js"></script>
                    <script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});</script>
                    """)
        }
        get(
            "/redoc", name: "redoc",
            docs: RouteDocs(summary: "ReDoc", tags: ["docs"], responses: [200: .media("text/html", "An HTML page")])
        ) { _ -> Response in
            Self.page(
                title: title, assets: redocScript,
                body: """
                    <redoc spec-url="/openapi.json"></redoc>
                    <script src="\(redocScript)"></script>
                    """)
        }
    }

    /// The document and the pages change with each deployment: caches may keep them but must
    /// ask again before each use.
    static let docsCacheControl = "no-cache"

    static func jsonText(_ text: String) -> Response {
        Response(
            status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": docsCacheControl],
            body: ByteBuffer(string: text))
    }

    /// An HTML page whose Content-Security-Policy admits the assets' origin (the app-wide
    /// `SecurityHeaders` keep a header the handler set).
    static func page(title: String, assets: String, body: String) -> Response {
        let origin = assets.split(separator: "/", omittingEmptySubsequences: false).prefix(3).joined(separator: "/")
        let source = assets.hasPrefix("http") ? " \(origin)" : ""
        let policy =
            "default-src 'self'; script-src 'self' 'unsafe-inline'\(source); style-src 'self' 'unsafe-inline'\(source); "
            + "img-src 'self' data:\(source); worker-src 'self' blob:; frame-ancestors 'none'"
        let html = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title></head>
            <body>
            \(body)
            </body>
            </html>
            """
        return .html(html, headers: ["Content-Security-Policy": policy, "Cache-Control": docsCacheControl])
    }
}
