import Vial
import VialApp

/// Attachment metadata in the `task_attachments` table (SQLite or PostgreSQL).
public struct AttachmentStore: Sendable {
    let database: AppDatabase

    public init(_ database: AppDatabase) { self.database = database }

    /// Inserts `attachment` unless it would take its owner past `quota` bytes (checked in the same
    /// statement, so two uploads at once cannot both slip under it); nil when over.
    public func create(_ attachment: Attachment, quota: Int64) async throws -> Attachment? {
        let rows = try await database.write(
            """
            INSERT INTO task_attachments (task_id, owner_id, filename, content_type, size, sha256, created_at)
            SELECT ?, ?, ?, ?, ?, ?, ?
            WHERE (SELECT COALESCE(SUM(size), 0) FROM task_attachments WHERE owner_id = ?) + ? <= ?
            RETURNING id
            """,
            [
                .integer(attachment.taskId), .integer(attachment.ownerId), .text(attachment.filename),
                .text(attachment.contentType), .integer(attachment.size), .text(attachment.sha256), .text(attachment.createdAt),
                .integer(attachment.ownerId), .integer(attachment.size), .integer(quota),
            ])
        guard let id = rows.first?.int64("id") else { return nil }
        var attachment = attachment
        attachment.id = id
        return attachment
    }

    /// The task's attachments, oldest first.
    public func list(task: Int64) async throws -> [Attachment] {
        try await database.read("SELECT * FROM task_attachments WHERE task_id = ? ORDER BY id", [.integer(task)])
            .map(Attachment.init(row:))
    }

    public func find(id: Int64, task: Int64) async throws -> Attachment? {
        try await database.read("SELECT * FROM task_attachments WHERE id = ? AND task_id = ?", [.integer(id), .integer(task)])
            .first.map(Attachment.init(row:))
    }

    /// Deletes the row; false when it was already gone.
    public func delete(id: Int64) async throws -> Bool {
        try await !database.write("DELETE FROM task_attachments WHERE id = ? RETURNING id", [.integer(id)]).isEmpty
    }

    /// Bytes of attachments counted against `owner`.
    public func usedBytes(owner: Int64) async throws -> Int64 {
        try await database.read(
            "SELECT COALESCE(SUM(size), 0) AS n FROM task_attachments WHERE owner_id = ?", [.integer(owner)]
        ).first?.int64("n") ?? 0
    }

    /// Whether any attachment has content `sha256`.
    public func isReferenced(_ sha256: String) async throws -> Bool {
        try await !database.read("SELECT 1 AS x FROM task_attachments WHERE sha256 = ? LIMIT 1", [.text(sha256)]).isEmpty
    }

    /// Every content hash in use.
    public func allHashes() async throws -> Set<String> {
        Set(try await database.read("SELECT DISTINCT sha256 FROM task_attachments").compactMap { $0.string("sha256") })
    }
}
