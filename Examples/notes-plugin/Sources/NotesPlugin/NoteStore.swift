import Foundation
import Vial
import VialApp

/// A note as stored and as the API shows it (its OpenAPI schema is learned from the type).
public struct Note: Codable, Sendable, Equatable, Model {
    public var id: Int64?
    public var ownerId: Int64
    public var title: String
    public var body: String
    public var words: Int?
    public var createdAt: String

    public static let rules: [String: FieldRules] = [
        // Sent by the server, every time: `encode(to:)` writes them all, `null` included.
        "id": FieldRules(readOnly: true, required: true, nullable: false), "owner_id": FieldRules(readOnly: true),
        "created_at": FieldRules(readOnly: true),
        "words": FieldRules(readOnly: true, required: true, description: "Filled in by the count_note_words job"),
    ]

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

    public init(id: Int64? = nil, ownerId: Int64, title: String, body: String, words: Int? = nil, createdAt: String) {
        self.id = id
        self.ownerId = ownerId
        self.title = title
        self.body = body
        self.words = words
        self.createdAt = createdAt
    }

    /// A row of the `notes` table.
    init(row: SQLRow) throws {
        self.init(
            id: try row.required("id", SQLRow.int64), ownerId: try row.required("owner_id", SQLRow.int64),
            title: try row.required("title", SQLRow.string), body: try row.required("body", SQLRow.string),
            words: row.int("words"), createdAt: try row.required("created_at", SQLRow.string))
    }
}

/// The notes table through `AppDatabase`'s SQL API, so the plugin runs on SQLite and
/// PostgreSQL alike (off the event loops, parameterised SQL only).
struct NoteStore: Sendable {
    let database: AppDatabase

    func create(_ note: Note) async throws -> Note {
        let rows = try await database.write(
            "INSERT INTO notes (owner_id, title, body, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            [.integer(note.ownerId), .text(note.title), .text(note.body), .text(note.createdAt)])
        var note = note
        note.id = rows.first?.int64("id")
        return note
    }

    func find(id: Int64) async throws -> Note? {
        try await database.read("SELECT * FROM notes WHERE id = ?", [.integer(id)]).first.map(Note.init(row:))
    }

    func list(owner: Int64) async throws -> [Note] {
        try await database.read("SELECT * FROM notes WHERE owner_id = ? ORDER BY id DESC", [.integer(owner)]).map(Note.init(row:))
    }

    func count(owner: Int64) async throws -> Int {
        try await database.read("SELECT COUNT(*) AS n FROM notes WHERE owner_id = ?", [.integer(owner)]).first?.int("n") ?? 0
    }

    func delete(id: Int64) async throws {
        try await database.write("DELETE FROM notes WHERE id = ?", [.integer(id)])
    }

    /// Counts the note's words and stores the count; nil when the note is gone.
    func countWords(id: Int64) async throws -> Int? {
        guard let note = try await find(id: id) else { return nil }
        let words = (note.title + " " + note.body).split(whereSeparator: \.isWhitespace).count
        // Only if the note is still there (and unchanged: notes are never edited).
        let updated = try await database.write("UPDATE notes SET words = ? WHERE id = ? RETURNING id", [.integer(Int64(words)), .integer(id)])
        return updated.isEmpty ? nil : words
    }
}
