// The README's "Use Vial in your own package" main.swift, verbatim: CI compiles it, so the
// README cannot drift from the API.
import VialApp
import VialBlueprints

struct NotesPlugin: Plugin {
    var name: String { "notes" }
    var dependencies: [String] { ["auth"] }
    var migrations: [Revision] {
        [Revision("0001", "create notes", up: "CREATE TABLE notes (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL REFERENCES users(id), title TEXT NOT NULL)", down: "DROP TABLE notes")]
    }
    func setUp(_ context: PluginContext) throws {
        let notes = Blueprint("notes")
        notes.use(jwtRequired())
        notes.get("/", name: "list_notes") { req in ["owner": .int(Int(try req.currentUser().id))] as JSON }
        context.app.register(notes, urlPrefix: "/api/notes")
    }
}

await Application("notes-app", plugins: Bundled.plugins + [NotesPlugin()]).main()
