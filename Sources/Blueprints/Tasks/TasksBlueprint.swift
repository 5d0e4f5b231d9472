import Foundation
import Logging
import Vial
import VialMiddleware

/// `tasks`: list, create, get, replace, patch, set status, delete (see docs/bundled-api.md).
/// Users act on their own tasks; admins on everyone's; anyone else gets 403.
public enum TasksBlueprint {
    /// The longest description, in characters (code points): with `per_page` at most 100, one
    /// list answer stays within a few megabytes however much a user stores.
    public static let maxDescription = 10_000

    /// `POST /`: title required (the `TaskInput` model's schema).
    public static let creation = TaskInput.schema
    /// `PUT /<id>`: title and status required; absent optional fields become null.
    public static let replacement = TaskReplacement.schema
    /// `PATCH /<id>`: any subset.
    public static let patch = TaskPatch.schema
    /// `PUT /<id>/status`.
    public static let statusChange = TaskStatusChange.schema

    /// A task as the API shows it (for generated docs): the `TaskItem` model's schema.
    public static let task = TaskItem.schema

    /// The list query: `?status=&page=&per_page=`.
    public static let listQuery: [Field] = [
        .string("status", oneOf: TaskItem.Status.allCases.map(\.rawValue)), .integer("page", range: 1...1_000_000),
        .integer("per_page", range: 1...100),
    ]

    static let notFound = ResponseDoc.error("Task with ID N not found")
    static let forbidden = ResponseDoc.error("Neither the owner nor an admin")
    static let notJSON = ResponseDoc.error("The body is not JSON")
    static let invalid = ResponseDoc.error("Validation failed, with details per field")
    static let malformed = ResponseDoc.error("Malformed JSON")

    /// The blueprint. With a `cache`, list and detail answers are cached per user (60 s) and
    /// every write drops the affected entries; `perUserLimit` applies when a `RateLimiter` is installed.
    /// With `jobs` (where `TaskJobs` are registered), creating a task enqueues its confirmation
    /// email and `POST /<task_id>/process` exists.
    /// With `events`, every write publishes a task event and `GET /events` streams them.
    /// With `attachments`, tasks take files (`/<task_id>/attachments`), removed with their task.
    public static func make(
        tasks: any TaskStore, cache: Cache? = nil, jobs: JobQueue? = nil, events: TaskEvents? = nil,
        attachments: TaskAttachments? = nil,
        perUserLimit: String = "120 per minute", clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "vial.tasks")
    ) -> Blueprint {
        // The contract: `/api/tasks` and `/api/tasks/` both answer, without a redirect.
        let blueprint = Blueprint("tasks", options: RouteOptions(strictSlashes: false))
        blueprint.use(jwtRequired())
        blueprint.use(limit(perUserLimit, key: .user))
        let view = cachedView(cache)

        /// Drops the cached lists and details of the task's owner, the caller and every admin.
        @Sendable func invalidate(_ req: Request, owner: Int64) async throws {
            try await dropCached(cache, owners: [owner, try CurrentUser(req).id])
        }

        /// Stores a changed task, drops the cached copies it makes stale, and answers with it.
        @Sendable func save(_ task: TaskItem, _ req: Request) async throws -> Envelope<TaskItem> {
            var task = task
            task.updatedAt = Timestamp.string(clock.date)
            let updated = try await tasks.update(task)
            try await invalidate(req, owner: task.ownerId)
            await events?.publish("task.updated", updated)
            return Envelope(updated)
        }

        // Newest first; ?status=pending|completed&page=1&per_page=20 (max 100).
        blueprint.get(
            "/", name: "get_tasks",
            docs: RouteDocs(
                summary: "List tasks", description: "Newest first; users see their own tasks, admins everyone's.",
                tags: ["tasks"], query: listQuery,
                responses: [200: .returned("One page of tasks"), 400: .error("Bad status, page or per_page")]),
            view
        ) { req -> Page<TaskItem> in
            // The same declarations the docs list check the query.
            let query = try req.validateQuery(listQuery)
            let status = query.string("status").flatMap(TaskItem.Status.init)
            let page = query.int("page") ?? 1
            let perPage = query.int("per_page") ?? 20
            let caller = try CurrentUser(req)
            let (items, total) = try await tasks.list(
                owner: caller.isAdmin ? nil : caller.id, status: status, page: page, perPage: perPage)
            return Page(items, meta: PageMeta(page: page, perPage: perPage, total: total))
        }

        // Create a task owned by the caller; Location is the task's absolute URL.
        blueprint.post(
            "/", name: "create_task",
            docs: RouteDocs(
                summary: "Create a task", tags: ["tasks"], request: creation,
                responses: [
                    201: .returned("The task; Location is its URL"), 400: malformed, 415: notJSON, 422: invalid,
                ])
        ) { req -> Created<TaskItem> in
            let input = try req.decode(TaskInput.self)
            let caller = try CurrentUser(req)
            let stamp = Timestamp.string(clock.date)
            let task = try await tasks.create(
                TaskItem(
                    title: input.title, description: input.description, status: input.status ?? .pending,
                    dueDate: input.dueDate, ownerId: caller.id, createdAt: stamp, updatedAt: stamp))
            try await invalidate(req, owner: caller.id)
            await events?.publish("task.created", task)
            if let jobs {
                // The email is a side effect: failing to queue it is logged and never fails the create.
                do {
                    try await jobs.enqueue(
                        TaskJobs.confirmationEmail,
                        payload: ["user_id": .int(Int(caller.id)), "task_id": .int(Int(task.id ?? 0)), "title": .string(task.title)],
                        owner: String(caller.id))
                } catch {
                    logger.error("could not queue the confirmation email for task \(task.id ?? 0): \(error)")
                }
            }
            let location = try req.urlFor(".get_task", ["task_id": task.id ?? 0], external: true)
            return Created(task, location: location)
        }

        // One task.
        blueprint.get(
            "/<int:task_id>", name: "get_task",
            docs: RouteDocs(
                summary: "Get a task", tags: ["tasks"],
                responses: [200: .returned("The task"), 403: forbidden, 404: notFound]),
            view
        ) { req -> Envelope<TaskItem> in
            Envelope(try await owned(req, tasks))
        }

        // Full replacement: absent optional fields become null.
        blueprint.put(
            "/<int:task_id>", name: "update_task",
            docs: RouteDocs(
                summary: "Replace a task", description: "Full replacement: absent optional fields become null.",
                tags: ["tasks"], request: replacement,
                responses: [
                    200: .returned("The task"), 400: malformed, 403: forbidden, 404: notFound, 415: notJSON,
                    422: invalid,
                ])
        ) { req -> Envelope<TaskItem> in
            var task = try await owned(req, tasks)
            let input = try req.decode(TaskReplacement.self)
            task.title = input.title
            task.status = input.status
            task.description = input.description
            task.dueDate = input.dueDate
            return try await save(task, req)
        }

        // Change only the fields sent.
        blueprint.patch(
            "/<int:task_id>", name: "patch_task",
            docs: RouteDocs(
                summary: "Update some fields of a task", tags: ["tasks"], request: patch,
                responses: [
                    200: .returned("The task"), 400: .error("No updatable field, or malformed JSON"),
                    403: forbidden, 404: notFound, 415: notJSON, 422: invalid,
                ])
        ) { req -> Envelope<TaskItem> in
            var task = try await owned(req, tasks)
            // Sending nothing the PATCH could change is a 400 (`requiresAField`); unknown fields a 422.
            let input = try req.decode(TaskPatch.self)
            if let title = input.title { task.title = title }
            if let status = input.status { task.status = status }
            if input.description.isPresent { task.description = input.description.value }
            if input.dueDate.isPresent { task.dueDate = input.dueDate.value }
            return try await save(task, req)
        }

        // Set the status alone.
        blueprint.put(
            "/<int:task_id>/status", name: "update_task_status",
            docs: RouteDocs(
                summary: "Set a task's status", tags: ["tasks"], request: statusChange,
                responses: [
                    200: .returned("The task"), 400: malformed, 403: forbidden, 404: notFound, 415: notJSON,
                    422: invalid,
                ])
        ) { req -> Envelope<TaskItem> in
            var task = try await owned(req, tasks)
            task.status = try req.decode(TaskStatusChange.self).status
            return try await save(task, req)
        }

        // 204 with an empty body.
        blueprint.delete(
            "/<int:task_id>", name: "delete_task",
            docs: RouteDocs(
                summary: "Delete a task", tags: ["tasks"],
                responses: [204: .empty("Deleted"), 403: forbidden, 404: notFound])
        ) { req in
            let task = try await owned(req, tasks)
            // The rows go with the task (ON DELETE CASCADE); their contents after it.
            let hashes = try await attachments?.store.list(task: task.id!).map(\.sha256) ?? []
            _ = try await tasks.delete(id: task.id!)
            await attachments?.removeContents(of: hashes)
            try await invalidate(req, owner: task.ownerId)
            await events?.publish("task.deleted", task)
            return .noContent
        }

        if let events {
            eventsRoute(blueprint, events)
            liveRoute(blueprint, events)
        }
        attachments?.register(on: blueprint, tasks: tasks)

        // Queue process_task_data; 202 with the job, Location its status URL.
        if let jobs {
            blueprint.post(
                "/<int:task_id>/process", name: "process_task",
                docs: RouteDocs(
                    summary: "Process a task in the background",
                    description: "Queues process_task_data, which appends \" [Processed]\" to the description and marks the task completed. Poll the job at Location.",
                    tags: ["tasks"],
                    responses: [202: .returned("The queued job; Location is its status URL"), 403: forbidden, 404: notFound])
            ) { req -> Accepted<JobStatus> in
                let task = try await owned(req, tasks)
                let job = try await jobs.enqueue(
                    TaskJobs.process, payload: ["task_id": .int(Int(task.id!))], owner: String(try CurrentUser(req).id))
                logger.info("queued process_task_data for task \(task.id!) as job \(job.id)")
                return Accepted(job.status, location: try req.urlFor("jobs.get_job", ["job_id": job.id], external: true))
            }
        }
        return blueprint
    }

    /// `GET /events`: the caller's task events (admins: everyone's) as Server-Sent Events.
    static func eventsRoute(_ blueprint: Blueprint, _ events: TaskEvents) {
        blueprint.get(
            "/events", name: "task_events",
            docs: RouteDocs(
                summary: "Live task events (Server-Sent Events)",
                description: """
                    `task.created`, `task.updated` and `task.deleted`, each with the task as JSON data, for the \
                    caller's tasks (admins: all), from every instance. Send `Last-Event-ID` to resume: the events \
                    missed are sent first, or a `refetch` event when they are no longer known. A `: ping` comment \
                    every 15 s keeps the connection open; the stream ends when the token expires or is revoked.
                    """,
                tags: ["tasks"],
                responses: [200: .media("text/event-stream", "The event stream")])
        ) { req in
            let caller = try CurrentUser(req)
            let lastEventID = req.lastEventID
            return Response.eventStream { out in
                // Subscribe before reading the history, so nothing falls between the two.
                let subscription = try await events.broker.subscribe(TaskEvents.channel)
                defer { subscription.cancel() }
                // First a reconnection delay: it also tells the client the subscription is in place.
                try await out.send(ServerSentEvent(retry: 3_000))
                var replayed = Set<String>()
                switch events.replay(after: lastEventID) {
                case .unknown:
                    try await out.send(refetch)
                case .events(let missed):
                    for event in missed where event.isVisible(to: caller) {
                        try await out.send(event.serverSentEvent)
                        replayed.insert(event.id)
                    }
                }
                for await message in subscription {
                    switch message {
                    case .gap:
                        try await out.send(refetch)
                    case .message(let payload):
                        guard let event = TaskEvents.decode(payload), event.isVisible(to: caller),
                            !replayed.contains(event.id)
                        else { continue }
                        try await out.send(event.serverSentEvent)
                    }
                }
                // Overrun (the client fell 256 events behind): the stream ends, and the client
                // reconnects with its Last-Event-ID.
            }
        }
    }

    /// Tells a client that events were missed and it should fetch the tasks again.
    static let refetch = ServerSentEvent(data: #"{"reason":"events were missed; fetch the tasks again"}"#, event: "refetch")

    /// Drops the cached lists and details of `owners` and of every admin.
    static func dropCached(_ cache: Cache?, owners: Set<Int64>) async throws {
        guard let cache else { return }
        // The write has committed: a cache that cannot be reached (Redis down) must not turn it
        // into a 500. Entries it still holds expire within their timeout (60 s). The tags go in
        // one call: one round trip to Redis, not one a tag.
        try? await cache.invalidate(tags: Set(owners.map { "tasks:user:\($0)" }).union(["tasks:admins"]))
    }

    /// `cached(60 s)` tagged with the caller (and `tasks:admins` for admins), or a no-op without a cache.
    static func cachedView(_ cache: Cache?) -> any Middleware {
        guard cache != nil else { return Uncached() }
        return cached(
            timeout: 60, keyPrefix: "tasks",
            tags: { req in
                guard let caller = try? CurrentUser(req) else { return [] }
                return caller.isAdmin ? ["tasks:user:\(caller.id)", "tasks:admins"] : ["tasks:user:\(caller.id)"]
            })
    }

    /// The task named by the path, if it exists (404) and the caller may act on it (403).
    static func owned(_ req: Request, _ tasks: any TaskStore) async throws -> TaskItem {
        let id: Int = try req.param("task_id")
        guard let task = try await tasks.find(id: Int64(id)) else {
            throw HTTPError.notFound("Task with ID \(id) not found")
        }
        let caller = try CurrentUser(req)
        guard caller.isAdmin || task.ownerId == caller.id else {
            throw HTTPError.forbidden("You do not have permission to access this task")
        }
        return task
    }
}

/// Stands in for `cached(…)` when the blueprint has no cache; invisible in the route listing.
struct Uncached: Middleware {
    var isListed: Bool { false }
    func handle(_ request: Request, next: Handler) async throws -> Response { try await next(request) }
}

