import VialApp

/// A task (called `TaskItem` so it never shadows Swift's `Task`).
public struct TaskItem: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case pending, completed
    }

    public var id: Int64?
    public var title: String
    public var description: String?
    public var status: Status
    /// `YYYY-MM-DD` or nil.
    public var dueDate: String?
    public var ownerId: Int64
    public var createdAt: String
    public var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, title, description, status
        case dueDate = "due_date"
        case ownerId = "owner_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(
        id: Int64? = nil, title: String, description: String? = nil, status: Status = .pending, dueDate: String? = nil,
        ownerId: Int64, createdAt: String, updatedAt: String
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.status = status
        self.dueDate = dueDate
        self.ownerId = ownerId
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// A row of the `tasks` table.
    public init(row: SQLRow) throws {
        guard let status = Status(rawValue: try row.required("status", SQLRow.string)) else {
            throw SQLError.missingValue(column: "status")
        }
        self.init(
            id: try row.required("id", SQLRow.int64), title: try row.required("title", SQLRow.string),
            description: row.string("description"), status: status, dueDate: row.string("due_date"),
            ownerId: try row.required("owner_id", SQLRow.int64), createdAt: try row.required("created_at", SQLRow.string),
            updatedAt: try row.required("updated_at", SQLRow.string))
    }

    // Encode nulls explicitly: the API shows `"description": null`, not a missing key.
    public func encode(to encoder: any Encoder) throws {
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
