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
    public var dueDate: CalendarDate?
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
        id: Int64? = nil, title: String, description: String? = nil, status: Status = .pending, dueDate: CalendarDate? = nil,
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
            description: row.string("description"), status: status,
            dueDate: try row.string("due_date").map(Self.calendarDate),
            ownerId: try row.required("owner_id", SQLRow.int64), createdAt: try row.required("created_at", SQLRow.string),
            updatedAt: try row.required("updated_at", SQLRow.string))
    }

    /// A stored due date; one that is not a date is an error, never dropped on the next save.
    static func calendarDate(_ text: String) throws -> CalendarDate {
        guard let date = CalendarDate(text) else { throw SQLError.failed(message: "Column due_date holds a value that is not a date") }
        return date
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

/// A task is also the type the API answers with: its `Task` component is learned from it.
extension TaskItem: Model {
    public static var modelName: String { "Task" }
    // `encode(to:)` writes every field, nulls included: each is documented as always present.
    public static let rules: [String: FieldRules] = [
        "id": FieldRules(required: true, nullable: false),
        "title": FieldRules(.length(1...150), example: "Write the release notes"),
        "description": FieldRules(required: true),
        "due_date": FieldRules(required: true, example: "2026-12-01"),
    ]
}

/// A page of tasks is most of what the API writes: each task writes its JSON straight into the
/// answer (the same text as `encode(to:)`; TaskItemJSONTests compares them).
extension TaskItem: JSONWritable {
    public func writeJSON(_ object: inout JSONObjectWriter) throws {
        object.member("created_at", createdAt)
        object.member("description", description)
        object.member("due_date", dueDate?.description)
        object.member("id", id)
        object.member("owner_id", ownerId)
        object.member("status", status.rawValue)
        object.member("title", title)
        object.member("updated_at", updatedAt)
    }
}
