import Foundation
import GRDB
import Vial
import VialApp

/// A note as stored and as the API shows it.
public struct Note: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "notes"

    public var id: Int64?
    public var ownerId: Int64
    public var title: String
    public var body: String
    public var words: Int?
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, title, body, words
        case ownerId = "owner_id"
        case createdAt = "created_at"
    }

    /// `words` is written as `null` until the job has counted them (the API shows every field).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(ownerId, forKey: .ownerId)
        try container.encode(title, forKey: .title)
        try container.encode(body, forKey: .body)
        try container.encode(words, forKey: .words)
        try container.encode(createdAt, forKey: .createdAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The notes table, through GRDB's async API (off the event loops), parameterised SQL only.
struct NoteStore: Sendable {
    let database: AppDatabase

    func create(_ note: Note) async throws -> Note {
        try await database.writer.write { db in
            var note = note
            try note.insert(db)
            return note
        }
    }

    func find(id: Int64) async throws -> Note? {
        try await database.writer.read { db in try Note.fetchOne(db, key: id) }
    }

    func list(owner: Int64) async throws -> [Note] {
        try await database.writer.read { db in
            try Note.filter(Column("owner_id") == owner).order(Column("id").desc).fetchAll(db)
        }
    }

    func count(owner: Int64) async throws -> Int {
        try await database.writer.read { db in try Note.filter(Column("owner_id") == owner).fetchCount(db) }
    }

    func delete(id: Int64) async throws {
        _ = try await database.writer.write { db in try Note.deleteOne(db, key: id) }
    }

    /// Counts the note's words and stores the count; nil when the note is gone.
    func countWords(id: Int64) async throws -> Int? {
        try await database.writer.write { db in
            guard var note = try Note.fetchOne(db, key: id) else { return nil }
            note.words = (note.title + " " + note.body).split(whereSeparator: \.isWhitespace).count
            try note.update(db)
            return note.words
        }
    }
}
