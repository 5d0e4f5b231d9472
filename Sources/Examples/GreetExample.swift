import Vial

/// Guide section 1, workshop "Creating a Simple Hello API".
enum GreetExample {
    static func make(_ config: AppConfig) -> App {
        let app = App("greet", config: config)
        // A static welcome message.
        app.get("/api/welcome", name: "welcome") { _ in
            [
                "message": "Welcome to our Simple API!",
                "endpoints_available": ["/api/welcome", "/api/greet/<name>"],
            ] as JSON
        }
        // A greeting by name; `%20` in the URL arrives as a space.
        app.get("/api/greet/<name>", name: "greet_user") { req in
            let name: String = try req.param("name")
            return ["greeting": .string("Hello, \(name)! Nice to meet you.")] as JSON
        }
        return app
    }
}
