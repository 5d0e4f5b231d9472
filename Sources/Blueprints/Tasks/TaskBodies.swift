import Vial

// The request bodies of the tasks API, each a typed model: the type is the handler's input,
// its validation and its OpenAPI component. The server's own fields (`id`, `owner_id`,
// `created_at`, `updated_at`) are declared read-only so that sending one is refused as such
// (SPEC: "unknown and read-only fields rejected") and the document marks them.

extension TaskItem.Status: ParameterConvertible {}

/// Rules every task body shares, by JSON field name.
enum TaskRules {
    static let serverFields: [String: FieldRules] = [
        "id": FieldRules(readOnly: true, nullable: false), "owner_id": FieldRules(readOnly: true, nullable: false),
        "created_at": FieldRules(readOnly: true, nullable: false), "updated_at": FieldRules(readOnly: true, nullable: false),
    ]

    static let writable: [String: FieldRules] = serverFields.merging([
        "title": FieldRules(.length(1...150), trim: true, nullable: false, example: "Write the release notes"),
        "description": FieldRules(.length(0...TasksBlueprint.maxDescription), example: "Cover the new rate limits"),
        "status": FieldRules(nullable: false),
        "due_date": FieldRules(example: "2026-12-01"),
    ]) { server, _ in server }
}

/// The JSON names of the task bodies' properties.
enum TaskBodyKeys: String, CodingKey {
    case title, description, status, id
    case dueDate = "due_date", ownerId = "owner_id", createdAt = "created_at", updatedAt = "updated_at"
}

/// `POST /api/tasks/`: a title; status defaults to pending.
public struct TaskInput: Model {
    public var title: String
    public var description: String?
    public var status: TaskItem.Status?
    public var dueDate: CalendarDate?
    var id: Int?
    var ownerId: Int?
    var createdAt: String?
    var updatedAt: String?

    typealias CodingKeys = TaskBodyKeys

    public static let rules = TaskRules.writable
}

/// `PUT /api/tasks/<id>`: title and status; an absent description or due date becomes null.
public struct TaskReplacement: Model {
    public var title: String
    public var description: String?
    public var status: TaskItem.Status
    public var dueDate: CalendarDate?
    var id: Int?
    var ownerId: Int?
    var createdAt: String?
    var updatedAt: String?

    typealias CodingKeys = TaskBodyKeys

    public static let rules = TaskRules.writable
}

/// `PATCH /api/tasks/<id>`: any writable subset, at least one field; `null` clears the
/// description or the due date, while an absent field is left as it is.
public struct TaskPatch: Model {
    public var title: String?
    public var description: Patch<String>
    public var status: TaskItem.Status?
    public var dueDate: Patch<CalendarDate>
    var id: Int?
    var ownerId: Int?
    var createdAt: String?
    var updatedAt: String?

    typealias CodingKeys = TaskBodyKeys

    public static let rules = TaskRules.writable
    public static let requiresAField = true
}

/// `PUT /api/tasks/<id>/status`.
public struct TaskStatusChange: Model {
    public var status: TaskItem.Status
    public static let modelName = "TaskStatus"
}
