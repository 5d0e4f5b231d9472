import Foundation
import Vial
import VialApp

extension JobRecord {
    /// A row of the `jobs` table.
    init(row: SQLRow) throws {
        guard let state = State(rawValue: try row.required("state", SQLRow.string)) else {
            throw SQLError.missingValue(column: "state")
        }
        self.init(
            name: try row.required("name", SQLRow.string), payload: .null, maxAttempts: 1, now: 0)
        id = try row.required("id", SQLRow.string)
        payload = try row.required("payload", SQLRow.string)
        owner = row.string("owner")
        self.state = state
        attempts = try row.required("attempts", SQLRow.int)
        maxAttempts = try row.required("max_attempts", SQLRow.int)
        runAt = try row.required("run_at", SQLRow.double)
        lockedUntil = row.double("locked_until")
        result = row.string("result")
        error = row.string("error")
        createdAt = try row.required("created_at", SQLRow.string)
        finishedAt = row.string("finished_at")
        expiresAt = row.double("expires_at")
    }
}

/// The durable queue: jobs live in the app's database (the jobs plugin's `jobs` table, SQLite
/// or PostgreSQL), so an enqueued job survives a crash or restart and runs at least once.
/// Claiming is one statement: on SQLite, writers are serialised; on PostgreSQL the chosen row
/// is locked `FOR UPDATE SKIP LOCKED`, so workers on several instances take different jobs
/// without waiting for each other. A worker that dies mid-job loses it when its visibility
/// timeout passes and another worker takes it over.
public struct SQLJobStore: JobStore {
    let database: AppDatabase
    private let claimSQL: String

    public init(_ database: AppDatabase) {
        self.database = database
        claimSQL = """
            UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = ?
            WHERE id = (
                SELECT id FROM jobs
                WHERE (state IN ('queued', 'retrying') AND run_at <= ?) OR (state = 'running' AND locked_until < ?)
                ORDER BY run_at, created_at LIMIT 1\(database.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""))
            RETURNING *
            """
    }

    public func insert(_ job: JobRecord) async throws {
        try await database.write(
            """
            INSERT INTO jobs (id, name, payload, owner, state, attempts, max_attempts, run_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(job.id), .text(job.name), .text(job.payload), SQLValue(job.owner), .text(job.state.rawValue),
                .integer(Int64(job.attempts)), .integer(Int64(job.maxAttempts)), .real(job.runAt), .text(job.createdAt),
            ])
    }

    public func claim(now: Double, visibility: Double) async throws -> JobRecord? {
        try await database.write(claimSQL, [.real(now + visibility), .real(now), .real(now)]).first.map(JobRecord.init(row:))
    }

    public func succeed(_ job: JobRecord, result: JSON, now: Double, expiresAt: Double) async throws -> Bool {
        try await change(
            job, "state = 'succeeded', result = ?, error = NULL, locked_until = NULL, finished_at = ?, expires_at = ?",
            [.text(result.serialized), .text(Self.stamp(now)), .real(expiresAt)])
    }

    public func fail(_ job: JobRecord, error: String, retryAt: Double?, now: Double, expiresAt: Double) async throws -> Bool {
        if let retryAt {
            return try await change(job, "state = 'retrying', error = ?, run_at = ?, locked_until = NULL", [.text(error), .real(retryAt)])
        }
        return try await change(
            job, "state = 'failed', error = ?, locked_until = NULL, finished_at = ?, expires_at = ?",
            [.text(error), .text(Self.stamp(now)), .real(expiresAt)])
    }

    public func extend(_ job: JobRecord, lockedUntil: Double) async throws -> Bool {
        try await change(job, "locked_until = ?", [.real(lockedUntil)])
    }

    public func release(_ job: JobRecord, now: Double) async throws -> Bool {
        try await change(
            job,
            "attempts = attempts - 1, state = CASE WHEN attempts = 1 THEN 'queued' ELSE 'retrying' END, run_at = ?, locked_until = NULL",
            [.real(now)])
    }

    public func find(_ id: String, now: Double) async throws -> JobRecord? {
        try await database.read(
            "SELECT * FROM jobs WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)", [.text(id), .real(now)]
        ).first.map(JobRecord.init(row:))
    }

    public func purgeExpired(now: Double) async throws -> Int {
        try await database.write("DELETE FROM jobs WHERE expires_at <= ? RETURNING id", [.real(now)]).count
    }

    /// Applies `assignments` only while the job is running at the attempt it was claimed with.
    private func change(_ job: JobRecord, _ assignments: String, _ arguments: [SQLValue]) async throws -> Bool {
        try await database.write(
            "UPDATE jobs SET \(assignments) WHERE id = ? AND state = 'running' AND attempts = ? RETURNING id",
            arguments + [.text(job.id), .integer(Int64(job.attempts))]
        ).count == 1
    }

    private static func stamp(_ seconds: Double) -> String { Timestamp.string(Date(timeIntervalSince1970: seconds)) }
}
