import Vial

/// Guide section 2, workshop "Building a Simple Data Retrieval API".
enum TasksMemoryExample {
    struct TaskItem: Codable, Sendable, Equatable {
        var id: Int
        var title: String
        var status: String
    }

    struct Store: Sendable {
        var tasks: [TaskItem] = [
            TaskItem(id: 1, title: "Learn Flask Basics", status: "completed"),
            TaskItem(id: 2, title: "Build First API", status: "completed"),
            TaskItem(id: 3, title: "Explore Routing", status: "pending"),
        ]
        var nextID = 4
    }

    static func make(_ config: AppConfig) -> App {
        let app = App("tasks-memory", config: config)
        let store = Locked(Store())

        // Errors as {"error": description}, the workshop's handlers for 404, 400 and 415.
        for status in [HTTPResponseStatus.notFound, .badRequest, .unsupportedMediaType] {
            app.errorHandler(status) { _, error in
                .json(["error": .string((error as? HTTPError)?.message ?? status.reasonPhrase)], status: status)
            }
        }

        // All tasks, or those with ?status=.
        app.get("/api/tasks", name: "get_tasks") { req in
            let tasks = store.withLock { $0.tasks }
            guard let status = req.query("status"), !status.isEmpty else { return try .json(tasks) }
            return try .json(tasks.filter { $0.status == status })
        }

        // One task by id.
        app.get("/api/tasks/<int:task_id>", name: "get_task") { req in
            let id: Int = try req.param("task_id")
            guard let task = store.withLock({ $0.tasks.first { $0.id == id } }) else {
                try abort(.notFound, "Task with ID \(id) not found")
            }
            return try .json(task)
        }

        // Create a task from {"title"}.
        app.post("/api/tasks", name: "create_task") { req in
            let title = try requireTitle(req)
            let task = store.withLock { store -> TaskItem in
                let task = TaskItem(id: store.nextID, title: title, status: "pending")
                store.tasks.append(task)
                store.nextID += 1
                return task
            }
            return try .json(task, status: .created)
        }
        return app
    }

    /// The trimmed, non-empty title of a JSON body (415 when not JSON, 400 otherwise).
    static func requireTitle(_ req: Request) throws -> String {
        guard req.isJSON else { try abort(.unsupportedMediaType, "Request must be JSON") }
        guard let data = try? req.json(), let object = data.objectValue, !object.isEmpty, let title = object["title"]
        else {
            try abort(.badRequest, "Missing 'title' in request body")
        }
        guard let text = title.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            try abort(.badRequest, "'title' must be a non-empty string")
        }
        return text
    }
}

import Foundation
