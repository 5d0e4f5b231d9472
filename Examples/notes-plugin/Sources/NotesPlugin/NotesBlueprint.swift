import Foundation
import Vial
import VialBlueprints
import VialMiddleware

/// `notes`: list, create, get and delete the caller's notes. Every route needs an access token
/// (auth's JWT) and is limited per user; a note belongs to its author alone.
enum NotesBlueprint {
    static let input = NoteInput.schema

    static func make(
        store: NoteStore, jobs: JobQueue, maxPerUser: Int, clock: any WallClock
    ) -> Blueprint {
        let notes = Blueprint("notes")
        notes.use(jwtRequired())
        notes.use(limit("60 per minute", key: .user))

        notes.get(
            "/", name: "list_notes",
            docs: RouteDocs(summary: "List my notes", tags: ["notes"], responses: [200: .returned("My notes, newest first")])
        ) { req -> Page<Note> in
            let items = try await store.list(owner: try req.currentUser().id)
            return Page(items, meta: PageMeta(page: 1, perPage: max(items.count, 1), total: items.count))
        }

        notes.post(
            "/", name: "create_note",
            docs: RouteDocs(
                summary: "Create a note", tags: ["notes"], request: input,
                responses: [201: .returned("The note; Location is its URL"), 409: .error("NOTES_MAX_PER_USER reached"), 422: .error("Invalid fields")])
        ) { req -> Created<Note> in
            let input = try req.decode(NoteInput.self)
            let user = try req.currentUser()
            guard try await store.count(owner: user.id) < maxPerUser else {
                throw HTTPError.conflict("You have \(maxPerUser) notes, the most allowed", code: "too_many_notes")
            }
            let created = try await store.create(
                Note(ownerId: user.id, title: input.title, body: input.body, createdAt: Timestamp.string(clock.date)))
            try await jobs.enqueue(NotesPlugin.countWords, payload: ["note_id": .int(Int(created.id!))], owner: String(user.id))
            return Created(created, location: try req.urlFor(".get_note", ["note_id": created.id!], external: true))
        }

        notes.get(
            "/<int:note_id>", name: "get_note",
            docs: RouteDocs(summary: "Get one of my notes", tags: ["notes"], responses: [200: .returned("The note"), 404: .error("No such note of yours")])
        ) { req -> Envelope<Note> in
            Envelope(try await owned(req, store))
        }

        notes.delete(
            "/<int:note_id>", name: "delete_note",
            docs: RouteDocs(summary: "Delete one of my notes", tags: ["notes"], responses: [204: .empty("Deleted"), 404: .error("No such note of yours")])
        ) { req in
            try await store.delete(id: try await owned(req, store).id!)
            return .noContent
        }
        return notes
    }

    /// The body of a new note: the type is its validation and its OpenAPI schema.
    struct NoteInput: Model {
        var title: String
        var body: String

        static let rules: [String: FieldRules] = [
            "title": FieldRules(.length(1...200), trim: true, example: "Groceries"),
            "body": FieldRules(.length(0...10_000), example: "eggs, milk", default: ""),
        ]
    }

    /// The note named by the path if the caller wrote it; anyone else's is a 404 (not even its existence leaks).
    static func owned(_ req: Request, _ store: NoteStore) async throws -> Note {
        let id: Int = try req.param("note_id")
        guard let note = try await store.find(id: Int64(id)), note.ownerId == (try req.currentUser().id) else {
            throw HTTPError.notFound("Note with ID \(id) not found")
        }
        return note
    }
}
