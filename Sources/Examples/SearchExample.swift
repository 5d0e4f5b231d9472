import Vial

/// Guide section 2, "Query Parameters".
enum SearchExample {
    static func make(_ config: AppConfig) -> App {
        let app = App("search", config: config)
        // `limit` falls back to 20 when absent or not an integer, like `args.get(type=int)`.
        app.get("/api/search", name: "search") { req in
            guard let query = req.query("q"), !query.isEmpty else {
                return .json(["error": "Missing 'q' query parameter"], status: .badRequest)
            }
            let limit = req.query("limit", as: Int.self, default: 20)
            let sort = req.query("sort")
            let results = ["Result for '\(query)' - 1", "Result for '\(query)' - 2"]
            return .json([
                "query_received": .string(query),
                "limit_applied": .int(limit),
                "sorting": .string(sort ?? "default"),
                "results": .array(results.prefix(max(limit, 0)).map(JSON.string)),
            ])
        }
        return app
    }
}
