import Foundation
import GRDB
import Vial
import VialApp

extension JobRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "jobs"
}

/// The durable queue: jobs live in the app's SQLite database (the jobs plugin's `jobs` table), so an enqueued
/// job survives a crash or restart and runs at least once. Claiming is one write transaction
/// (SQLite serialises writers), so two workers never hold the same job; a worker that dies
/// mid-job loses it when its visibility timeout passes and another worker takes it over.
public struct SQLiteJobStore: JobStore {
    let database: AppDatabase

    public init(_ database: AppDatabase) { self.database = database }

    // Plain SQL in cached statements: enqueuing sits on the request path (task creation), and
    // Codable record encoding cost more than the insert itself (Benchmarks/JobBench).
    public func insert(_ job: JobRecord) async throws {
        try await database.writer.write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO jobs (id, name, payload, owner, state, attempts, max_attempts, run_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                job.id, job.name, job.payload, job.owner, job.state.rawValue, job.attempts, job.maxAttempts, job.runAt,
                job.createdAt,
            ])
        }
    }

    public func claim(now: Double, visibility: Double) async throws -> JobRecord? {
        // One statement: pick the next due job and take it (RETURNING needs SQLite 3.35).
        try await database.writer.write { db in
            try JobRecord.fetchOne(
                db.cachedStatement(
                    sql: """
                        UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = ?
                        WHERE id = (
                            SELECT id FROM jobs
                            WHERE (state IN ('queued', 'retrying') AND run_at <= ?) OR (state = 'running' AND locked_until < ?)
                            ORDER BY run_at, created_at LIMIT 1)
                        RETURNING *
                        """),
                arguments: [now + visibility, now, now])
        }
    }

    public func succeed(_ job: JobRecord, result: JSON, now: Double, expiresAt: Double) async throws -> Bool {
        try await change(
            job, "state = 'succeeded', result = ?, error = NULL, locked_until = NULL, finished_at = ?, expires_at = ?",
            [result.serialized, Self.stamp(now), expiresAt])
    }

    public func fail(_ job: JobRecord, error: String, retryAt: Double?, now: Double, expiresAt: Double) async throws -> Bool {
        if let retryAt {
            return try await change(job, "state = 'retrying', error = ?, run_at = ?, locked_until = NULL", [error, retryAt])
        }
        return try await change(
            job, "state = 'failed', error = ?, locked_until = NULL, finished_at = ?, expires_at = ?",
            [error, Self.stamp(now), expiresAt])
    }

    public func extend(_ job: JobRecord, lockedUntil: Double) async throws -> Bool {
        try await change(job, "locked_until = ?", [lockedUntil])
    }

    public func release(_ job: JobRecord, now: Double) async throws -> Bool {
        try await change(
            job,
            "attempts = attempts - 1, state = CASE WHEN attempts = 1 THEN 'queued' ELSE 'retrying' END, run_at = ?, locked_until = NULL",
            [now])
    }

    public func find(_ id: String, now: Double) async throws -> JobRecord? {
        try await database.writer.read { db in
            try JobRecord.fetchOne(
                db, sql: "SELECT * FROM jobs WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)", arguments: [id, now])
        }
    }

    public func purgeExpired(now: Double) async throws -> Int {
        try await database.writer.write { db in
            try db.execute(sql: "DELETE FROM jobs WHERE expires_at <= ?", arguments: [now])
            return db.changesCount
        }
    }

    /// Applies `assignments` only while the job is running at the attempt it was claimed with.
    private func change(_ job: JobRecord, _ assignments: String, _ arguments: StatementArguments) async throws -> Bool {
        try await database.writer.write { db in
            try db.cachedStatement(sql: "UPDATE jobs SET \(assignments) WHERE id = ? AND state = 'running' AND attempts = ?")
                .execute(arguments: arguments + [job.id, job.attempts])
            return db.changesCount == 1
        }
    }

    private static func stamp(_ seconds: Double) -> String { Timestamp.string(Date(timeIntervalSince1970: seconds)) }
}
