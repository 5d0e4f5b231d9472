import Logging
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

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully (`App worker`).
    public func runUntilSignalled(logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: self)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Runs until `signal.stop()` (or cancellation), then returns once every worker has finished
    /// or released its job.
    public func run(signal: WorkerSignal) async {
        queue.listen(signal)
        defer { queue.stopListening(signal) }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency { group.addTask { await work(signal) } }
            group.addTask { await purge(signal) }
        }
    }

    private func work(_ signal: WorkerSignal) async {
        while !signal.isStopped, !Task.isCancelled {
            let seen = signal.generation
            do {
                if try await queue.runNext(stopping: signal, grace: shutdownGrace) { continue }
            } catch {
                queue.logger.error("job worker: \(error)")
            }
            await signal.wait(timeout: .seconds(pollInterval), since: seen)
        }
    }

    private func purge(_ signal: WorkerSignal) async {
        while !signal.isStopped, !Task.isCancelled {
            do {
                let purged = try await queue.purgeExpired()
                if purged > 0 { queue.logger.debug("purged \(purged) expired job result(s)") }
            } catch {
                queue.logger.error("purging expired job results: \(error)")
            }
            // Sleep the interval out; enqueues wake this loop too, so wait again until the deadline.
            let deadline = ContinuousClock.now + .seconds(purgeInterval)
            while !signal.isStopped, !Task.isCancelled, ContinuousClock.now < deadline {
                await signal.wait(timeout: deadline - ContinuousClock.now, since: signal.generation)
            }
        }
    }
}
