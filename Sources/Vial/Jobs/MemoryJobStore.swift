import Foundation
import Synchronization

/// Jobs in this process's memory: for tests and apps that can lose queued work on restart.
/// (`VialBlueprints.SQLJobStore` is the durable one.)
public final class MemoryJobStore: JobStore {
    private let jobs = Mutex([String: JobRecord]())

    public init() {}

    public func insert(_ job: JobRecord) async throws {
        jobs.withLock { $0[job.id] = job }
    }

    public func claim(now: Double, visibility: Double) async throws -> JobRecord? {
        jobs.withLock { jobs in
            let due = jobs.values.filter { job in
                switch job.state {
                case .queued, .retrying: return job.runAt <= now
                case .running: return (job.lockedUntil ?? 0) < now
                case .succeeded, .failed: return false
                }
            }
            guard var job = due.min(by: { ($0.runAt, $0.createdAt, $0.id) < ($1.runAt, $1.createdAt, $1.id) }) else { return nil }
            job.state = .running
            job.attempts += 1
            job.lockedUntil = now + visibility
            jobs[job.id] = job
            return job
        }
    }

    public func succeed(_ job: JobRecord, result: JSON, now: Double, expiresAt: Double) async throws -> Bool {
        update(job) { stored in
            stored.state = .succeeded
            stored.result = result.serialized
            stored.error = nil
            stored.finish(now: now, expiresAt: expiresAt)
        }
    }

    public func fail(_ job: JobRecord, error: String, retryAt: Double?, now: Double, expiresAt: Double) async throws -> Bool {
        update(job) { stored in
            stored.error = error
            if let retryAt {
                stored.state = .retrying
                stored.runAt = retryAt
                stored.lockedUntil = nil
            } else {
                stored.state = .failed
                stored.finish(now: now, expiresAt: expiresAt)
            }
        }
    }

    public func extend(_ job: JobRecord, lockedUntil: Double) async throws -> Bool {
        update(job) { $0.lockedUntil = lockedUntil }
    }

    public func release(_ job: JobRecord, now: Double) async throws -> Bool {
        update(job) { stored in
            stored.attempts -= 1
            stored.state = stored.attempts == 0 ? .queued : .retrying
            stored.runAt = now
            stored.lockedUntil = nil
        }
    }

    public func find(_ id: String, now: Double) async throws -> JobRecord? {
        jobs.withLock { $0[id] }.flatMap { ($0.expiresAt ?? .infinity) > now ? $0 : nil }
    }

    public func purgeExpired(now: Double) async throws -> Int {
        jobs.withLock { jobs in
            let expired = jobs.values.filter { ($0.expiresAt ?? .infinity) <= now }.map(\.id)
            for id in expired { jobs[id] = nil }
            return expired.count
        }
    }

    /// Applies `change` if `job` is still running at the attempt it was claimed with.
    private func update(_ job: JobRecord, _ change: (inout JobRecord) -> Void) -> Bool {
        jobs.withLock { jobs in
            guard var stored = jobs[job.id], stored.state == .running, stored.attempts == job.attempts else { return false }
            change(&stored)
            jobs[job.id] = stored
            return true
        }
    }
}

extension JobRecord {
    /// Marks a finished job: no lock, a finish time, and when its result expires.
    mutating func finish(now: Double, expiresAt: Double) {
        lockedUntil = nil
        finishedAt = Timestamp.string(Date(timeIntervalSince1970: now))
        self.expiresAt = expiresAt
    }
}
