import Vial

/// Guide sections 1 and 3: `jsonify` vs returning data, and custom response headers.
enum ResponsesExample {
    static func make(_ config: AppConfig) -> App {
        let app = App("responses", config: config)
        // jsonify: the right Content-Type.
        app.get("/good", name: "good_json") { _ in ["status": "ok"] as JSON }
        // Returning data directly is JSON in Vial too: there is no HTML guess to get wrong.
        app.get("/less-good", name: "less_good_json") { _ in ["status": "maybe"] as JSON }
        // (body, status, headers): a 201 with Location and a custom header.
        app.post("/api/resource", name: "create_resource") { _ in
            let newID = 123
            return .json(
                ["id": .int(newID), "message": "Resource created"], status: .created,
                headers: ["Location": "/api/resource/\(newID)", "X-Custom-Info": "Some value"])
        }
        // One route, several methods, as `methods=['GET', 'POST']`.
        app.route("/api/things", methods: [.GET, .POST], name: "handle_things") { req in
            if req.method == .POST { return .json(["message": "Item created"], status: .created) }
            return .json(["items": []])
        }
        return app
    }
}
