import Vial
import VialMiddleware

/// `jobs`: `GET /<job_id>` — a background job's state, to poll after a 202.
public enum JobsBlueprint {
    /// A job as the API shows it (for generated docs): the `JobStatus` model's schema.
    public static let job = JobStatus.schema

    /// The blueprint over `jobs`. Callers see the jobs they started; admins see every job.
    /// Anyone else's job, an unknown id and an expired result all answer 404. `perUserLimit`
    /// (as the tasks blueprint's) leaves room for polling when a `RateLimiter` is installed.
    /// With `broker` (on which `jobs.publishChanges(to:)` announces changes), `GET /<job_id>/events`
    /// streams a job's state changes.
    public static func make(jobs: JobQueue, broker: (any MessageBroker)? = nil, perUserLimit: String = "120 per minute") -> Blueprint {
        let blueprint = Blueprint("jobs")
        blueprint.use(jwtRequired())
        blueprint.use(limit(perUserLimit, key: .user))
        blueprint.get(
            "/<job_id>", name: "get_job",
            docs: RouteDocs(
                summary: "Get a background job", description: "Poll after a 202 until `state` is succeeded or failed.",
                tags: ["jobs"],
                responses: [200: .returned("The job"), 404: .error("Job with ID X not found (or not yours, or expired)")])
        ) { req -> Envelope<JobStatus> in
            let id: String = try req.param("job_id")
            let caller = try CurrentUser(req)
            guard let record = try await jobs.job(id), caller.isAdmin || record.owner == String(caller.id) else {
                throw HTTPError.notFound("Job with ID \(id) not found")
            }
            return Envelope(record.status)
        }
        if let broker { eventsRoute(blueprint, jobs, broker) }
        return blueprint
    }

    /// How often a job's event stream reads the job even without a notice (one lost on the way).
    static let eventsRecheck = Duration.seconds(5)

    /// `GET /<job_id>/events`: the job's state as Server-Sent Events (`job.state`, the job as data)
    /// now and at every change, until it has succeeded or failed.
    static func eventsRoute(_ blueprint: Blueprint, _ jobs: JobQueue, _ broker: any MessageBroker) {
        blueprint.get(
            "/<job_id>/events", name: "job_events",
            docs: RouteDocs(
                summary: "Follow a background job (Server-Sent Events)",
                description: """
                    A `job.state` event with the job now, then one at each change (running, retrying, succeeded, \
                    failed); the stream ends after the job has succeeded or failed.
                    """,
                tags: ["jobs"],
                responses: [200: .media("text/event-stream", "The job's state changes"), 404: .error("Job with ID X not found (or not yours, or expired)")])
        ) { req in
            let id: String = try req.param("job_id")
            let caller = try CurrentUser(req)
            guard let first = try await jobs.job(id), caller.isAdmin || first.owner == String(caller.id) else {
                throw HTTPError.notFound("Job with ID \(id) not found")
            }
            return Response.eventStream { out in
                let notices = try await broker.subscribe(JobQueue.changesChannel)
                defer { notices.cancel() }
                // Wake-ups: a notice naming this job, or the periodic re-read.
                let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await notice in notices {
                            switch notice {
                            case .message(let bytes): if bytes.elementsEqual(id.utf8) { wake.yield() }
                            case .gap: wake.yield()
                            }
                        }
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: eventsRecheck)
                            wake.yield()
                        }
                    }
                    defer { group.cancelAll() }
                    var last: JobRecord? = nil
                    var current: JobRecord? = first
                    var iterator = wakeups.makeAsyncIterator()
                    repeat {
                        if let record = current, record.state != last?.state || record.attempts != last?.attempts {
                            try await out.send(ServerSentEvent(data: record.statusJSON.serialized, event: "job.state"))
                            last = record
                            if record.state == .succeeded || record.state == .failed { return }
                        }
                        guard current != nil else { return }  // expired or purged meanwhile
                        guard await iterator.next() != nil else { return }
                        current = try await jobs.job(id)
                    } while true
                }
            }
        }
    }
}
