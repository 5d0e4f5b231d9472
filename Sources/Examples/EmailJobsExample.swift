import Vial

/// Guide section 13, workshop "Adding a Background Email Task", on Vial alone: a job registered
/// by name, queued by a route that answers 202 at once, workers running next to the server, and
/// a status route to poll. Jobs live in memory here; the bundled API keeps them in SQLite.
enum EmailJobsExample {
    static func make(_ config: AppConfig) -> App {
        let app = App("email-jobs", config: config)
        let jobs = JobQueue(store: MemoryJobStore(), resultExpiry: 600)
        let outbox = Locked([JSON]())
        let logger = app.logger

        // @celery.task def send_confirmation_email(recipient, subject, body)
        jobs.register("send_confirmation_email", maxRetries: 3, backoff: 5, timeout: 10) { payload in
            try await Task.sleep(for: .milliseconds(300))  // the guide's simulated network delay
            outbox.withLock { $0.append(payload) }
            logger.info("Email 'sent' to \(payload["recipient"]?.stringValue ?? "?")")
            return ["status": "sent", "recipient": payload["recipient"] ?? .null]
        }
        app.addServices(JobWorkers(queue: jobs, concurrency: 2))

        let email = Schema(
            named: "Email", Field("recipient", .email, required: true), .string("subject", required: true, length: 1...200),
            .string("body", required: true))

        // Queue the email (.delay()) and answer 202 with where to poll.
        app.post("/api/emails", name: "send_email") { req in
            let input = try req.validate(email)
            let job = try await jobs.enqueue(
                "send_confirmation_email",
                payload: [
                    "recipient": .string(input.string("recipient")!), "subject": .string(input.string("subject")!),
                    "body": .string(input.string("body")!),
                ])
            return try .accepted(job.statusJSON, location: try req.urlFor("get_job", ["job_id": job.id], external: true))
        }

        // Celery's AsyncResult(id).status, as JSON.
        app.get("/api/jobs/<job_id>", name: "get_job") { req in
            let id: String = try req.param("job_id")
            guard let job = try await jobs.job(id) else { throw HTTPError.notFound("Job with ID \(id) not found") }
            return try .ok(job.statusJSON)
        }

        // What the workers "sent".
        app.get("/api/outbox", name: "outbox") { _ in try .ok(outbox.withLock { $0 }) }
        return app
    }
}
