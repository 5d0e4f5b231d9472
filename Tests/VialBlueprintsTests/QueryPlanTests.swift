import Testing
import VialApp
@testable import VialBlueprints

/// Issue 21: SQLite's plan for each statement the bundled API runs per request. A statement
/// that reads a whole table (`SCAN tasks` without an index) or sorts rows it read
/// (`USE TEMP B-TREE`) costs in proportion to the table, not to the answer.
@Suite struct QueryPlanTests {
    /// SQLite's `EXPLAIN QUERY PLAN` details for `sql`.
    func plan(_ database: AppDatabase, _ sql: String, _ arguments: [SQLValue]) async throws -> [String] {
        try await database.read("EXPLAIN QUERY PLAN " + sql, arguments).compactMap { $0.string("detail") }
    }

    /// Whether a plan step reads a table in full or sorts.
    func isCostly(_ step: String) -> Bool {
        step.contains("TEMP B-TREE") || (step.hasPrefix("SCAN ") && !step.contains(" INDEX "))
    }

    /// An admin's list filtered by status is left out: counting every task of a status reads
    /// the table (an index for that alone would cost every write; admins list rarely).
    static let listCases: [(owner: Int64?, status: TaskItem.Status?, page: Int)] = [
        (7, nil, 1), (7, .pending, 1), (7, nil, 3), (nil, nil, 1), (nil, nil, 2),
    ]

    @Test(arguments: 0..<listCases.count)
    func theTaskListReadsItsPageInIndexOrder(_ index: Int) async throws {
        let database = try await migratedDatabase()
        let listCase = Self.listCases[index]
        let query = SQLTaskStore.listQuery(owner: listCase.owner, status: listCase.status, page: listCase.page, perPage: 20)
        let page = try await plan(database, query.page.sql, query.page.arguments)
        #expect(!page.contains(where: isCostly), "\(page)")
        // The page's own rows come from the index in order; with an owner, found by the owner.
        #expect(page.first.map { $0.contains(listCase.owner == nil ? "USING INDEX tasks_page" : "USING INDEX tasks_owner_page") } == true, "\(page)")
        let count = try await plan(database, query.count.sql, query.count.arguments)
        #expect(!count.contains(where: isCostly), "\(count)")
    }

    @Test func theListCountsWithoutReadingTheTableWhenItFiltersByOwnerAlone() async throws {
        let database = try await migratedDatabase()
        let query = SQLTaskStore.listQuery(owner: 7, status: nil, page: 1, perPage: 20)
        let steps = try await plan(database, query.page.sql, query.page.arguments)
        #expect(steps.contains { $0.contains("COVERING INDEX tasks_owner_page") }, "\(steps)")
    }

    /// The other statements a request runs: the task, its attachments, the user, the login.
    @Test(arguments: [
        ("SELECT * FROM tasks WHERE id = ?", [SQLValue.integer(1)]),
        ("SELECT * FROM users WHERE id = ?", [.integer(1)]),
        ("SELECT * FROM users WHERE username = ?", [.text("user")]),
        ("SELECT * FROM task_attachments WHERE task_id = ? ORDER BY id", [.integer(1)]),
        ("SELECT * FROM task_attachments WHERE id = ? AND task_id = ?", [.integer(1), .integer(1)]),
        ("SELECT COALESCE(SUM(size), 0) AS n FROM task_attachments WHERE owner_id = ?", [.integer(1)]),
        ("SELECT jti, expires_at FROM token_blocklist WHERE expires_at >= ?", [.integer(1)]),
        ("DELETE FROM tasks WHERE id = ? RETURNING id", [.integer(1)]),
        ("SELECT * FROM jobs WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)", [.text("x"), .real(1)]),
    ])
    func aRequestsOtherStatementsUseAnIndex(_ sql: String, _ arguments: [SQLValue]) async throws {
        let database = try await migratedDatabase()
        let steps = try await plan(database, sql, arguments)
        #expect(!steps.contains(where: isCostly), "\(steps)")
    }
}
