import Testing
@testable import VialApp
@testable import VialBlueprints

/// The task store's page and total, on every engine the tests have.
@Suite struct TaskStoreTests {
    @Test(arguments: Engine.available) func aPageCarriesTheTotalOfTheFilteredRows(engine: Engine) async throws {
        let database = try await engine.migratedDatabase()
        let owner = try await SQLUserStore(database).create(
            User(username: "u", email: "u@example.com", passwordHash: "x", role: .user, createdAt: "2026-01-01T00:00:00Z"))
        let tasks = SQLTaskStore(database)
        for index in 1...5 {
            _ = try await tasks.create(
                TaskItem(
                    title: "t\(index)", status: index <= 2 ? .completed : .pending, ownerId: owner.id!,
                    createdAt: "2026-01-0\(index)T00:00:00Z", updatedAt: "2026-01-0\(index)T00:00:00Z"))
        }
        let page = try await tasks.list(owner: owner.id, status: nil, page: 2, perPage: 2)
        #expect(page.items.map(\.title) == ["t3", "t2"])  // newest first
        #expect(page.total == 5)
        #expect(try await tasks.list(owner: owner.id, status: .completed, page: 1, perPage: 10).total == 2)
        // Past the end there is no row to carry the total: it is still known.
        let past = try await tasks.list(owner: owner.id, status: nil, page: 4, perPage: 2)
        #expect(past.items.isEmpty)
        #expect(past.total == 5)
        #expect(try await tasks.list(owner: owner.id! + 1, status: nil, page: 1, perPage: 2).total == 0)
    }
}
