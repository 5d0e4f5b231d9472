import ArgumentParser
import Foundation
import Vial
import VialApp
import VialBlueprints
import VialMiddleware

/// The `notes` plugin: a user's private notes at `/api/notes`, in its own `notes` table.
///
/// - Depends on `auth` (the owner is the token's user) and `jobs` (each new note is counted by
///   the `count_note_words` job).
/// - Setting: `NOTES_MAX_PER_USER` (default 100): creating one more answers 409.
/// - Command: `notes-stats` prints how many notes each user has.
public struct NotesPlugin: Plugin {
    /// The job that fills a note's `words` after it is created.
    public static let countWords = "count_note_words"

    public var urlPrefix: String

    public init(urlPrefix: String = "/api/notes") { self.urlPrefix = urlPrefix }

    public var name: String { "notes" }
    public var dependencies: [String] { ["auth", "jobs"] }
    public var tags: [String: String] { ["notes": "Private notes of the authenticated user"] }
    public var commands: [any ParsableCommand.Type] { [NotesStats.self] }

    public var migrations: [Revision] {
        [
            Revision(
                "0001", "create notes",
                // The column types that differ between SQLite and PostgreSQL come from `sql`.
                up: SQLScript { sql in
                    """
                    CREATE TABLE notes (
                        id \(sql.autoIncrementID),
                        owner_id \(sql.bigint) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        title TEXT NOT NULL,
                        body TEXT NOT NULL DEFAULT '',
                        created_at TEXT NOT NULL
                    );
                    CREATE INDEX notes_owner ON notes(owner_id, id);
                    """
                },
                down: "DROP TABLE notes"),
            Revision(
                "0002", "add notes.words", up: "ALTER TABLE notes ADD COLUMN words INTEGER",
                down: "ALTER TABLE notes DROP COLUMN words"),
        ]
    }

    public func setUp(_ context: PluginContext) throws {
        let maxPerUser = try context.settings.integer("NOTES_MAX_PER_USER", default: 100, in: 1...100_000)
        let jobs = try context.require(JobsPlugin.Queue.self)
        let store = NoteStore(database: context.database)
        jobs.register(Self.countWords, maxRetries: 2, backoff: 5, timeout: 10) { payload in
            guard let id = payload["note_id"]?.intValue else { return ["status": "skipped", "reason": "no note_id"] }
            let words = try await store.countWords(id: Int64(id))
            return ["note_id": .int(id), "words": words.map(JSON.int) ?? .null]
        }
        context.app.register(
            NotesBlueprint.make(store: store, jobs: jobs, maxPerUser: maxPerUser, clock: context.clock), urlPrefix: urlPrefix)
    }
}

/// `notes-stats`: notes per user, from the configured database.
struct NotesStats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notes-stats", abstract: "Show how many notes each user has.")
    @OptionGroup var environment: EnvironmentOptions

    func run() async throws {
        let database = try environment.openDatabase()
        let rows = try await database.read(
            "SELECT users.username AS name, COUNT(notes.id) AS count FROM users LEFT JOIN notes ON notes.owner_id = users.id GROUP BY users.id, users.username ORDER BY users.username")
        for row in rows { print("\(row.string("name") ?? "?"): \(row.int("count") ?? 0)") }
    }
}
