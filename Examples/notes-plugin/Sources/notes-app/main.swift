import NotesPlugin
import VialApp
import VialBlueprints

// The whole app: the bundled plugins, ours next to them (order does not matter), and Vial's
// command line — serve, worker, routes, openapi, db …, init-db, create-user, and `notes-stats`.
let application = Application(
    "notes-app", title: "Notes API", version: "1.0.0", description: "Tasks and notes, on Vial plugins.",
    plugins: Bundled.plugins + [NotesPlugin()])
await application.main()
