import Foundation

/// Encodes any `Encodable` into a `JSON` tree — Vial's own encoder, so that what a handler
/// returns is written the way Flask's JSON provider writes it: UUIDs in lower case (RFC 9562's
/// canonical form; Foundation's `JSONEncoder` writes `uuidString`, upper case), dates in ISO 8601,
/// `Data` as base64, `URL` as its string, `Decimal` as a number. The tree is then written by
/// `JSON.write` (keys sorted, so the bytes are stable).
public struct JSONValueEncoder: Sendable {
    /// An encoder.
    public init() {}

    /// `value` as a JSON tree.
    public func encode(_ value: some Encodable) throws -> JSON {
        if let json = value as? JSON { return json }
        let box = ValueBox()
        try ValueEncoder(box: box, codingPath: []).encodeValue(value)
        return box.json
    }
}

/// A slot an encoder fills: a value, or the members or elements of a container. Scalars are
/// kept as values; only nested containers get a box of their own, so nested containers can go
/// on writing into them until the tree is done (a box per scalar made the encoder slower than
/// Foundation's).
final class ValueBox {
    enum Slot {
        case value(JSON)
        case box(ValueBox)

        var json: JSON {
            switch self {
            case .value(let value): return value
            case .box(let box): return box.json
            }
        }
    }

    // One encoder fills a box, on one thread, one access at a time: the runtime's exclusivity
    // checks on these were 5 % of an uncached task list's instructions (Benchmarks/instructions.py).
    @exclusivity(unchecked) var value: JSON?
    @exclusivity(unchecked) var members: [String: Slot]?
    @exclusivity(unchecked) var elements: [Slot]?

    init(_ value: JSON? = nil) { self.value = value }

    /// The finished tree.
    var json: JSON {
        if let members { return .object(members.mapValues(\.json)) }
        if let elements { return .array(elements.map(\.json)) }
        return value ?? .null
    }
}

private struct ValueEncoder: Encoder {
    let box: ValueBox
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if box.members == nil {
            box.members = Dictionary(minimumCapacity: 8)  // a model's fields, without regrowing
            box.elements = nil
            box.value = nil
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if box.elements == nil {
            box.elements = []
            box.members = nil
            box.value = nil
        }
        return UnkeyedContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(encoder: self)
    }

    /// Encodes `value` into this encoder's box, with Vial's forms for the Foundation types.
    func encodeValue(_ value: some Encodable) throws {
        if let json = ValueEncoderSpecial.special(value) {
            box.value = json
            box.members = nil
            box.elements = nil
            return
        }
        try value.encode(to: self)
        // A type that wrote nothing (an empty struct) is an empty object, as JSONEncoder writes it.
        if box.value == nil, box.members == nil, box.elements == nil { box.members = [:] }
    }
}

private extension Decimal {
    func rounded() -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, 0, .plain)
        return result
    }
}

/// Encodes a child value: Vial's forms and scalars as values, anything else into a box of its own.
private func encodeChild(_ value: some Encodable, codingPath: @autoclosure () -> [any CodingKey]) throws -> ValueBox.Slot {
    if let text = exactly(value, String.self) { return .value(.string(text)) }
    if let number = exactly(value, Int.self) { return .value(.int(number)) }
    if let flag = exactly(value, Bool.self) { return .value(.bool(flag)) }
    if let number = exactly(value, Double.self) { return .value(.double(number)) }
    if let special = ValueEncoderSpecial.special(value) { return .value(special) }
    let child = ValueBox()
    try ValueEncoder(box: child, codingPath: codingPath()).encodeValue(value)
    // A child that wrote one value (a `RawRepresentable` enum, a wrapper) needs no box.
    if child.members == nil, child.elements == nil, let single = child.value { return .value(single) }
    return .box(child)
}

/// `value` as a `U` when its type is exactly `U`. A metatype comparison, where `value as? U` is a
/// runtime cast that, failing, searches conformances: six failing casts per encoded value were a
/// tenth of the uncached task list's instructions (Benchmarks/instructions.py). Every type asked
/// for here is a struct or an enum, so "exactly" is all there is to match.
@inline(__always)
func exactly<T, U>(_ value: T, _ type: U.Type) -> U? {
    T.self == U.self ? unsafeBitCast(value, to: U.self) : nil
}

enum ValueEncoderSpecial {
    static func special(_ value: some Encodable) -> JSON? {
        if let json = exactly(value, JSON.self) { return json }
        if let uuid = exactly(value, UUID.self) { return .string(uuid.uuidString.lowercased()) }
        if let date = exactly(value, Date.self) { return .string(Timestamp.string(date)) }
        if let data = exactly(value, Data.self) { return .string(data.base64EncodedString()) }
        if let url = exactly(value, URL.self) { return .string(url.absoluteString) }
        if let decimal = exactly(value, Decimal.self) { return number(decimal) }
        return nil
    }

    static func number(_ decimal: Decimal) -> JSON {
        if decimal == decimal.rounded(), let int = Int(exactly: NSDecimalNumber(decimal: decimal).int64Value),
            Decimal(int) == decimal
        {
            return .int(int)
        }
        // Through its text: NSDecimalNumber's doubleValue turns 19.99 into 19.990000000000002.
        return .double(Double(decimal.description) ?? NSDecimalNumber(decimal: decimal).doubleValue)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ValueBox
    let codingPath: [any CodingKey]

    private func set(_ key: Key, _ value: JSON) { box.members?[key.stringValue] = .value(value) }

    mutating func encodeNil(forKey key: Key) throws { set(key, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(key, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(key, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(key, .double(value)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(key, .double(Double(value))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(key, .int(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(key, .int(Int(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(key, .int(Int(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(key, .int(Int(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(key, .int(Int(value))) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(key, unsignedJSON(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(key, .int(Int(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(key, .int(Int(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(key, .int(Int(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(key, unsignedJSON(UInt(value))) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let child = try encodeChild(value, codingPath: codingPath + [key])
        box.members?[key.stringValue] = child
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = ValueBox()
        box.members?[key.stringValue] = .box(child)
        return ValueEncoder(box: child, codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = ValueBox()
        box.members?[key.stringValue] = .box(child)
        return ValueEncoder(box: child, codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = ValueBox()
        box.members?[key.stringValue] = .box(child)
        return ValueEncoder(box: child, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: ValueBox
    let codingPath: [any CodingKey]
    var count: Int { box.elements?.count ?? 0 }

    private struct Index: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    private func append(_ value: JSON) { box.elements?.append(.value(value)) }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(.double(value)) }
    mutating func encode(_ value: Float) throws { append(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { append(.int(value)) }
    mutating func encode(_ value: Int8) throws { append(.int(Int(value))) }
    mutating func encode(_ value: Int16) throws { append(.int(Int(value))) }
    mutating func encode(_ value: Int32) throws { append(.int(Int(value))) }
    mutating func encode(_ value: Int64) throws { append(.int(Int(value))) }
    mutating func encode(_ value: UInt) throws { append(unsignedJSON(value)) }
    mutating func encode(_ value: UInt8) throws { append(.int(Int(value))) }
    mutating func encode(_ value: UInt16) throws { append(.int(Int(value))) }
    mutating func encode(_ value: UInt32) throws { append(.int(Int(value))) }
    mutating func encode(_ value: UInt64) throws { append(unsignedJSON(UInt(value))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let child = try encodeChild(value, codingPath: codingPath + [Index(count)])
        box.elements?.append(child)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = ValueBox()
        let path = codingPath + [Index(count)]
        box.elements?.append(.box(child))
        return ValueEncoder(box: child, codingPath: path).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = ValueBox()
        let path = codingPath + [Index(count)]
        box.elements?.append(.box(child))
        return ValueEncoder(box: child, codingPath: path).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let child = ValueBox()
        let path = codingPath + [Index(count)]
        box.elements?.append(.box(child))
        return ValueEncoder(box: child, codingPath: path)
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let encoder: ValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ value: JSON) {
        encoder.box.value = value
        encoder.box.members = nil
        encoder.box.elements = nil
    }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(.double(value)) }
    mutating func encode(_ value: Float) throws { set(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { set(.int(value)) }
    mutating func encode(_ value: Int8) throws { set(.int(Int(value))) }
    mutating func encode(_ value: Int16) throws { set(.int(Int(value))) }
    mutating func encode(_ value: Int32) throws { set(.int(Int(value))) }
    mutating func encode(_ value: Int64) throws { set(.int(Int(value))) }
    mutating func encode(_ value: UInt) throws { set(unsignedJSON(value)) }
    mutating func encode(_ value: UInt8) throws { set(.int(Int(value))) }
    mutating func encode(_ value: UInt16) throws { set(.int(Int(value))) }
    mutating func encode(_ value: UInt32) throws { set(.int(Int(value))) }
    mutating func encode(_ value: UInt64) throws { set(unsignedJSON(UInt(value))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try encoder.encodeValue(value)
    }
}

/// An unsigned value past `Int.max` has no `Int`: it is written as a double, as JSON numbers are.
func unsignedJSON(_ value: UInt) -> JSON {
    value <= UInt(Int.max) ? .int(Int(value)) : .double(Double(value))
}
