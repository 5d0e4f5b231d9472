import Vial

/// Guide section 1, "Your First Flask API".
enum HelloExample {
    static func make(_ config: AppConfig) -> App {
        let app = App("hello", config: config)
        // The root URL answers plain text.
        app.get("/", name: "hello_world") { _ in
            "Hello, World! This is my first Flask API."
        }
        // A JSON response, as jsonify returns it.
        app.get("/api/hello", name: "hello_api") { _ in
            ["message": "Hello from the API!", "version": "1.0", "status": "success"] as JSON
        }
        return app
    }
}
