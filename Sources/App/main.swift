import VialApp
import VialBlueprints

// `App`: the bundled task API is VialApp's command line with the bundled plugins — the same
// few lines any package writes for its own app.
await Bundled.application.main()
