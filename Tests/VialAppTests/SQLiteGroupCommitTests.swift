import Foundation
import GRDB
import Synchronization
import Testing
@testable import VialApp

/// Issue 21, point 3: 64 concurrent creates on SQLite each waited for a commit (an fsync of
/// the WAL) of their own. Concurrent writers now share commits, and each still succeeds or
/// fails alone.
@Suite struct SQLiteGroupCommitTests {
    /// Counts the commits SQLite makes on the database's writer connection.
    final class CommitCounter: TransactionObserver, Sendable {
        let commits = Mutex(0)
        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { false }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { commits.withLock { $0 += 1 } }
        func databaseDidRollback(_ db: Database) {}
    }

    /// A file database (WAL, as `serve` uses) with a table whose `name` is unique, and the counter.
    func database() throws -> (AppDatabase, CommitCounter, path: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vial-group-commit-\(UUID().uuidString)")
        let path = folder.appendingPathComponent("t.db").path
        let database = try AppDatabase(DatabaseLocation(url: "sqlite:///\(path)"))
        try database.transactionSynchronously([.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")])
        let counter = CommitCounter()
        database.sqliteWriter!.writeWithoutTransaction { db in db.add(transactionObserver: counter, extent: .databaseLifetime) }
        return (database, counter, path)
    }

    func removeFolder(of path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    @Test func concurrentWritesShareCommitsAndAllAreKept() async throws {
        let (database, counter, path) = try database()
        defer { removeFolder(of: path) }
        let writes = 200
        let ids = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for index in 0..<writes {
                group.addTask {
                    try await database.write("INSERT INTO items (name) VALUES (?) RETURNING id", [.text("item \(index)")])
                        .first?.int64("id")
                }
            }
            return try await group.reduce(into: [Int64?]()) { $0.append($1) }
        }
        #expect(Set(ids.compactMap { $0 }).count == writes)  // each got its own row back
        #expect(counter.commits.withLock { $0 } < writes)
        // What was acknowledged is on disk: another connection reads every row.
        let other = try AppDatabase(DatabaseLocation(url: "sqlite:///\(path)"))
        #expect(try await other.read("SELECT COUNT(*) AS n FROM items").first?.int64("n") == Int64(writes))
    }

    @Test func aFailingWriteInASharedCommitLeavesTheOthers() async throws {
        let (database, counter, path) = try database()
        defer { removeFolder(of: path) }
        // 100 distinct names and 20 writes of one name: exactly one of those 20 is kept.
        let results = await withTaskGroup(of: (Int, Result<Void, any Error>).self) { group in
            for index in 0..<120 {
                group.addTask {
                    let name = index < 100 ? "item \(index)" : "twin"
                    do {
                        try await database.write("INSERT INTO items (name) VALUES (?)", [.text(name)])
                        return (index, .success(()))
                    } catch { return (index, .failure(error)) }
                }
            }
            return await group.reduce(into: [(Int, Result<Void, any Error>)]()) { $0.append($1) }
        }
        let failures = results.compactMap { index, result -> (Int, any Error)? in
            if case .failure(let error) = result { return (index, error) } else { return nil }
        }
        #expect(failures.count == 19)
        #expect(failures.allSatisfy { $0.0 >= 100 && $0.1 as? SQLError == .uniqueViolation(constraint: "items.name") })
        #expect(try await database.read("SELECT COUNT(*) AS n FROM items").first?.int64("n") == 101)
        #expect(counter.commits.withLock { $0 } < 101)
    }

    @Test func aTransactionWhoseExpectationFailsRollsBackOnlyItsOwnSteps() async throws {
        let (database, counter, path) = try database()
        defer { removeFolder(of: path) }
        // Odd transactions expect a row that is not there: their two inserts are undone; even
        // ones expect nothing there and keep theirs.
        let kept = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<60 {
                group.addTask {
                    let kept = try await database.transaction([
                        .execute("INSERT INTO items (name) VALUES (?)", [.text("a\(index)")]),
                        .expect("SELECT name FROM items WHERE name = 'missing'", [], equals: index % 2 == 0 ? nil : .text("missing")),
                        .execute("INSERT INTO items (name) VALUES (?)", [.text("b\(index)")]),
                    ])
                    return (index, kept)
                }
            }
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(kept.count == 60)
        #expect(kept.allSatisfy { $0.value == ($0.key % 2 == 0) })
        let names = Set(try await database.read("SELECT name FROM items").compactMap { $0.string("name") })
        #expect(names == Set((0..<60).filter { $0 % 2 == 0 }.flatMap { ["a\($0)", "b\($0)"] }))
        #expect(counter.commits.withLock { $0 } < 30)
    }
}
