import Foundation

/// One job as a store keeps it: what to run, for whom, its state and its outcome.
public struct JobRecord: Sendable, Equatable, Codable {
    /// queued → running → succeeded, or running → retrying → running … → failed.
    public enum State: String, Sendable, Codable, CaseIterable {
        case queued, running, retrying, succeeded, failed
    }

    public var id: String
    public var name: String
    /// The payload, as JSON text.
    public var payload: String
    /// Who enqueued it (e.g. a JWT subject), for APIs that show jobs to their owner only.
    public var owner: String?
    public var state: State
    /// Attempts started so far; while running, the attempt in progress. It doubles as a fencing
    /// token: a worker whose lock was taken over can no longer record an outcome.
    public var attempts: Int
    public var maxAttempts: Int
    /// When it may run next (seconds since 1970); later for a retry with backoff.
    public var runAt: Double
    /// While running: when another worker may take it over (the visibility timeout).
    public var lockedUntil: Double?
    /// The result, as JSON text, once succeeded.
    public var result: String?
    /// The last attempt's error.
    public var error: String?
    public var createdAt: String
    public var finishedAt: String?
    /// When a finished job's result is forgotten (seconds since 1970).
    public var expiresAt: Double?

    enum CodingKeys: String, CodingKey {
        case id, name, payload, owner, state, attempts, result, error
        case maxAttempts = "max_attempts"
        case runAt = "run_at"
        case lockedUntil = "locked_until"
        case createdAt = "created_at"
        case finishedAt = "finished_at"
        case expiresAt = "expires_at"
    }

    /// A new queued job.
    public init(name: String, payload: JSON, owner: String? = nil, maxAttempts: Int, now: Double) {
        id = UUID().uuidString.lowercased()
        self.name = name
        self.payload = payload.serialized
        self.owner = owner
        state = .queued
        attempts = 0
        self.maxAttempts = max(maxAttempts, 1)
        runAt = now
        createdAt = Timestamp.string(Date(timeIntervalSince1970: now))
    }

    /// The job as an API shows it, as JSON (an SSE event's data): `status`, encoded. Its fields
    /// are text, numbers and JSON, which always encode.
    public var statusJSON: JSON { (try? JSON(encoding: status)) ?? .null }

    /// The job as an API shows it: what a route answers (`Accepted(job.status, location: …)`).
    public var status: JobStatus {
        JobStatus(
            id: id, name: name, state: state, attempts: attempts,
            result: result.flatMap { try? JSON(parsing: Array($0.utf8)) }, error: error, createdAt: createdAt,
            finishedAt: finishedAt)
    }
}
