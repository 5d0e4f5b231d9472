import Foundation

/// Learns a `Decodable` type's fields by decoding it from a decoder that records what the
/// type's `init(from:)` asks for: each key, its type, whether it was checked for presence
/// (`decodeIfPresent`, `contains`: not required) or for null (nullable), lists (an unkeyed
/// container: one element is served), dictionaries (`allKeys` asked). Scalars, enums
/// (`CaseIterable` with raw values) and `ModelValue` types are described without decoding.
enum ModelProbe {
    static func schema<T: Model>(of type: T.Type) throws -> Schema {
        let context = ProbeContext()
        let (field, _) = try context.describe(type)
        guard field.kind == .object, let schema = field.schema else {
            throw ProbeError("\(type) does not decode a JSON object (a keyed container)")
        }
        return schema
    }
}

struct ProbeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Thrown when a type nests itself; the nearest enclosing list, dictionary or optional is
/// then documented as any value (and decoded as usual).
struct ProbeRecursion: Error {}

final class ProbeContext {
    private var inProgress: Set<ObjectIdentifier> = []

    /// `type` as a field, and a value of it to hand back to the decoding type.
    func describe<T: Decodable>(_ type: T.Type) throws -> (Field, T) {
        if let known = Self.scalar(type) { return known }
        if let value = type as? any ModelValue.Type {
            return (value.modelField, value.placeholder as! T)
        }
        if let choices = Self.choices(type) { return choices }
        let id = ObjectIdentifier(type)
        guard !inProgress.contains(id) else { throw ProbeRecursion() }
        inProgress.insert(id)
        defer { inProgress.remove(id) }
        let node = ProbeNode(context: self, empty: false)
        var value: T
        var field: Field
        do {
            value = try T(from: ProbeDecoder(node))
            field = try node.field(of: type)
        } catch is ProbeRecursion {
            // Decoded again with nothing in it: an empty list, dictionary or absent optional.
            value = try T(from: ProbeDecoder(ProbeNode(context: self, empty: true)))
            field = Field("", .any, description: "A \(type) (nested in itself).")
        }
        if let model = type as? any Model.Type { try Self.apply(model, to: &field) }
        return (field, value)
    }

    /// Names the schema and applies the model's rules, which must each name a learned field.
    static func apply(_ model: any Model.Type, to field: inout Field) throws {
        guard field.kind == .object, var schema = field.schema else { return }
        schema.name = model.modelName
        schema.status = model.validationStatus
        schema.allowsUnknownFields = model.allowsUnknownFields
        schema.requiresAField = model.requiresAField
        for (name, rules) in model.rules {
            guard let index = schema.fields.firstIndex(where: { $0.name == name }) else {
                let known = schema.fields.map(\.name).joined(separator: ", ")
                throw ProbeError("\(model).rules names '\(name)', which \(model) does not decode (it decodes: \(known))")
            }
            rules.apply(to: &schema.fields[index])
        }
        field.schema = schema
    }

    static func scalar<T>(_ type: T.Type) -> (Field, T)? {
        func field(_ kind: Field.Kind, _ value: Any, rules: [Field.Rule] = []) -> (Field, T) {
            (Field("", kind, rules: rules), value as! T)
        }
        func integer<I: FixedWidthInteger>(_ type: I.Type) -> (Field, T) {
            // Int and Int64 hold every integer the JSON parser keeps as one; smaller types say their bounds.
            let bounded = I.bitWidth < 64 || !I.isSigned
            let maximum = I.bitWidth < 64 ? Double(I.max) : nil
            return field(.integer, I.zero, rules: bounded ? [.range(min: Double(I.min), max: maximum)] : [])
        }
        switch type {
        case is String.Type: return field(.string, "")
        case is Bool.Type: return field(.boolean, false)
        case is Double.Type: return field(.number, 0.0)
        case is Float.Type: return field(.number, Float(0))
        case is Decimal.Type: return field(.number, Decimal(0))
        case is Int.Type: return integer(Int.self)
        case is Int8.Type: return integer(Int8.self)
        case is Int16.Type: return integer(Int16.self)
        case is Int32.Type: return integer(Int32.self)
        case is Int64.Type: return integer(Int64.self)
        case is UInt.Type: return integer(UInt.self)
        case is UInt8.Type: return integer(UInt8.self)
        case is UInt16.Type: return integer(UInt16.self)
        case is UInt32.Type: return integer(UInt32.self)
        case is UInt64.Type: return integer(UInt64.self)
        case is Date.Type: return field(.dateTime, Date(timeIntervalSince1970: 0))
        case is UUID.Type: return field(.uuid, UUID())
        case is URL.Type:
            return (Field("", .string, rules: [.pattern("[A-Za-z][A-Za-z0-9+.-]*:.+", description: "Not a valid URL.")]),
                URL(string: "https://example.com")! as! T)
        case is JSON.Type: return field(.any, JSON.null)
        default: return nil
        }
    }

    /// An enum with raw values that lists its cases: a string (or integer) field with those choices.
    static func choices<T>(_ type: T.Type) -> (Field, T)? {
        guard let iterable = type as? any CaseIterable.Type else { return nil }
        func all<C: CaseIterable>(_ type: C.Type) -> [Any] { Array(type.allCases) }
        func raw<R: RawRepresentable>(_ value: R) -> Any { value.rawValue }
        let cases = all(iterable)
        let raws = cases.compactMap { value -> Any? in
            guard let representable = value as? any RawRepresentable else { return nil }
            return raw(representable)
        }
        guard let first = cases.first, raws.count == cases.count else { return nil }
        if let texts = raws as? [String] { return (Field("", .string, rules: [.oneOf(texts)]), first as! T) }
        if let numbers = raws as? [Int] {
            return (Field("", .integer, rules: [.oneOf(numbers.map(String.init))]), first as! T)
        }
        return nil
    }
}

/// What one decoder was asked: the shape of one value.
final class ProbeNode {
    enum Shape { case unknown, keyed, unkeyed, single }
    enum Source {
        case field(Field)
        case node(ProbeNode)
    }
    struct Entry {
        var name: String
        var source: Source
        var required: Bool
        var nullable: Bool
    }

    let context: ProbeContext
    /// Serves nothing: no keys, no elements, null (a type nested in itself is decoded so).
    let empty: Bool
    var shape = Shape.unknown
    var entries: [Entry] = []
    var checked: Set<String> = []
    var nullChecked: Set<String> = []
    var askedAllKeys = false
    var elementsServed = 0
    var nullAsked = false

    init(context: ProbeContext, empty: Bool) {
        self.context = context
        self.empty = empty
    }

    func record(_ name: String, _ source: Source, required: Bool, nullable: Bool) {
        guard !empty, !entries.contains(where: { $0.name == name }) else { return }
        entries.append(Entry(name: name, source: source, required: required, nullable: nullable))
    }

    func field(of type: Any.Type) throws -> Field {
        func resolve(_ entry: Entry) throws -> Field {
            var field: Field
            switch entry.source {
            case .field(let described): field = described
            case .node(let node): field = try node.field(of: type)
            }
            field.name = entry.name
            field.required = entry.required
            field.nullable = field.nullable || entry.nullable
            return field
        }
        switch shape {
        case .unknown:
            throw ProbeError("\(type) decodes nothing from its decoder")
        case .keyed where askedAllKeys:
            let value = try entries.first.map(resolve) ?? Field("", .any)
            return Field("", .object, items: value)
        case .keyed:
            return Field("", .object, schema: Schema(fields: try entries.map(resolve)))
        case .unkeyed:
            var element = try entries.first.map(resolve) ?? Field("", .any)
            element.required = true
            return Field("", .array, items: element)
        case .single:
            guard let entry = entries.first else { throw ProbeError("\(type) decodes nothing from its decoder") }
            var field = try resolve(entry)
            field.nullable = field.nullable || nullAsked
            return field
        }
    }
}

struct ProbeDecoder: Decoder {
    let node: ProbeNode
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ node: ProbeNode) { self.node = node }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        node.shape = .keyed
        return KeyedDecodingContainer(ProbeKeyedContainer<Key>(node: node))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        node.shape = .unkeyed
        return ProbeUnkeyedContainer(node: node)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        node.shape = .single
        return ProbeSingleValueContainer(node: node)
    }
}

struct ProbeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let node: ProbeNode
    var codingPath: [any CodingKey] { [] }

    var allKeys: [Key] {
        node.askedAllKeys = true
        return node.empty ? [] : Key(stringValue: "key").map { [$0] } ?? []
    }

    func contains(_ key: Key) -> Bool {
        node.checked.insert(key.stringValue)
        return !node.empty
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        node.nullChecked.insert(key.stringValue)
        return node.empty
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try recorded(type, key) }

    private func recorded<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        let (field, value) = try node.context.describe(type)
        let name = key.stringValue
        node.record(name, .field(field), required: !node.checked.contains(name), nullable: node.nullChecked.contains(name))
        return value
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        if node.empty { return nil }
        let (field, value) = try node.context.describe(type)
        node.record(key.stringValue, .field(field), required: false, nullable: true)
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try ProbeDecoder(child(for: key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ProbeDecoder(child(for: key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { ProbeDecoder(node) }

    func superDecoder(forKey key: Key) throws -> any Decoder { ProbeDecoder(child(for: key)) }

    private func child(for key: Key) -> ProbeNode {
        let child = ProbeNode(context: node.context, empty: node.empty)
        let name = key.stringValue
        node.record(name, .node(child), required: !node.checked.contains(name), nullable: node.nullChecked.contains(name))
        return child
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try recorded(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try recorded(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try recorded(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try recorded(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try recorded(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try recorded(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try recorded(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try recorded(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try recorded(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try recorded(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try recorded(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try recorded(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try recorded(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try recorded(type, key) }
}

struct ProbeUnkeyedContainer: UnkeyedDecodingContainer {
    let node: ProbeNode
    var codingPath: [any CodingKey] { [] }
    var count: Int? { node.empty ? 0 : nil }
    var isAtEnd: Bool { node.empty || node.elementsServed > 0 }
    var currentIndex: Int { node.elementsServed }

    mutating func decodeNil() throws -> Bool {
        node.nullAsked = true
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try recorded(type) }
    mutating func decode(_ type: String.Type) throws -> String { try recorded(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try recorded(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try recorded(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try recorded(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try recorded(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try recorded(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try recorded(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try recorded(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try recorded(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try recorded(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try recorded(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try recorded(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try recorded(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try recorded(type) }

    private mutating func recorded<T: Decodable>(_ type: T.Type) throws -> T {
        let (field, value) = try node.context.describe(type)
        node.record("", .field(field), required: true, nullable: node.nullAsked)
        node.elementsServed += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try ProbeDecoder(element()).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try ProbeDecoder(element()).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { ProbeDecoder(element()) }

    private mutating func element() -> ProbeNode {
        let child = ProbeNode(context: node.context, empty: node.empty)
        node.record("", .node(child), required: true, nullable: node.nullAsked)
        node.elementsServed += 1
        return child
    }
}

struct ProbeSingleValueContainer: SingleValueDecodingContainer {
    let node: ProbeNode
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool {
        node.nullAsked = true
        return node.empty
    }

    func decode(_ type: Bool.Type) throws -> Bool { try recorded(type) }
    func decode(_ type: String.Type) throws -> String { try recorded(type) }
    func decode(_ type: Double.Type) throws -> Double { try recorded(type) }
    func decode(_ type: Float.Type) throws -> Float { try recorded(type) }
    func decode(_ type: Int.Type) throws -> Int { try recorded(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try recorded(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try recorded(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try recorded(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try recorded(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try recorded(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try recorded(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try recorded(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try recorded(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try recorded(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try recorded(type) }

    private func recorded<T: Decodable>(_ type: T.Type) throws -> T {
        let (field, value) = try node.context.describe(type)
        node.record("", .field(field), required: true, nullable: false)
        return value
    }
}
