/// A job kind, Celery's `@celery.task(bind=True, default_retry_delay=30, max_retries=3)`.
public struct JobDefinition: Sendable {
    public var name: String
    /// Retries after the first attempt.
    public var maxRetries: Int
    /// Seconds before the first retry; doubled for each further one.
    public var backoff: Double
    /// Seconds an attempt may take before it counts as failed.
    public var timeout: Double
    /// The work: payload in, result out; throwing fails the attempt.
    public var run: @Sendable (JSON) async throws -> JSON

    public init(
        _ name: String, maxRetries: Int = 3, backoff: Double = 30, timeout: Double = 300,
        run: @escaping @Sendable (JSON) async throws -> JSON
    ) {
        self.name = name
        self.maxRetries = max(maxRetries, 0)
        self.backoff = backoff
        self.timeout = timeout
        self.run = run
    }

    /// Seconds to wait before retrying after failed attempt number `attempt` (1-based).
    public func retryDelay(after attempt: Int) -> Double {
        backoff * Double(1 << min(max(attempt - 1, 0), 30))
    }
}

/// Thrown by a job to fail its attempt with a message its owner may read (`GET /api/jobs/<id>`
/// shows it). Any other error is shown as "The job failed" and its description goes to the
/// worker's log only: it may name tables, SQL or hosts.
public struct JobFailure: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
