import VialApp

/// A file attached to a task. Its bytes live in `AttachmentFiles`, named by `sha256`.
public struct Attachment: Sendable, Equatable, Codable {
    public var id: Int64?
    public var taskId: Int64
    /// Whose quota it counts against: the task's owner.
    public var ownerId: Int64
    /// The name it was uploaded under, made safe.
    public var filename: String
    public var contentType: String
    public var size: Int64
    /// Lower-case hex SHA-256 of the content.
    public var sha256: String
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id, filename, size, sha256
        case taskId = "task_id"
        case ownerId = "owner_id"
        case contentType = "content_type"
        case createdAt = "created_at"
    }

    public init(
        id: Int64? = nil, taskId: Int64, ownerId: Int64, filename: String, contentType: String, size: Int64, sha256: String,
        createdAt: String
    ) {
        self.id = id
        self.taskId = taskId
        self.ownerId = ownerId
        self.filename = filename
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.createdAt = createdAt
    }

    /// A row of the `task_attachments` table.
    public init(row: SQLRow) throws {
        self.init(
            id: try row.required("id", SQLRow.int64), taskId: try row.required("task_id", SQLRow.int64),
            ownerId: try row.required("owner_id", SQLRow.int64), filename: try row.required("filename", SQLRow.string),
            contentType: try row.required("content_type", SQLRow.string), size: try row.required("size", SQLRow.int64),
            sha256: try row.required("sha256", SQLRow.string), createdAt: try row.required("created_at", SQLRow.string))
    }
}

/// An attachment is also the type the API answers with: its component is learned from it.
extension Attachment: Model {
    public static let rules: [String: FieldRules] = ["id": FieldRules(required: true, nullable: false)]
}
