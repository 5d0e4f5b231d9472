import Foundation

/// Decodes a `Decodable` type from a parsed `JSON` value: what a `Model` is built from once its
/// schema has checked the JSON, so the body is parsed once. Dates are ISO 8601 text, UUIDs and
/// URLs text, decimals numbers.
struct JSONValueDecoder: Decoder, SingleValueDecodingContainer {
    let json: JSON
    // The path is built only when asked for (an error, a nested container): most values never need it.
    private let parentPath: [any CodingKey]
    private let key: (any CodingKey)?
    var codingPath: [any CodingKey] { key.map { parentPath + [$0] } ?? parentPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ json: JSON, codingPath: [any CodingKey] = [], key: (any CodingKey)? = nil) {
        self.json = json
        self.parentPath = codingPath
        self.key = key
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = json else { throw mismatch([String: JSON].self) }
        return KeyedDecodingContainer(JSONKeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = json else { throw mismatch([JSON].self) }
        return JSONUnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { json.isNull }

    func decode(_ type: Bool.Type) throws -> Bool { try direct(type) }
    func decode(_ type: String.Type) throws -> String { try direct(type) }
    func decode(_ type: Double.Type) throws -> Double { try direct(type) }
    func decode(_ type: Float.Type) throws -> Float { try direct(type) }
    func decode(_ type: Int.Type) throws -> Int { try direct(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try direct(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try direct(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try direct(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try direct(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try direct(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try direct(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try direct(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try direct(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try direct(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try value(type) }

    /// The value as `T`: scalars, the types JSON spells as text, and lists of them directly
    /// (`JSONDirect`, one runtime lookup); others through their own `init(from:)`.
    func value<T: Decodable>(_ type: T.Type) throws -> T {
        if let known = type as? any JSONDirect.Type {
            // `known` is `T` itself, opened: the bit cast changes nothing but the static type.
            func read<D: JSONDirect>(_ type: D.Type) throws -> T { unsafeBitCast(try direct(type), to: T.self) }
            return try read(known)
        }
        return try T(from: self)
    }

    /// A `JSONDirect` value, with no runtime lookup when `D` is known where it is called (the
    /// concrete `decode` overloads); a value that does not fit is reported by `init(from:)` for
    /// lists (naming the element), as a mismatch here for scalars.
    func direct<D: JSONDirect>(_ type: D.Type) throws -> D {
        if let value = D.direct(json) { return value }
        if D.isList { return try D(from: self) }
        throw mismatch(type)
    }

    /// An ISO 8601 date-time, with or without fractional seconds.
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    func mismatch(_ type: Any.Type) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Expected a value of type \(type)."))
    }
}

/// A type read straight from a JSON value, without a decoding container: nil when the value is
/// not one (the caller reports the mismatch).
protocol JSONDirect: Decodable {
    static func direct(_ json: JSON) -> Self?
    /// Whether a mismatch is better reported by `init(from:)`, element by element.
    static var isList: Bool { get }
}

extension JSONDirect {
    static var isList: Bool { false }
}

extension String: JSONDirect {
    static func direct(_ json: JSON) -> String? {
        if case .string(let text) = json { return text }
        return nil
    }
}

extension Bool: JSONDirect {
    static func direct(_ json: JSON) -> Bool? {
        if case .bool(let flag) = json { return flag }
        return nil
    }
}

extension Double: JSONDirect {
    static func direct(_ json: JSON) -> Double? { json.doubleValue }
}

extension Float: JSONDirect {
    static func direct(_ json: JSON) -> Float? { json.doubleValue.map(Float.init) }
}

extension Decimal: JSONDirect {
    static func direct(_ json: JSON) -> Decimal? {
        switch json {
        case .int(let number): return Decimal(number)
        case .double(let number): return Decimal(string: String(number)) ?? Decimal(number)
        default: return nil
        }
    }
}

/// Integers of every width: a value the type cannot hold is a mismatch, never a trap.
extension FixedWidthInteger where Self: JSONDirect {
    static func direct(_ json: JSON) -> Self? {
        guard case .int(let number) = json else { return nil }
        return Self(exactly: number)
    }
}

extension Int: JSONDirect {}
extension Int8: JSONDirect {}
extension Int16: JSONDirect {}
extension Int32: JSONDirect {}
extension Int64: JSONDirect {}
extension UInt: JSONDirect {}
extension UInt8: JSONDirect {}
extension UInt16: JSONDirect {}
extension UInt32: JSONDirect {}
extension UInt64: JSONDirect {}

extension Date: JSONDirect {
    static func direct(_ json: JSON) -> Date? {
        guard case .string(let text) = json else { return nil }
        return JSONValueDecoder.date(text)
    }
}

extension UUID: JSONDirect {
    static func direct(_ json: JSON) -> UUID? {
        guard case .string(let text) = json else { return nil }
        return UUID(uuidString: text)
    }
}

extension URL: JSONDirect {
    static func direct(_ json: JSON) -> URL? {
        guard case .string(let text) = json else { return nil }
        return URL(string: text)
    }
}

extension JSON: JSONDirect {
    static func direct(_ json: JSON) -> JSON? { json }
}

/// Lists of scalars (`tags: [String]`), element by element without a container each; a list
/// with an element that does not fit goes the long way, which names the element's path.
extension Array: JSONDirect where Element: JSONDirect {
    static var isList: Bool { true }

    static func direct(_ json: JSON) -> [Element]? {
        guard case .array(let elements) = json else { return nil }
        var values: [Element] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            guard let value = Element.direct(element) else { return nil }
            values.append(value)
        }
        return values
    }
}

struct JSONKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSON]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap(Key.init(stringValue:)) }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try decoder(for: key).json.isNull }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoder(for: key).direct(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoder(for: key).direct(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decoder(for: key).direct(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decoder(for: key).direct(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decoder(for: key).direct(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decoder(for: key).direct(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decoder(for: key).direct(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decoder(for: key).direct(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoder(for: key).direct(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decoder(for: key).direct(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decoder(for: key).direct(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decoder(for: key).direct(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decoder(for: key).direct(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decoder(for: key).direct(type) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder(for: key).value(type) }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try present(type, key) }

    // The protocol's own defaults for these ask three times (contains, decodeNil, decode).
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try presentDirect(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try presentDirect(type, key) }

    /// Absent or null: nil; otherwise the value (one lookup).
    private func present<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        guard let value = members[key.stringValue], !value.isNull else { return nil }
        return try JSONValueDecoder(value, codingPath: codingPath, key: key).value(type)
    }

    private func presentDirect<D: JSONDirect>(_ type: D.Type, _ key: Key) throws -> D? {
        guard let value = members[key.stringValue], !value.isNull else { return nil }
        return try JSONValueDecoder(value, codingPath: codingPath, key: key).direct(type)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder(for: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder(for: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { JSONValueDecoder(.object(members), codingPath: codingPath) }

    func superDecoder(forKey key: Key) throws -> any Decoder { try decoder(for: key) }

    func decoder(for key: Key) throws -> JSONValueDecoder {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No value for \(key.stringValue)."))
        }
        return JSONValueDecoder(value, codingPath: codingPath, key: key)
    }
}

struct JSONUnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSON]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [JSON], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { throw end(JSON.self) }
        if elements[currentIndex].isNull {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().direct(type) }
    mutating func decode(_ type: String.Type) throws -> String { try next().direct(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().direct(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().direct(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().direct(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().direct(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().direct(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().direct(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().direct(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().direct(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().direct(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().direct(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().direct(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().direct(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().value(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try next() }

    private mutating func next() throws -> JSONValueDecoder {
        guard !isAtEnd else { throw end(JSON.self) }
        let decoder = JSONValueDecoder(elements[currentIndex], codingPath: codingPath, key: IndexKey(currentIndex))
        currentIndex += 1
        return decoder
    }

    private func end(_ type: Any.Type) -> DecodingError {
        .valueNotFound(type, .init(codingPath: codingPath, debugDescription: "The list has no more elements."))
    }
}

/// A list index in a coding path.
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { String(intValue ?? 0) }
    init(_ index: Int) { intValue = index }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}
