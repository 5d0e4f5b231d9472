import Foundation
import Logging
import Synchronization

/// The job registry and queue, Celery's app object: register job kinds by name, enqueue them
/// from handlers, look them up, and run them (`runNext()` is one step; `JobWorkers` loops).
///
/// ```swift
/// let jobs = JobQueue(store: MemoryJobStore())
/// jobs.register("send_email", maxRetries: 3, backoff: 30) { payload in
///     try await mailer.send(payload["to"]!.stringValue!)
///     return ["status": "sent"]
/// }
/// let job = try await jobs.enqueue("send_email", payload: ["to": "a@example.com"])
/// ```
public final class JobQueue: Sendable {
    /// Enqueuing a name nothing registered.
    public struct UnknownJob: Error, CustomStringConvertible {
        public var name: String
        public var description: String { "No job is registered as '\(name)'" }
    }

    public let store: any JobStore
    /// Seconds a claimed job stays invisible to other workers; longer than any job's timeout.
    public let visibility: Double
    /// Seconds a finished job's result and error are kept (Celery's `result_expires`).
    public let resultExpiry: Double
    let clock: @Sendable () -> Double
    /// Where job starts, outcomes and retries are logged.
    public let logger: Logger
    private let definitions = Mutex([String: JobDefinition]())
    private let listeners = Mutex([ObjectIdentifier: WorkerSignal]())

    public init(
        store: any JobStore, visibility: Double = 600, resultExpiry: Double = 3600,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        logger: Logger = Logger(label: "vial.jobs")
    ) {
        self.store = store
        self.visibility = visibility
        self.resultExpiry = resultExpiry
        self.clock = clock
        self.logger = logger
    }

    /// Registers (or replaces) a job kind.
    public func register(_ definition: JobDefinition) {
        if definition.timeout >= visibility {
            // Another worker would take the job over while this one may still be running it.
            logger.warning(
                "job \(definition.name): timeout \(definition.timeout) s is not below the visibility timeout \(visibility) s")
        }
        definitions.withLock { $0[definition.name] = definition }
    }

    /// Registers a job kind from its name, options and work.
    public func register(
        _ name: String, maxRetries: Int = 3, backoff: Double = 30, timeout: Double = 300,
        run: @escaping @Sendable (JSON) async throws -> JSON
    ) {
        register(JobDefinition(name, maxRetries: maxRetries, backoff: backoff, timeout: timeout, run: run))
    }

    /// The registered job names, sorted.
    public var names: [String] { definitions.withLock { $0.keys.sorted() } }

    func definition(_ name: String) -> JobDefinition? { definitions.withLock { $0[name] } }

    /// Queues a registered job; `owner` marks who may see it. Wakes this process's idle workers.
    @discardableResult
    public func enqueue(_ name: String, payload: JSON = [:], owner: String? = nil) async throws -> JobRecord {
        guard let definition = definition(name) else { throw UnknownJob(name: name) }
        let job = JobRecord(name: name, payload: payload, owner: owner, maxAttempts: definition.maxRetries + 1, now: clock())
        try await store.insert(job)
        for listener in listeners.withLock({ Array($0.values) }) { listener.notify() }
        return job
    }

    /// The job with `id`, unless unknown or expired.
    public func job(_ id: String) async throws -> JobRecord? {
        try await store.find(id, now: clock())
    }

    /// Deletes finished jobs whose results expired.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        try await store.purgeExpired(now: clock())
    }

    /// Claims and runs one due job; false when none was due. With `stopping`, a job still
    /// running `grace` seconds after `stopping.stop()` is cancelled and released (its attempt not counted).
    @discardableResult
    public func runNext(stopping: WorkerSignal? = nil, grace: Double = 10) async throws -> Bool {
        guard let job = try await store.claim(now: clock(), visibility: visibility) else { return false }
        try await perform(job, stopping: stopping, grace: grace)
        return true
    }

    func listen(_ signal: WorkerSignal) { listeners.withLock { $0[ObjectIdentifier(signal)] = signal } }
    func stopListening(_ signal: WorkerSignal) { listeners.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(signal)) } }

    private enum Outcome: Sendable {
        case result(JSON)
        case failure(String)
        case released
    }

    private func perform(_ job: JobRecord, stopping: WorkerSignal?, grace: Double) async throws {
        let label = "\(job.name) \(job.id)"
        guard let definition = definition(job.name) else {
            _ = try await store.fail(
                job, error: "No worker knows job '\(job.name)'", retryAt: nil, now: clock(), expiresAt: clock() + resultExpiry)
            logger.error("job \(label) failed: no job is registered under that name")
            return
        }
        logger.debug("job \(label) started (attempt \(job.attempts) of \(job.maxAttempts))")
        let started = ContinuousClock.now
        let outcome: Outcome
        do {
            let payload = try JSON(parsing: Array(job.payload.utf8))
            outcome = await Self.attempt(definition, payload, stopping: stopping, grace: grace)
        } catch {
            outcome = .failure("payload is not JSON: \(error)")
        }
        let now = clock()
        let took = ContinuousClock.now - started
        let elapsed = String(
            format: "%.1f ms", Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15)
        var recorded = true
        switch outcome {
        case .result(let result):
            recorded = try await store.succeed(job, result: result, now: now, expiresAt: now + resultExpiry)
            logger.info("job \(label) succeeded in \(elapsed)")
        case .failure(let error):
            let retryAt = job.attempts < job.maxAttempts ? now + definition.retryDelay(after: job.attempts) : nil
            recorded = try await store.fail(job, error: error, retryAt: retryAt, now: now, expiresAt: now + resultExpiry)
            if let retryAt {
                logger.warning("job \(label) attempt \(job.attempts) failed: \(error); retrying in \(Int(retryAt - now)) s")
            } else {
                logger.error("job \(label) failed for good after \(job.attempts) attempt(s): \(error)")
            }
        case .released:
            recorded = try await store.release(job, now: now)
            logger.notice("job \(label) released unfinished at shutdown; it will run again")
        }
        if !recorded { logger.warning("job \(label): another worker took it over; this attempt's outcome was dropped") }
    }

    /// One attempt, racing the work against its timeout and (when stopping) the shutdown grace.
    private static func attempt(
        _ definition: JobDefinition, _ payload: JSON, stopping: WorkerSignal?, grace: Double
    ) async -> Outcome {
        await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    return .result(try await definition.run(payload))
                } catch {
                    return Task.isCancelled ? nil : .failure(String(describing: error))
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(definition.timeout))
                return Task.isCancelled ? nil : .failure("timed out after \(definition.timeout) s")
            }
            if let stopping {
                group.addTask {
                    await stopping.waitUntilStopped()
                    try? await Task.sleep(for: .seconds(grace))
                    return Task.isCancelled ? nil : .released
                }
            }
            while let next = await group.next() {
                if let outcome = next {
                    group.cancelAll()
                    return outcome
                }
            }
            return .released  // the worker itself was cancelled
        }
    }
}
