import Foundation
import NIOConcurrencyHelpers

/// A request (or response) body declared once, as a Swift type: its properties are the fields,
/// their types the JSON kinds (optional = may be absent or null, `Patch` = absent, null and a
/// value told apart), and `rules` adds what a type cannot say (lengths, ranges, patterns,
/// descriptions, examples, defaults) by JSON field name. The same type is what the handler
/// gets, what validation checks (every problem, with its JSON path, in one 422) and what the
/// OpenAPI document shows as a named component.
///
/// ```swift
/// struct NoteInput: Model {
///     var title: String
///     var body: String?
///     var tags: [String]
///     var priority: Priority?            // enum Priority: String, Codable, CaseIterable
///
///     static let rules: [String: FieldRules] = [
///         "title": FieldRules(.length(1...100), trim: true, example: "Groceries"),
///         "tags": FieldRules(.count(0...10), .unique, items: [.length(1...30)], default: []),
///     ]
/// }
///
/// app.post("/notes") { req in
///     let note = try req.decode(NoteInput.self)   // 415 / 400 / 422 with every problem
///     …
/// }
/// ```
///
/// The fields are learned once, by decoding the type from a recording decoder (see
/// docs/decisions/006-typed-models.md); a type whose `init(from:)` cannot be recorded
/// implements `schema` itself.
public protocol Model: Decodable, Sendable {
    /// Rules, docs and defaults by JSON field name (a name the type does not decode is an
    /// error when the app is built).
    static var rules: [String: FieldRules] { get }
    /// The component name in OpenAPI documents (the type's name by default).
    static var modelName: String { get }
    /// Whether undeclared fields are dropped instead of refused (refused by default).
    static var allowsUnknownFields: Bool { get }
    /// The status of a validation failure (422 by default).
    static var validationStatus: HTTPResponseStatus { get }
    /// Whether a body must hold at least one writable field (a PATCH of `Patch` fields): an
    /// empty one is a 400 `no_fields` (false by default).
    static var requiresAField: Bool { get }
    /// The schema validation uses and OpenAPI shows; learned from the type by default.
    static var schema: Schema { get }
}

extension Model {
    public static var rules: [String: FieldRules] { [:] }
    public static var modelName: String { String(describing: Self.self) }
    public static var allowsUnknownFields: Bool { false }
    public static var validationStatus: HTTPResponseStatus { .unprocessableEntity }
    public static var requiresAField: Bool { false }
    public static var schema: Schema { ModelSchemas.shared.schema(for: Self.self) }

    /// Checks `json` against the type's schema (every problem collected) and decodes it.
    public static func validate(_ json: JSON) throws -> Self {
        let schema = Self.schema
        if let problem = schema.learningError {
            throw ModelLearningError(description: problem)  // a 500, its reason logged
        }
        guard case .object(let members) = json else {
            throw HTTPError(
                schema.status, "Request body must be a JSON object", code: "validation_error",
                details: ["_schema": ["Invalid input type."]])
        }
        try schema.requireAField(in: members)
        var problems = Problems()
        let checked = schema.check(members, at: { "" }, partial: false, into: &problems)
        try problems.throwIfAny(status: schema.status, message: "Validation failed", code: "validation_error")
        do {
            return try Self(from: JSONValueDecoder(.object(checked)))
        } catch let error as DecodingError {
            // The schema passed it; what is left is a type's own check in its init(from:).
            throw HTTPError(decoding: error, status: schema.status, parsed: true)
        }
    }
}

/// What a `Model` says about one field beyond its Swift type.
public struct FieldRules: Sendable {
    public var rules: [Field.Rule]
    /// Rules every element of a list (or value of a dictionary) must pass.
    public var itemRules: [Field.Rule]
    /// Trim surrounding whitespace from text before checking it (and in what the handler gets).
    public var trim: Bool
    /// Sent by the server, refused from clients.
    public var readOnly: Bool
    public var description: String?
    public var example: JSON?
    /// The value an absent field takes; a field with a default is not required.
    public var defaultValue: JSON?
    /// Overrides what the type says: `nullable: false` on a `Patch` or optional field refuses
    /// `null` while allowing the field to be absent.
    public var nullable: Bool?
    /// Overrides what the type says: `required: true` on an optional field means it is always
    /// present, possibly as `null` — what a response type whose `encode(to:)` writes nulls
    /// documents, or a request field that must be sent even when empty.
    public var required: Bool?

    public init(
        _ rules: Field.Rule..., trim: Bool = false, items: [Field.Rule] = [], readOnly: Bool = false,
        required: Bool? = nil, nullable: Bool? = nil, description: String? = nil, example: JSON? = nil,
        default defaultValue: JSON? = nil
    ) {
        self.required = required
        self.nullable = nullable
        self.rules = rules
        self.itemRules = items
        self.trim = trim
        self.readOnly = readOnly
        self.description = description
        self.example = example
        self.defaultValue = defaultValue
    }

    /// Applies these rules to a field learned from the type.
    func apply(to field: inout Field) {
        field.rules += rules
        field.trim = trim
        field.readOnly = readOnly
        if let nullable { field.nullable = nullable }
        if let required { field.required = required }
        if let description { field.description = description }
        if let example { field.example = example }
        if let defaultValue {
            field.defaultValue = defaultValue
            field.required = false
        }
        if !itemRules.isEmpty, var items = field.items {
            items.rules += itemRules
            field.items = items
        }
    }
}

extension Field.Rule {
    /// Text of `range` characters (Unicode code points).
    public static func length(_ range: ClosedRange<Int>) -> Field.Rule { .length(min: range.lowerBound, max: range.upperBound) }
    /// Text of at least `min` characters.
    public static func minLength(_ min: Int) -> Field.Rule { .length(min: min, max: nil) }
    /// Text of at most `max` characters.
    public static func maxLength(_ max: Int) -> Field.Rule { .length(min: nil, max: max) }
    /// A number within `range`.
    public static func range(_ range: ClosedRange<Double>) -> Field.Rule { .range(min: range.lowerBound, max: range.upperBound) }
    /// An integer within `range`.
    public static func range(_ range: ClosedRange<Int>) -> Field.Rule {
        .range(min: Double(range.lowerBound), max: Double(range.upperBound))
    }
    /// A list (or dictionary) of `range` elements.
    public static func count(_ range: ClosedRange<Int>) -> Field.Rule { .count(min: range.lowerBound, max: range.upperBound) }
}

/// The schemas learned from model types, once per type.
final class ModelSchemas: Sendable {
    static let shared = ModelSchemas()
    private let schemas = NIOLockedValueBox<[ObjectIdentifier: Schema]>([:])

    /// The type's schema, learned on first use. A type that cannot be learned is a programming
    /// error: its schema carries `learningError`, the app's build fails on it for documented
    /// models, and validation answers 500 (logging why) rather than guess.
    func schema<T: Model>(for type: T.Type) -> Schema {
        if let schema = schemas.withLockedValue({ $0[ObjectIdentifier(type)] }) { return schema }
        var schema: Schema
        do {
            schema = try ModelProbe.schema(of: type)
        } catch {
            schema = Schema(named: T.modelName, fields: [])
            schema.learningError = "Vial cannot learn the fields of \(type): \(error)"
        }
        schemas.withLockedValue { $0[ObjectIdentifier(type)] = schema }
        return schema
    }
}

/// A model type whose fields cannot be learned (its `init(from:)` refuses the recording decoder,
/// or its `rules` name a field it does not decode).
struct ModelLearningError: Error, CustomStringConvertible {
    var description: String
}
