import Foundation
import GRDB
import Vial

/// One job as stored: what to run, its state and its outcome.
public struct JobRecord: Sendable, Equatable, Codable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "jobs"

    /// queued → running → succeeded | retrying → … → failed.
    public enum State: String, Sendable, Codable {
        case queued, running, retrying, succeeded, failed
    }

    public var id: String
    public var name: String
    /// The payload, as JSON text.
    public var payload: String
    public var state: State
    public var attempts: Int
    public var maxAttempts: Int
    /// When it may run (seconds since 1970); later for a retry with backoff.
    public var runAt: Double
    /// While running: when another worker may take it over (the visibility timeout).
    public var lockedUntil: Double?
    /// The result, as JSON text, once succeeded.
    public var result: String?
    public var error: String?
    public var createdAt: String
    public var finishedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, name, payload, state, attempts, result, error
        case maxAttempts = "max_attempts"
        case runAt = "run_at"
        case lockedUntil = "locked_until"
        case createdAt = "created_at"
        case finishedAt = "finished_at"
    }
}

/// The durable queue: jobs live in the app's SQLite database, so an enqueued job survives a
/// crash or restart and runs at least once. Claiming is one write transaction (SQLite
/// serialises writers), so two workers never hold the same job; a worker that dies mid-job
/// loses it when its visibility timeout passes and another worker takes it over.
public struct SQLiteJobStore: Sendable {
    let database: AppDatabase

    public init(_ database: AppDatabase) { self.database = database }

    /// Queues `name` with `payload`; returns the stored job.
    public func enqueue(_ name: String, payload: JSON, maxAttempts: Int, now: Double) async throws -> JobRecord {
        let job = JobRecord(
            id: UUID().uuidString.lowercased(), name: name, payload: payload.serialized, state: .queued, attempts: 0,
            maxAttempts: max(maxAttempts, 1), runAt: now, lockedUntil: nil, result: nil, error: nil,
            createdAt: Timestamp.string(Date(timeIntervalSince1970: now)), finishedAt: nil)
        try await database.writer.write { db in try job.insert(db) }
        return job
    }

    /// Takes the next job that is due (or whose previous worker's lock expired) and marks it
    /// running until `now + visibility`.
    public func claim(now: Double, visibility: Double) async throws -> JobRecord? {
        try await database.writer.write { db in
            guard var job = try JobRecord.fetchOne(
                db,
                sql: """
                    SELECT * FROM jobs
                    WHERE (state IN ('queued', 'retrying') AND run_at <= ?) OR (state = 'running' AND locked_until < ?)
                    ORDER BY run_at, created_at LIMIT 1
                    """, arguments: [now, now])
            else { return nil }
            job.state = .running
            job.attempts += 1
            job.lockedUntil = now + visibility
            try job.update(db)
            return job
        }
    }

    /// Records success.
    public func succeed(_ id: String, result: JSON, now: Double) async throws {
        try await database.writer.write { db in
            try db.execute(
                sql: "UPDATE jobs SET state = 'succeeded', result = ?, error = NULL, locked_until = NULL, finished_at = ? WHERE id = ?",
                arguments: [result.serialized, Timestamp.string(Date(timeIntervalSince1970: now)), id])
        }
    }

    /// Records a failure: `retrying` at `retryAt`, or `failed` for good when it is nil.
    public func fail(_ id: String, error: String, retryAt: Double?, now: Double) async throws {
        try await database.writer.write { db in
            if let retryAt {
                try db.execute(
                    sql: "UPDATE jobs SET state = 'retrying', error = ?, run_at = ?, locked_until = NULL WHERE id = ?",
                    arguments: [error, retryAt, id])
            } else {
                try db.execute(
                    sql: "UPDATE jobs SET state = 'failed', error = ?, locked_until = NULL, finished_at = ? WHERE id = ?",
                    arguments: [error, Timestamp.string(Date(timeIntervalSince1970: now)), id])
            }
        }
    }

    public func find(_ id: String) async throws -> JobRecord? {
        try await database.writer.read { db in try JobRecord.fetchOne(db, key: id) }
    }
}
