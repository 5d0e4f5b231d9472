import Vial

/// Guide section 3, workshop "Enhancing API Responses": the success/error envelopes,
/// 201 with `Location` from `urlFor`, DELETE 204, and `PUT /api/tasks/<id>/status`.
enum TasksEnhancedExample {
    typealias TaskItem = TasksMemoryExample.TaskItem

    static func make(_ config: AppConfig) -> App {
        let app = App("tasks-enhanced", config: config)
        let store = Locked(TasksMemoryExample.Store())

        // Envelope list: {"status": "success", "data": [...]}.
        app.get("/api/tasks", name: "get_tasks") { req in
            let tasks = store.withLock { $0.tasks }
            guard let status = req.query("status"), !status.isEmpty else { return try .ok(tasks) }
            return try .ok(tasks.filter { $0.status == status })
        }

        // One task, or the error envelope with 404.
        app.get("/api/tasks/<int:task_id>", name: "get_task") { req in
            try .ok(try find(store, req))
        }

        // 201 with Location: http://host/api/tasks/<id>.
        app.post("/api/tasks", name: "create_task") { req in
            let title = try TasksMemoryExample.requireTitle(req)
            let task = store.withLock { store -> TaskItem in
                let task = TaskItem(id: store.nextID, title: title, status: "pending")
                store.tasks.append(task)
                store.nextID += 1
                return task
            }
            return try .created(task, location: try req.urlFor("get_task", ["task_id": task.id], external: true))
        }

        // 204 with an empty body.
        app.delete("/api/tasks/<int:task_id>", name: "delete_task") { req in
            let task = try find(store, req)
            store.withLock { $0.tasks.removeAll { $0.id == task.id } }
            return .noContent
        }

        // Set the status to pending or completed.
        app.put("/api/tasks/<int:task_id>/status", name: "update_task_status") { req in
            var task = try find(store, req)
            guard req.isJSON else { try abort(.unsupportedMediaType, "Request must be JSON") }
            guard let data = try? req.json(), let status = data["status"] else {
                try abort(.badRequest, "Missing 'status' in request body")
            }
            guard let value = status.stringValue, ["pending", "completed"].contains(value) else {
                try abort(.badRequest, "Invalid status value. Must be 'pending' or 'completed'.")
            }
            task.status = value
            store.withLock { store in
                if let index = store.tasks.firstIndex(where: { $0.id == task.id }) { store.tasks[index] = task }
            }
            return try .ok(task)
        }
        return app
    }

    static func find(_ store: Locked<TasksMemoryExample.Store>, _ req: Request) throws -> TaskItem {
        let id: Int = try req.param("task_id")
        guard let task = store.withLock({ $0.tasks.first { $0.id == id } }) else {
            throw HTTPError.notFound("Task with ID \(id) not found")
        }
        return task
    }
}
