import Vial

/// Guide section 2, "Type Converters": `<int:user_id>` and a JSON 404 handler.
enum UsersExample {
    static let users: [Int: JSON] = [
        1: ["name": "Alice", "email": "alice@example.com"],
        2: ["name": "Bob", "email": "bob@example.com"],
    ]

    static func make(_ config: AppConfig) -> App {
        let app = App("users", config: config)
        // `abc` never reaches the handler: the int converter rejects it (404).
        app.get("/api/users/<int:user_id>", name: "get_user_by_id") { req in
            let id: Int = try req.param("user_id")
            guard let user = users[id] else { try abort(.notFound, "User with ID \(id) not found") }
            return user
        }
        // Flask's `jsonify(error=str(e))`: "404 Not Found: <description>".
        app.errorHandler(.notFound) { _, error in
            let message = (error as? HTTPError)?.message ?? "Not Found"
            return .json(["error": .string("404 Not Found: \(message)")], status: .notFound)
        }
        return app
    }
}
