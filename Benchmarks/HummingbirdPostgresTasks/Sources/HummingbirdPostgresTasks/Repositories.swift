import PostgresNIO

/// A row of the `users` table (Vial writes it; this server only reads).
struct User: Sendable {
    var id: Int64
    var role: String
    var isAdmin: Bool { role == "admin" }
}

/// A row of the `tasks` table; timestamps and `due_date` are ISO 8601 text, passed through.
struct TaskRecord: Codable, Sendable {
    var id: Int64
    var title: String
    var description: String?
    var status: String
    var dueDate: String?
    var ownerId: Int64
    var createdAt: String
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, title, description, status
        case dueDate = "due_date", ownerId = "owner_id", createdAt = "created_at", updatedAt = "updated_at"
    }

    /// The API writes `null` for absent optional fields (synthesized Encodable would omit them).
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(description, forKey: .description)
        try container.encode(status, forKey: .status)
        try container.encode(dueDate, forKey: .dueDate)
        try container.encode(ownerId, forKey: .ownerId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

struct UserRepository: Sendable {
    let client: PostgresClient

    func find(id: Int64) async throws -> User? {
        let rows = try await client.query("SELECT id, role FROM users WHERE id = \(id)")
        for try await (id, role) in rows.decode((Int64, String).self) {
            return User(id: id, role: role)
        }
        return nil
    }
}

/// The list's two statements, written with postgres-nio's interpolated (bound) queries.
struct TaskRepository: Sendable {
    let client: PostgresClient
    static let columns = "id, title, description, status, due_date, owner_id, created_at, updated_at"

    func page(owner: Int64?, status: String?, limit: Int, offset: Int) async throws -> (tasks: [TaskRecord], total: Int) {
        let filter: PostgresQuery
        switch (owner, status) {
        case let (owner?, status?): filter = "WHERE owner_id = \(owner) AND status = \(status)"
        case let (owner?, nil): filter = "WHERE owner_id = \(owner)"
        case let (nil, status?): filter = "WHERE status = \(status)"
        case (nil, nil): filter = ""
        }
        var total = 0
        let count = PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM tasks \(filter.sql)", binds: filter.binds)
        for try await (value,) in try await client.query(count).decode((Int,).self) {
            total = value
        }
        var tasks: [TaskRecord] = []
        // The filter's binds are $1…$n; the page's bounds are literals (Ints, checked by the caller).
        let page = PostgresQuery(
            unsafeSQL: """
                SELECT \(Self.columns) FROM tasks \(filter.sql)
                ORDER BY created_at DESC, id DESC LIMIT \(limit) OFFSET \(offset)
                """,
            binds: filter.binds)
        let rows = try await client.query(page)
        for try await (id, title, description, status, dueDate, ownerId, createdAt, updatedAt) in rows.decode(
            (Int64, String, String?, String, String?, Int64, String, String).self)
        {
            tasks.append(
                TaskRecord(
                    id: id, title: title, description: description, status: status, dueDate: dueDate, ownerId: ownerId,
                    createdAt: createdAt, updatedAt: updatedAt))
        }
        return (tasks, total)
    }
}
