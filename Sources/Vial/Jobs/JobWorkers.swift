import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// A pool of workers looping over a `JobQueue` — in-process next to the HTTP server, or on its
/// own (`App worker`, Celery's `celery worker -c N`). As a swift-service-lifecycle `Service` it
/// stops at graceful shutdown: no new job is taken, running ones get `shutdownGrace` seconds
/// to finish, and any still running then are released for another worker.
public struct JobWorkers: Service {
    public let queue: JobQueue
    public let concurrency: Int
    /// Seconds an idle worker sleeps before looking again (enqueues in this process wake it earlier).
    public var pollInterval: Double
    public var shutdownGrace: Double
    /// Seconds between purges of expired results.
    public var purgeInterval: Double

    public init(queue: JobQueue, concurrency: Int, pollInterval: Double = 1, shutdownGrace: Double = 10, purgeInterval: Double = 60) {
        self.queue = queue
        self.concurrency = concurrency
        self.pollInterval = pollInterval
        self.shutdownGrace = shutdownGrace
        self.purgeInterval = purgeInterval
    }

    /// Runs until graceful shutdown (or cancellation).
    public func run() async throws {
        let signal = WorkerSignal()
        await withGracefulShutdownHandler {
            await run(signal: signal)
        } onGracefulShutdown: {
            signal.stop()
        }
    }

    /// Runs until `signal.stop()` (or cancellation), then returns once every worker has finished
    /// or released its job. Idle workers also delete expired results, at most every `purgeInterval`.
    public func run(signal: WorkerSignal) async {
        queue.listen(signal)
        defer { queue.stopListening(signal) }
        let nextPurge = NIOLockedValueBox(ContinuousClock.now)  // the first idle moment purges
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency { group.addTask { await work(signal, nextPurge) } }
        }
    }

    private func work(_ signal: WorkerSignal, _ nextPurge: NIOLockedValueBox<ContinuousClock.Instant>) async {
        while !signal.isStopped, !Task.isCancelled {
            let seen = signal.generation
            do {
                if try await queue.runNext(stopping: signal, grace: shutdownGrace) { continue }
                try await purgeIfDue(nextPurge)
            } catch {
                queue.logger.error("job worker: \(error)")
            }
            await signal.wait(timeout: .seconds(pollInterval), since: seen)
        }
    }

    /// Deletes expired results if `purgeInterval` has passed since the last purge by any worker here.
    private func purgeIfDue(_ nextPurge: NIOLockedValueBox<ContinuousClock.Instant>) async throws {
        let now = ContinuousClock.now
        let due = nextPurge.withLockedValue { next in
            guard now >= next else { return false }
            next = now + .seconds(purgeInterval)
            return true
        }
        guard due else { return }
        let purged = try await queue.purgeExpired()
        if purged > 0 { queue.logger.debug("purged \(purged) expired job result(s)") }
    }
}
