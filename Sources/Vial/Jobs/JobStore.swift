/// Where jobs wait and their outcomes are kept. Implementations must make `claim` atomic
/// (two workers never hold the same job) and make `succeed`, `fail` and `release` apply only
/// while the job is still `running` at the claimed attempt, so a worker whose visibility
/// timeout passed cannot overwrite the outcome of the worker that took the job over.
///
/// Vial ships `MemoryJobStore`; `VialBlueprints` has a durable SQLite store.
public protocol JobStore: Sendable {
    /// Stores a new job.
    func insert(_ job: JobRecord) async throws
    /// Takes the next due job (queued or retrying with `runAt <= now`, or running with an expired
    /// lock), marks it running with one more attempt, and locks it until `now + visibility`.
    func claim(now: Double, visibility: Double) async throws -> JobRecord?
    /// Records success for `job` (as claimed); false when the claim was lost.
    func succeed(_ job: JobRecord, result: JSON, now: Double, expiresAt: Double) async throws -> Bool
    /// Records a failed attempt: `retrying` from `retryAt`, or `failed` for good when it is nil.
    func fail(_ job: JobRecord, error: String, retryAt: Double?, now: Double, expiresAt: Double) async throws -> Bool
    /// Renews the lease of a running job (as claimed); false when the claim was lost.
    func extend(_ job: JobRecord, lockedUntil: Double) async throws -> Bool
    /// Gives a claimed job back untouched (its attempt does not count), due at `now`.
    func release(_ job: JobRecord, now: Double) async throws -> Bool
    /// The job, unless unknown or its result expired.
    func find(_ id: String, now: Double) async throws -> JobRecord?
    /// Deletes finished jobs whose results expired; returns how many.
    func purgeExpired(now: Double) async throws -> Int
}
