/// A background job as an API shows it: `{id, name, state, attempts, result, error, created_at,
/// finished_at}`, with `result` as JSON rather than text. A `Model`, so that a route answering
/// with it (`Accepted(job.status, location: …)`) documents the `Job` component from this type.
public struct JobStatus: Model, Encodable, Equatable {
    public var id: String
    public var name: String
    public var state: JobRecord.State
    /// Attempts started so far.
    public var attempts: Int
    /// What the job returned, once succeeded.
    public var result: JSON?
    /// The last failed attempt's error.
    public var error: String?
    public var createdAt: String
    public var finishedAt: String?

    public init(
        id: String, name: String, state: JobRecord.State, attempts: Int, result: JSON?, error: String?, createdAt: String,
        finishedAt: String?
    ) {
        self.id = id
        self.name = name
        self.state = state
        self.attempts = attempts
        self.result = result
        self.error = error
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, state, attempts, result, error
        case createdAt = "created_at"
        case finishedAt = "finished_at"
    }

    // Every field is written, nulls included, and so documented as always present.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(state, forKey: .state)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(result ?? .null, forKey: .result)
        try container.encode(error, forKey: .error)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(finishedAt, forKey: .finishedAt)
    }

    public static var modelName: String { "Job" }
    public static let rules: [String: FieldRules] = [
        "id": FieldRules(example: "0f5c4c1e-3b57-4d0c-9d1a-7e1f5b0c2a9d"),
        "result": FieldRules(required: true, description: "What the job returned, once succeeded"),
        "error": FieldRules(required: true, description: "The last failed attempt's error"),
        "finished_at": FieldRules(required: true),
    ]
}
