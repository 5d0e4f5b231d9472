import Vial

/// Guide section 2, "Request Body Data" and "Handling Different HTTP Methods in One Route".
enum ItemsExample {
    struct Store: Sendable {
        var items: [Int: JSON] = [:]
        var order: [Int] = []
        var nextID = 1
    }

    /// `{"error": message}` with `status`, the guide's error shape for this example.
    static func error(_ message: String, _ status: HTTPResponseStatus) -> Response {
        .json(["error": .string(message)], status: status)
    }

    /// The JSON object body, or the guide's 415/400 answer thrown as a `ResponseError`.
    static func body(_ req: Request) throws -> [String: JSON] {
        guard req.isJSON else { throw ResponseError(error("Request must be JSON", .unsupportedMediaType)) }
        guard let data = try? req.json(), let object = data.objectValue, !object.isEmpty else {
            throw ResponseError(error("Invalid JSON data", .badRequest))
        }
        return object
    }

    /// A ready answer thrown from a helper; the app's type handler sends it as it is.
    struct ResponseError: Error {
        var response: Response
        init(_ response: Response) { self.response = response }
    }

    static func make(_ config: AppConfig) -> App {
        let app = App("items", config: config)
        let store = Locked(Store())
        app.errorHandler(for: ResponseError.self) { _, error in error.response }

        // Create an item from {"name", "price", "description"?}.
        app.post("/api/items", name: "create_item") { req in
            let data = try body(req)
            guard let name = data["name"], let price = data["price"] else {
                return error("Missing 'name' or 'price' in request body", .badRequest)
            }
            guard name.stringValue != nil, price.isNumber else {
                return error("'name' must be a string, 'price' must be a number", .badRequest)
            }
            let item = store.withLock { store -> JSON in
                let item: JSON = [
                    "id": .int(store.nextID), "name": name, "price": price, "description": data["description"] ?? .null,
                ]
                store.items[store.nextID] = item
                store.order.append(store.nextID)
                store.nextID += 1
                return item
            }
            return .json(item, status: .created)
        }

        // Every item, in creation order.
        app.get("/api/items", name: "get_all_items") { _ in
            JSON.array(store.withLock { store in store.order.compactMap { store.items[$0] } })
        }

        // One item: read, replace, delete.
        app.route("/api/items/<int:item_id>", methods: [.GET, .PUT, .DELETE], name: "handle_single_item") { req in
            let id: Int = try req.param("item_id")
            guard let item = store.withLock({ $0.items[id] }) else {
                try abort(.notFound, "Item with ID \(id) not found")
            }
            switch req.method {
            case .PUT:
                let update = try body(req)
                guard let name = update["name"], let price = update["price"] else {
                    return error("Missing 'name' or 'price' in request body for PUT", .badRequest)
                }
                var updated = item
                updated["name"] = name
                updated["price"] = price
                updated["description"] = update["description"] ?? item["description"] ?? .null
                store.withLock { $0.items[id] = updated }
                return .json(updated)
            case .DELETE:
                store.withLock { store in
                    store.items[id] = nil
                    store.order.removeAll { $0 == id }
                }
                return .noContent
            default:
                return .json(item)
            }
        }
        return app
    }
}
