import Fluent
import Vapor

/// The `users` table (written by Vial; read only here).
final class User: Model, Authenticatable, @unchecked Sendable {
    static let schema = "users"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "role") var role: String

    init() {}

    var isAdmin: Bool { role == "admin" }
}

/// The `tasks` table; timestamps and `due_date` are ISO 8601 text, passed through.
final class TaskItem: Model, @unchecked Sendable {
    static let schema = "tasks"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "title") var title: String
    @OptionalField(key: "description") var description: String?
    @Field(key: "status") var status: String
    @OptionalField(key: "due_date") var dueDate: String?
    @Parent(key: "owner_id") var owner: User
    @Field(key: "created_at") var createdAt: String
    @Field(key: "updated_at") var updatedAt: String

    init() {}
}

/// One task as the API writes it: `null` for an absent optional field.
struct TaskDTO: Content {
    var id: Int
    var title: String
    var description: String?
    var status: String
    var dueDate: String?
    var ownerID: Int
    var createdAt: String
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, title, description, status
        case dueDate = "due_date", ownerID = "owner_id", createdAt = "created_at", updatedAt = "updated_at"
    }

    init(_ task: TaskItem) throws {
        id = try task.requireID()
        title = task.title
        description = task.description
        status = task.status
        dueDate = task.dueDate
        ownerID = task.$owner.id
        createdAt = task.createdAt
        updatedAt = task.updatedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(description, forKey: .description)
        try container.encode(status, forKey: .status)
        try container.encode(dueDate, forKey: .dueDate)
        try container.encode(ownerID, forKey: .ownerID)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
