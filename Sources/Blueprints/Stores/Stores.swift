/// Users, behind a protocol so the blueprints work on any store (`SQLUserStore`: SQLite or PostgreSQL).
public protocol UserStore: Sendable {
    /// Inserts `user`; throws `StoreError.conflict` naming the taken field.
    func create(_ user: User) async throws -> User
    func find(id: Int64) async throws -> User?
    func find(username: String) async throws -> User?
    func count() async throws -> Int
}

/// Tasks, behind a protocol for the same reason.
public protocol TaskStore: Sendable {
    func create(_ task: TaskItem) async throws -> TaskItem
    func find(id: Int64) async throws -> TaskItem?
    /// Newest first; `owner` nil lists everyone's (admins).
    func list(owner: Int64?, status: TaskItem.Status?, page: Int, perPage: Int) async throws -> (items: [TaskItem], total: Int)
    func update(_ task: TaskItem) async throws -> TaskItem
    func delete(id: Int64) async throws -> Bool
}

/// Store failures the blueprints turn into HTTP answers.
public enum StoreError: Error, Equatable {
    /// A unique field is taken (`username`, `email`).
    case conflict(field: String)
    /// The record was deleted meanwhile.
    case notFound
}
