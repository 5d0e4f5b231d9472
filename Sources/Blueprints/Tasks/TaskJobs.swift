import Foundation
import Logging
import Vial
import VialMiddleware

/// The tasks API's background jobs, the guide's `app/tasks/background.py`.
public enum TaskJobs {
    /// Appends " [Processed]" to a task's description and marks it completed (`{"task_id": N}`).
    public static let process = "process_task_data"
    /// Records a task-created message in the outbox and logs it (`{"user_id": N, "task_id": N, "title": "…"}`).
    public static let confirmationEmail = "send_confirmation_email"

    /// Registers both jobs on `queue`. With a `cache`, processing drops the cached copies it makes stale.
    public static func register(
        on queue: JobQueue, tasks: any TaskStore, users: any UserStore, outbox: Outbox, cache: Cache? = nil,
        events: TaskEvents? = nil, clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "vial.jobs")
    ) {
        // @celery.task(bind=True, default_retry_delay=30, max_retries=3)
        queue.register(process, maxRetries: 3, backoff: 30, timeout: 60) { payload in
            guard let id = payload["task_id"]?.intValue else { throw BadPayload(job: process, field: "task_id") }
            guard var task = try await tasks.find(id: Int64(id)) else {
                logger.warning("process_task_data: task \(id) not found")
                return ["status": "failed", "reason": "Task not found"]
            }
            task.description = (task.description ?? "") + " [Processed]"
            task.status = .completed
            task.updatedAt = Timestamp.string(clock.date)
            let updated = try await tasks.update(task)
            try await TasksBlueprint.dropCached(cache, owners: [task.ownerId])
            await events?.publish("task.updated", updated)
            logger.info("process_task_data: processed task \(id)")
            return ["status": "success", "task_id": .int(id), "new_description": updated.description.map(JSON.string) ?? .null]
        }

        queue.register(confirmationEmail, maxRetries: 3, backoff: 30, timeout: 30) { payload in
            guard let userID = payload["user_id"]?.intValue, let taskID = payload["task_id"]?.intValue,
                let title = payload["title"]?.stringValue
            else { throw BadPayload(job: confirmationEmail, field: "user_id, task_id and title") }
            guard let user = try await users.find(id: Int64(userID)) else {
                return ["status": "skipped", "reason": "User not found"]
            }
            let subject = "Task Created: \(title)"
            try await outbox.record(
                recipient: user.email, subject: subject,
                body: "Your task '\(title)' (ID: \(taskID)) was created successfully.", at: clock.date)
            logger.info("send_confirmation_email: to \(user.email), subject \(subject)")
            return ["status": "sent", "recipient": .string(user.email)]
        }
    }

    struct BadPayload: Error, CustomStringConvertible {
        var job: String
        var field: String
        var description: String { "\(job) needs \(field) in its payload" }
    }
}
