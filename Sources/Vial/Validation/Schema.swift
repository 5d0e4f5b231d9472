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
    /// The status for validation failures: 422 by default; the bundled auth uses 400.
    public var status: HTTPResponseStatus
    /// Whether fields not declared are accepted (and dropped) instead of refused.
    public var allowsUnknownFields: Bool
    /// Whether at least one writable field must be sent (PATCH): otherwise a 400 `no_fields`.
    public var requiresAField: Bool
    /// Why a `Model`'s schema could not be learned from its type (the app's build fails on it).
    var learningError: String?

    public init(
        named name: String? = nil, _ fields: Field..., status: HTTPResponseStatus = .unprocessableEntity,
        allowsUnknownFields: Bool = false, requiresAField: Bool = false
    ) {
        self.init(
            named: name, fields: fields, status: status, allowsUnknownFields: allowsUnknownFields,
            requiresAField: requiresAField)
    }

    public init(
        named name: String? = nil, fields: [Field], status: HTTPResponseStatus = .unprocessableEntity,
        allowsUnknownFields: Bool = false, requiresAField: Bool = false
    ) {
        self.name = name
        self.requiresAField = requiresAField
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
        try requireAField(in: members)
        var problems = Problems()
        let values = check(members, at: { "" }, partial: partial, into: &problems)
        try problems.throwIfAny(status: status, message: "Validation failed", code: "validation_error")
        return ValidatedObject(values: values)
    }
}

extension Schema {
    /// A 400 `no_fields` when the schema `requiresAField` and `members` holds no writable one.
    func requireAField(in members: [String: JSON]) throws {
        guard requiresAField else { return }
        let writable = fields.filter { !$0.readOnly }.map(\.name)
        guard members.keys.contains(where: writable.contains) else {
            throw HTTPError(
                .badRequest, "No updatable field given (expected one of: \(writable.sorted().joined(separator: ", ")))",
                code: "no_fields")
        }
    }

    /// Unknown fields named in an error answer at most; the rest are counted.
    static let unknownFieldsListed = 10
    /// Characters of an unknown field's name shown at most.
    static let fieldNameShown = 64

    /// Names the first unknown fields (in name order) and counts the rest, so that an answer
    /// never grows with the input: 85,000 unknown keys made a 2.4 MB error body.
    static func reportUnknown(_ unknown: [String], at path: () -> String, in problems: inout Problems) {
        guard !unknown.isEmpty else { return }
        // The smallest few names, without sorting them all.
        var first: [String] = []
        for key in unknown {
            guard first.count < unknownFieldsListed || key < first[first.count - 1] else { continue }
            first.insert(key, at: first.firstIndex { key < $0 } ?? first.count)
            if first.count > unknownFieldsListed { first.removeLast() }
        }
        for key in first {
            let shown = key.unicodeScalars.count > fieldNameShown ? String(key.unicodeScalars.prefix(fieldNameShown)) + "…" : key
            problems.add(Problems.path(path(), key: shown), ["Unknown field."])
        }
        if unknown.count > first.count {
            problems.add(
                Problems.path(path(), key: "_schema"),
                ["\(unknown.count) unknown fields; the first \(first.count) by name are listed."])
        }
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

    /// Throws one error with field → messages details when there are any.
    static func throwIfAny(_ errors: [String: [String]], status: HTTPResponseStatus, message: String, code: String) throws {
        guard !errors.isEmpty else { return }
        throw HTTPError(status, message, code: code, details: .object(errors.mapValues { .array($0.map(JSON.string)) }))
    }
}

extension Request {
    /// Checks the query args against `fields` (the same declarations the route's docs list):
    /// absent args are skipped, present ones must convert to the field's kind and pass its rules;
    /// otherwise a 400 with details per arg.
    public func validateQuery(_ fields: [Field]) throws -> ValidatedObject {
        let args = self.args
        var values: [String: JSON] = [:]
        var errors: [String: [String]] = [:]
        for field in fields {
            guard let raw = args[field.name] else { continue }
            let value: JSON?
            switch field.kind {
            case .integer: value = Int(raw).map(JSON.int)
            case .number: value = Double(parameter: raw).map(JSON.double)
            case .boolean: value = Bool(parameter: raw).map(JSON.bool)
            case .string, .date, .email, .dateTime, .uuid, .any, .array, .object: value = .string(raw)
            }
            guard let value else {
                errors[field.name] = ["Not a valid \(field.kind.rawValue)."]
                continue
            }
            switch field.check(value) {
            case .valid(let checked): values[field.name] = checked
            case .invalid(let messages): errors[field.name] = messages
            }
        }
        try ValidatedObject.throwIfAny(errors, status: .badRequest, message: "Invalid query parameters", code: "invalid_query_parameter")
        return ValidatedObject(values: values)
    }

    /// Parses the JSON body and checks it against `schema` (415 when not JSON, 400 when
    /// malformed, `schema.status` with per-field details when invalid).
    public func validate(_ schema: Schema, partial: Bool = false) throws -> ValidatedObject {
        try schema.validate(json(), partial: partial)
    }
}
