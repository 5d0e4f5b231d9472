import Vial

/// One runnable example: a name, what it shows, and its app factory.
struct Example: Sendable {
    var name: String
    var summary: String
    var make: @Sendable (AppConfig) -> App
}

/// Every example app from the guide's sections 1 to 3 and 13, in the guide's order.
enum ExampleCatalog {
    static let all: [Example] = [
        Example(name: "hello", summary: "Your first API: / (text) and /api/hello (JSON)", make: HelloExample.make),
        Example(name: "greet", summary: "Workshop: /api/welcome and /api/greet/<name>", make: GreetExample.make),
        Example(name: "products", summary: "Variable rules: /product/<product_sku>", make: ProductsExample.make),
        Example(name: "users", summary: "The int converter and a JSON 404 handler", make: UsersExample.make),
        Example(name: "search", summary: "Query args: /api/search?q=&limit=&sort=", make: SearchExample.make),
        Example(name: "items", summary: "Items CRUD in memory: 415, 400, 201, 204, 404", make: ItemsExample.make),
        Example(name: "headers", summary: "Request headers: /api/show-headers", make: HeadersExample.make),
        Example(
            name: "responses", summary: "Status codes and headers: /good, /less-good, /api/resource",
            make: ResponsesExample.make),
        Example(
            name: "tasks-memory", summary: "Workshop: the in-memory task API (list, filter, get, create)",
            make: TasksMemoryExample.make),
        Example(
            name: "tasks-enhanced", summary: "Workshop: envelopes, Location, DELETE 204, PUT status",
            make: TasksEnhancedExample.make),
        Example(
            name: "email-jobs", summary: "Section 13: a background email job, 202 + Location, polling its status",
            make: EmailJobsExample.make),
        Example(
            name: "mount-bundled", summary: "The bundled auth and tasks plugins under your own prefixes",
            make: MountBundledExample.make),
        Example(
            name: "stream", summary: "Streaming: an SSE clock (/clock), a JSON Lines export (/export), an upload echo (/upload), downloads",
            make: StreamExample.make),
        Example(
            name: "chat", summary: "WebSockets: chat rooms by URL (/rooms/<room>?nick=), a page at /",
            make: ChatExample.make),
    ]

    static func named(_ name: String) -> Example? { all.first { $0.name == name } }

    static var listing: String {
        let width = all.map(\.name.count).max() ?? 0
        let lines = all.map { "  \($0.name.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.summary)" }
        return "Examples (swift run Examples NAME [--port N]):\n" + lines.joined(separator: "\n") + "\n"
    }
}

import Foundation
