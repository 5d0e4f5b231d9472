import Testing
import VialApp
import VialTesting

/// Issue 16, item 3: text with U+0000 was stored cut at the NUL on SQLite (and a login as
/// `admin\u{0}x` found `admin`), and was a 500 on PostgreSQL. Neither engine sees it now.
@Suite struct DatabaseTextTests {
    @Test(arguments: Engine.available) func textWithNULIsRefusedBeforeEitherEngine(engine: Engine) async throws {
        let database = try await engine.emptyDatabase()
        try await database.transaction([.script("CREATE TABLE notes (body TEXT NOT NULL)")])
        await #expect(throws: UnstorableText.self) { try await database.write("INSERT INTO notes (body) VALUES (?)", [.text("visible\u{0}hidden")]) }
        await #expect(throws: UnstorableText.self) { try await database.read("SELECT body FROM notes WHERE body = ?", [.text("admin\u{0}x")]) }
        await #expect(throws: UnstorableText.self) {
            try await database.transaction([.execute("INSERT INTO notes (body) VALUES (?)", [.text("\u{0}")])])
        }
        #expect(try await database.read("SELECT body FROM notes").isEmpty)
        try await database.write("INSERT INTO notes (body) VALUES (?)", [.text("visible hidden ✓")])
        #expect(try await database.read("SELECT body FROM notes").first?.string("body") == "visible hidden ✓")
    }
}
