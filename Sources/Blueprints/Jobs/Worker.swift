import Foundation
import Logging
import Vial

/// A job kind, Celery's `@celery.task(bind=True, default_retry_delay=…, max_retries=…)`.
public struct JobDefinition: Sendable {
    public var name: String
    /// Retries after the first attempt.
    public var maxRetries: Int
    /// Seconds before the first retry; doubled for each further one.
    public var backoff: Double
    /// Seconds an attempt may take before it counts as failed.
    public var timeout: Double
    public var run: @Sendable (JSON) async throws -> JSON

    public init(
        _ name: String, maxRetries: Int = 3, backoff: Double = 30, timeout: Double = 300,
        run: @escaping @Sendable (JSON) async throws -> JSON
    ) {
        self.name = name
        self.maxRetries = maxRetries
        self.backoff = backoff
        self.timeout = timeout
        self.run = run
    }
}

/// Takes jobs from the store and runs them. `runOnce()` is one step (tests drive it with a
/// manual clock); `run(pollInterval:)` loops until its task is cancelled.
public struct JobWorker: Sendable {
    public let store: SQLiteJobStore
    public let definitions: [String: JobDefinition]
    /// Seconds a claimed job stays invisible to other workers.
    public let visibility: Double
    let clock: @Sendable () -> Double
    let logger: Logger

    public init(
        store: SQLiteJobStore, jobs: [JobDefinition], visibility: Double = 600,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        logger: Logger = Logger(label: "vial.jobs")
    ) {
        self.store = store
        self.definitions = Dictionary(jobs.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.visibility = visibility
        self.clock = clock
        self.logger = logger
    }

    /// Queues a job of a registered kind.
    public func enqueue(_ name: String, payload: JSON) async throws -> JobRecord {
        guard let definition = definitions[name] else { throw HTTPError(.internalServerError, "Unknown job '\(name)'") }
        return try await store.enqueue(name, payload: payload, maxAttempts: definition.maxRetries + 1, now: clock())
    }

    /// Claims and runs one due job; false when there was none.
    @discardableResult
    public func runOnce() async throws -> Bool {
        guard let job = try await store.claim(now: clock(), visibility: visibility) else { return false }
        guard let definition = definitions[job.name] else {
            try await store.fail(job.id, error: "No worker knows job '\(job.name)'", retryAt: nil, now: clock())
            return true
        }
        do {
            let payload = try JSON(parsing: Array(job.payload.utf8))
            let result = try await Self.withTimeout(definition.timeout) { try await definition.run(payload) }
            try await store.succeed(job.id, result: result, now: clock())
        } catch {
            let now = clock()
            let retryAt = job.attempts < job.maxAttempts
                ? now + definition.backoff * pow(2, Double(job.attempts - 1)) : nil
            logger.warning("job \(job.name) \(job.id) attempt \(job.attempts) failed: \(error)")
            try await store.fail(job.id, error: String(describing: error), retryAt: retryAt, now: now)
        }
        return true
    }

    /// Runs due jobs until cancelled, sleeping `pollInterval` seconds when there are none.
    public func run(pollInterval: Double = 1) async {
        while !Task.isCancelled {
            do {
                if try await runOnce() { continue }
            } catch {
                logger.error("job worker: \(error)")
            }
            try? await Task.sleep(for: .milliseconds(Int(pollInterval * 1000)))
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "timed out after \(seconds) s" }
    }

    static func withTimeout(_ seconds: Double, _ body: @escaping @Sendable () async throws -> JSON) async throws -> JSON {
        try await withThrowingTaskGroup(of: JSON.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                throw TimedOut(seconds: seconds)
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
    }
}
