import Vial
import VialMiddleware

/// `jobs`: `GET /<job_id>` — a background job's state, to poll after a 202.
public enum JobsBlueprint {
    /// A job as the API shows it (for generated docs).
    public static let job = Schema(
        named: "Job",
        .string("id", required: true, example: "0f5c4c1e-3b57-4d0c-9d1a-7e1f5b0c2a9d"), .string("name", required: true),
        .string("state", required: true, oneOf: JobRecord.State.allCases.map(\.rawValue)),
        Field("attempts", .integer, required: true),
        Field("result", .any, required: true, nullable: true, description: "What the job returned, once succeeded"),
        .string("error", required: true, nullable: true, description: "The last failed attempt's error"),
        .string("created_at", required: true), .string("finished_at", required: true, nullable: true))

    /// The blueprint over `jobs`. Callers see the jobs they started; admins see every job.
    /// Anyone else's job, an unknown id and an expired result all answer 404. `perUserLimit`
    /// (as the tasks blueprint's) leaves room for polling when a `RateLimiter` is installed.
    public static func make(jobs: JobQueue, perUserLimit: String = "120 per minute") -> Blueprint {
        let blueprint = Blueprint("jobs")
        blueprint.use(jwtRequired())
        blueprint.use(limit(perUserLimit, key: .user))
        blueprint.get(
            "/<job_id>", name: "get_job",
            docs: RouteDocs(
                summary: "Get a background job", description: "Poll after a 202 until `state` is succeeded or failed.",
                tags: ["jobs"],
                responses: [200: .envelope(job, "The job"), 404: .error("Job with ID X not found (or not yours, or expired)")])
        ) { req in
            let id: String = try req.param("job_id")
            let caller = try CurrentUser(req)
            guard let record = try await jobs.job(id), caller.isAdmin || record.owner == String(caller.id) else {
                throw HTTPError.notFound("Job with ID \(id) not found")
            }
            return try .ok(record.statusJSON)
        }
        return blueprint
    }
}
