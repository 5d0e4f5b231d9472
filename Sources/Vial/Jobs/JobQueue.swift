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
    /// Seconds a claimed job stays invisible to other workers (its lease). A running job's
    /// worker renews the lease every `heartbeat` seconds, so jobs may run longer than this;
    /// it is how long a job whose worker died waits before another worker takes it.
    public let visibility: Double
    /// Seconds between lease renewals while a job runs (a third of `visibility` by default).
    public let heartbeat: Double
    /// Seconds a finished job's result and error are kept (Celery's `result_expires`).
    public let resultExpiry: Double
    let clock: any WallClock
    /// Where job starts, outcomes and retries are logged.
    public let logger: Logger
    private let definitions = Mutex([String: JobDefinition]())
    private let listeners = Mutex([ObjectIdentifier: WorkerSignal]())
    private let changeBroker = Mutex<(any MessageBroker)?>(nil)

    /// The broker channel on which a job's id is published whenever its state changes.
    public static let changesChannel = "jobs"

    /// Publishes each job's id on `broker`'s `jobs` channel when it starts, succeeds, fails,
    /// is retried or released: what `GET /api/jobs/<id>/events` wakes up on, on any instance.
    public func publishChanges(to broker: any MessageBroker) {
        changeBroker.withLock { $0 = broker }
    }

    /// Tells subscribers that `id` changed; a broker that fails is only logged.
    func announceChange(_ id: String) async {
        guard let broker = changeBroker.withLock({ $0 }) else { return }
        do {
            try await broker.publish(Self.changesChannel, Array(id.utf8))
        } catch {
            logger.debug("could not announce a change of job \(id): \(error)")
        }
    }

    public init(
        store: any JobStore, visibility: Double = 60, heartbeat: Double? = nil, resultExpiry: Double = 3600,
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "vial.jobs")
    ) {
        self.store = store
        self.visibility = visibility
        self.heartbeat = heartbeat ?? visibility / 3
        self.resultExpiry = resultExpiry
        self.clock = clock
        self.logger = logger
    }

    /// Registers (or replaces) a job kind.
    public func register(_ definition: JobDefinition) {
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
        let job = JobRecord(name: name, payload: payload, owner: owner, maxAttempts: definition.maxRetries + 1, now: clock.now)
        try await store.insert(job)
        for listener in listeners.withLock({ Array($0.values) }) { listener.notify() }
        return job
    }

    /// The job with `id`, unless unknown or expired.
    public func job(_ id: String) async throws -> JobRecord? {
        try await store.find(id, now: clock.now)
    }

    /// Deletes finished jobs whose results expired.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        try await store.purgeExpired(now: clock.now)
    }

    /// Claims and runs one due job; false when none was due. With `stopping`, a job still
    /// running `grace` seconds after `stopping.stop()` is cancelled and released (its attempt not counted).
    @discardableResult
    public func runNext(stopping: WorkerSignal? = nil, grace: Double = 10) async throws -> Bool {
        guard let job = try await store.claim(now: clock.now, visibility: visibility) else { return false }
        await announceChange(job.id)
        do {
            try await perform(job, stopping: stopping, grace: grace)
        } catch {
            await announceChange(job.id)
            throw error
        }
        await announceChange(job.id)
        return true
    }

    func listen(_ signal: WorkerSignal) { listeners.withLock { $0[ObjectIdentifier(signal)] = signal } }
    func stopListening(_ signal: WorkerSignal) { listeners.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(signal)) } }
}
