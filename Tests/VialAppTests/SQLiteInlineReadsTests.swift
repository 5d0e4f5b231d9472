import Foundation
import GRDB
import NIOCore
import NIOPosix
import Testing
@testable import VialApp

/// Decision 008: a SQLite file's reads run on the thread that asks — a request's event loop —
/// unless `SQLITE_INLINE_READS=false` sends them to GRDB's reader queues; the in-memory
/// connection always uses its queue.
@Suite struct SQLiteInlineReadsTests {
    /// Runs a task's jobs on one event loop, as the server runs a request's.
    final class LoopExecutor: TaskExecutor {
        let loop: any EventLoop
        init(_ loop: any EventLoop) { self.loop = loop }
        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            let executor = asUnownedTaskExecutor()
            loop.execute { job.runSynchronously(on: executor) }
        }
    }

    /// Whether a read asked for on an event loop ran on that loop, and the rows it read.
    func readOnLoop(_ location: DatabaseLocation, inline: Bool) async throws -> (onLoop: Bool, rows: [SQLRow]) {
        let database = try AppDatabase(location, sqliteInlineReads: inline)
        let engine = try #require(database.engine as? SQLiteEngine)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        return try await withTaskExecutorPreference(LoopExecutor(loop)) {
            let onLoop = try await engine.withReader { _ in loop.inEventLoop }
            return (onLoop, try await database.read("SELECT 1 + 1 AS two"))
        }
    }

    func fileLocation() throws -> (DatabaseLocation, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vial-inline-\(UUID().uuidString)")
        return (try DatabaseLocation(url: "sqlite:///\(folder.path)/app.db"), folder)
    }

    @Test func aFileDatabaseReadsOnTheAskingThread() async throws {
        let (location, folder) = try fileLocation()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (onLoop, rows) = try await readOnLoop(location, inline: true)
        #expect(onLoop)
        #expect(rows.first?.int64("two") == 2)
    }

    @Test func anInlineReadCannotWrite() async throws {
        // Inline reads run without GRDB's read-only transaction: the reader connection itself
        // must refuse a write.
        let (location, folder) = try fileLocation()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try AppDatabase(location)
        try await database.write("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        await #expect(throws: (any Error).self) { try await database.read("INSERT INTO notes (body) VALUES ('x') RETURNING id") }
        #expect(try await database.read("SELECT COUNT(*) AS n FROM notes").first?.int64("n") == 0)
    }

    @Test func readsBindEveryKindOfValueAndReportErrors() async throws {
        let (location, folder) = try fileLocation()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try AppDatabase(location)
        let row = try #require(
            try await database.read(
                "SELECT ? AS i, ? AS r, ? AS t, ? AS n", [.integer(Int64.min), .real(2.5), .text("é 🚀 'x'"), .null]
            ).first)
        #expect(row.values == [.integer(Int64.min), .real(2.5), .text("é 🚀 'x'"), .null])
        // Too few or too many arguments, a syntax error, an error while stepping: each throws,
        // and the connection reads again afterwards (the statement was reset).
        await #expect(throws: (any Error).self) { try await database.read("SELECT ? AS a", []) }
        await #expect(throws: (any Error).self) { try await database.read("SELECT 1 AS a", [.integer(1)]) }
        await #expect(throws: (any Error).self) { try await database.read("SELEKT 1", []) }
        for _ in 0..<3 {
            await #expect(throws: (any Error).self) { try await database.read("SELECT abs(?) AS a", [.integer(Int64.min)]) }
            #expect(try await database.read("SELECT abs(?) AS a", [.integer(-3)]).first?.int64("a") == 3)
        }
    }

    @Test func turnedOffReadsGoToGRDBsQueue() async throws {
        let (location, folder) = try fileLocation()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (onLoop, rows) = try await readOnLoop(location, inline: false)
        #expect(!onLoop)
        #expect(rows.first?.int64("two") == 2)
    }

    @Test func theInMemoryConnectionKeepsItsQueue() async throws {
        // Its one connection also writes: a read there could wait for a write.
        let (onLoop, _) = try await readOnLoop(.memory, inline: true)
        #expect(!onLoop)
    }

    @Test func theSettingIsReadFromTheEnvironment() throws {
        #expect(try CoreSettings.load(AppConfig.load(from: ["SQLITE_INLINE_READS": "false"])).sqliteInlineReads == false)
        #expect(try CoreSettings.load(AppConfig.load(from: [:])).sqliteInlineReads == true)
        #expect(throws: ConfigError.self) { try CoreSettings.load(AppConfig.load(from: ["SQLITE_INLINE_READS": "sometimes"])) }
    }
}
