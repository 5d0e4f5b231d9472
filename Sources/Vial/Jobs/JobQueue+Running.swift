import Foundation

/// Running one claimed job: the attempt races its timeout, lease renewals and shutdown, and
/// the outcome is recorded (fenced by the attempt number, see `JobStore`).
extension JobQueue {
    enum Outcome: Sendable {
        case result(JSON)
        /// `shown` is recorded for the job's owner; `logged` (the error itself) goes to the log only.
        case failure(shown: String, logged: String)
        /// Given back at shutdown.
        case released
        /// The lease could not be renewed: another worker has the job now.
        case lost
    }

    func perform(_ job: JobRecord, stopping: WorkerSignal?, grace: Double) async throws {
        let label = "\(job.name) \(job.id)"
        guard let definition = definition(job.name) else {
            _ = try await store.fail(
                job, error: "No worker knows job '\(job.name)'", retryAt: nil, now: clock.now, expiresAt: clock.now + resultExpiry)
            logger.error("job \(label) failed: no job is registered under that name")
            return
        }
        // Claimed again after its lease ran out with no attempts left: the worker running the last
        // one died (a job that kills its process would otherwise be taken up forever).
        if job.attempts > job.maxAttempts {
            _ = try await store.fail(
                job, error: "The job's worker stopped during its last attempt", retryAt: nil, now: clock.now,
                expiresAt: clock.now + resultExpiry)
            logger.error("job \(label) failed: its worker stopped during attempt \(job.maxAttempts) of \(job.maxAttempts)")
            return
        }
        logger.debug("job \(label) started (attempt \(job.attempts) of \(job.maxAttempts))")
        let started = ContinuousClock.now
        let outcome: Outcome
        do {
            let payload = try JSON(parsing: Array(job.payload.utf8))
            outcome = await attempt(job, definition, payload, stopping: stopping, grace: grace)
        } catch {
            outcome = .failure(shown: "The job's payload is not JSON", logged: "payload is not JSON: \(error)")
        }
        let now = clock.now
        let took = ContinuousClock.now - started
        let elapsed = String(
            format: "%.1f ms", Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15)
        var recorded = true
        switch outcome {
        case .result(let result):
            recorded = try await store.succeed(job, result: result, now: now, expiresAt: now + resultExpiry)
            logger.info("job \(label) succeeded in \(elapsed)")
        case .failure(let shown, let error):
            let retryAt = job.attempts < job.maxAttempts ? now + definition.retryDelay(after: job.attempts) : nil
            recorded = try await store.fail(job, error: shown, retryAt: retryAt, now: now, expiresAt: now + resultExpiry)
            if let retryAt {
                logger.warning("job \(label) attempt \(job.attempts) failed: \(error); retrying in \(Int(retryAt - now)) s")
            } else {
                logger.error("job \(label) failed for good after \(job.attempts) attempt(s): \(error)")
            }
        case .released:
            recorded = try await store.release(job, now: now)
            logger.notice("job \(label) released unfinished at shutdown; it will run again")
        case .lost:
            recorded = false
        }
        if !recorded { logger.warning("job \(label): another worker took it over; this attempt's outcome was dropped") }
    }

    /// One attempt, racing the work against its timeout, the loss of its lease and (when
    /// stopping) the shutdown grace; the lease is renewed every `heartbeat` seconds meanwhile.
    private func attempt(
        _ job: JobRecord, _ definition: JobDefinition, _ payload: JSON, stopping: WorkerSignal?, grace: Double
    ) async -> Outcome {
        await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    return .result(try await definition.run(payload))
                } catch let failure as JobFailure {
                    return Task.isCancelled ? nil : .failure(shown: failure.message, logged: failure.message)
                } catch {
                    return Task.isCancelled ? nil : .failure(shown: "The job failed", logged: String(reflecting: error))
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(definition.timeout))
                let message = "timed out after \(definition.timeout) s"
                return Task.isCancelled ? nil : .failure(shown: "The job " + message, logged: message)
            }
            group.addTask { [store, clock, visibility, heartbeat, logger] in
                while true {
                    try? await Task.sleep(for: .seconds(heartbeat))
                    if Task.isCancelled { return nil }
                    do {
                        if try await !store.extend(job, lockedUntil: clock.now + visibility) { return .lost }
                    } catch {
                        // Keep working; if renewals keep failing the lease runs out and another worker retries.
                        logger.warning("job \(job.name) \(job.id): could not renew its lease: \(error)")
                    }
                }
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
