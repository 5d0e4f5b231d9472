/// A request body declared once and checked whole: every field's problems are collected
/// (not just the first), unknown and read-only fields are refused, and `partial` checks
/// only what was sent (PATCH). Failure is one error whose `details` maps field → messages.
///
/// ```swift
/// static let taskInput = Schema(
///     .string("title", required: true, trim: true, length: 1...150),
///     .string("description", nullable: true),
///     .string("status", oneOf: ["pending", "completed"]),
///     Field("due_date", .date, nullable: true),
///     .readOnly("id"))
///
/// let input = try req.validate(Self.taskInput)              // 415 / 400 / 422
/// let title = input.string("title")!
/// ```
public struct Schema: Sendable {
    /// The component name in generated OpenAPI documents (`TaskInput`); unnamed schemas are inlined.
    public var name: String?
    public var fields: [Field]
    /// The status for validation failures: 422 by default; auth uses 400 as SPEC says.
    public var status: HTTPResponseStatus
    /// Whether fields not declared are accepted (and dropped) instead of refused.
    public var allowsUnknownFields: Bool

    public init(
        named name: String? = nil, _ fields: Field..., status: HTTPResponseStatus = .unprocessableEntity,
        allowsUnknownFields: Bool = false
    ) {
        self.init(named: name, fields: fields, status: status, allowsUnknownFields: allowsUnknownFields)
    }

    public init(
        named name: String? = nil, fields: [Field], status: HTTPResponseStatus = .unprocessableEntity,
        allowsUnknownFields: Bool = false
    ) {
        self.name = name
        self.fields = fields
        self.status = status
        self.allowsUnknownFields = allowsUnknownFields
    }

    /// Checks `json` (which must be an object); `partial` skips the required check for absent fields.
    public func validate(_ json: JSON, partial: Bool = false) throws -> ValidatedObject {
        guard case .object(let members) = json else {
            throw HTTPError(status, "Request body must be a JSON object", code: "validation_error",
                details: ["_schema": ["Invalid input type."]])
        }
        var values: [String: JSON] = [:]
        var errors: [String: [String]] = [:]
        let declared = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for key in members.keys where declared[key] == nil && !allowsUnknownFields {
            errors[key] = ["Unknown field."]
        }
        for field in fields {
            guard let value = members[field.name] else {
                if field.required && !partial && !field.readOnly { errors[field.name] = ["Missing data for required field."] }
                continue
            }
            if field.readOnly {
                errors[field.name] = ["Field is read-only."]
                continue
            }
            switch field.check(value) {
            case .valid(let checked): values[field.name] = checked
            case .invalid(let messages): errors[field.name] = messages
            }
        }
        guard errors.isEmpty else {
            throw HTTPError(
                status, "Validation failed", code: "validation_error",
                details: .object(errors.mapValues { .array($0.map(JSON.string)) }))
        }
        return ValidatedObject(values: values)
    }
}

/// The checked fields of a request body.
public struct ValidatedObject: Sendable, Equatable {
    /// Present fields with their checked (trimmed) values; `null` where the client sent null.
    public var values: [String: JSON]

    /// Whether the client sent `name` (even as null) — what PATCH and PUT tell apart.
    public func contains(_ name: String) -> Bool { values[name] != nil }

    /// The text of `name`, or nil when absent or null.
    public func string(_ name: String) -> String? { values[name]?.stringValue }
    /// The integer of `name`, or nil when absent or null.
    public func int(_ name: String) -> Int? { values[name]?.intValue }
    /// The number of `name`, or nil when absent or null.
    public func double(_ name: String) -> Double? { values[name]?.doubleValue }
    /// The Boolean of `name`, or nil when absent or null.
    public func bool(_ name: String) -> Bool? { values[name]?.boolValue }
}

extension Request {
    /// Parses the JSON body and checks it against `schema` (415 when not JSON, 400 when
    /// malformed, `schema.status` with per-field details when invalid).
    public func validate(_ schema: Schema, partial: Bool = false) throws -> ValidatedObject {
        try schema.validate(json(), partial: partial)
    }
}
