/// A model that writes its own JSON object: the fast path of Vial's response encoder for types
/// answered many at a time (a page of tasks). Through `Encodable`'s containers a model costs a
/// container, a frame and a dynamic dispatch per field, then a sort of its keys; `writeJSON`
/// writes its members straight into the answer's bytes, several times cheaper
/// (docs/performance.md, issue 21).
///
/// `encode(to:)` stays the model's definition: the OpenAPI schema, `JSONValueEncoder`,
/// `JSONEncoder` and every other encoder use it. `writeJSON` must write what `encode(to:)` writes
/// through Vial's encoder: the same keys in ascending order (as Vial sorts them), the same `null`
/// members. Test the two side by side; debug builds also check the key order.
///
/// ```swift
/// extension TaskItem: JSONWritable {
///     public func writeJSON(_ object: inout JSONObjectWriter) throws {
///         object.member("id", id)
///         object.member("status", status.rawValue)
///         object.member("title", title)
///     }
/// }
/// ```
///
/// An array or an optional of a `JSONWritable` takes the fast path too (`[TaskItem]` in a page).
public protocol JSONWritable: Encodable {
    /// Writes this value's members, keys in ascending order.
    func writeJSON(_ object: inout JSONObjectWriter) throws
}

/// Writes one JSON object's members for `JSONWritable.writeJSON`, commas and key text included.
public struct JSONObjectWriter {
    private let arena: JSONArena
    private var first = true
    #if DEBUG
        private var previousKey: String?
    #endif

    init(arena: JSONArena) {
        self.arena = arena
    }

    private mutating func key(_ key: StaticString) {
        #if DEBUG
            let text = key.description
            if let previousKey {
                assert(previousKey < text, "JSONWritable members must come in ascending key order: \(text) after \(previousKey)")
            }
            previousKey = text
        #endif
        if first { first = false } else { arena.append(UInt8(ascii: ",")) }
        arena.appendKey(key)
    }

    /// A text member.
    public mutating func member(_ key: StaticString, _ value: String) {
        self.key(key)
        _ = arena.write(value)
    }

    /// A text member, `null` when nil.
    public mutating func member(_ key: StaticString, _ value: String?) {
        self.key(key)
        if let value { _ = arena.write(value) } else { _ = arena.write(.null) }
    }

    /// A number member.
    public mutating func member(_ key: StaticString, _ value: Int) {
        self.key(key)
        _ = arena.write(value)
    }

    /// A number member, `null` when nil.
    public mutating func member(_ key: StaticString, _ value: Int?) {
        self.key(key)
        if let value { _ = arena.write(value) } else { _ = arena.write(.null) }
    }

    /// A number member.
    public mutating func member(_ key: StaticString, _ value: Int64) {
        member(key, Int(value))
    }

    /// A number member, `null` when nil.
    public mutating func member(_ key: StaticString, _ value: Int64?) {
        member(key, value.map { Int($0) })
    }

    /// A number member, written as Vial writes a `Double`.
    public mutating func member(_ key: StaticString, _ value: Double) {
        self.key(key)
        _ = arena.write(.double(value))
    }

    /// A boolean member.
    public mutating func member(_ key: StaticString, _ value: Bool) {
        self.key(key)
        _ = arena.write(value)
    }

    /// Any other member, through its `encode(to:)` (a nested `JSONWritable` keeps the fast path).
    public mutating func member(_ key: StaticString, _ value: some Encodable) throws {
        self.key(key)
        if try arena.writtenDirectly(value) != nil { return }
        // Encoded on its own and copied: a frame writes its members before its text, and this
        // object's text is being written in place.
        try JSONBytesEncoder.withEncoded(value) { arena.append(contentsOf: $0) }
    }
}

/// Values the arena writes directly: a `JSONWritable`, and arrays and optionals of one
/// (conditional conformances, found by the arena's dynamic cast).
protocol JSONDirectlyWritable {
    func writeDirectly(into arena: JSONArena) throws
}

extension Array: JSONDirectlyWritable where Element: JSONWritable {
    func writeDirectly(into arena: JSONArena) throws {
        arena.append(UInt8(ascii: "["))
        // An index loop: `enumerated()` is not specialised here and cost a fifth of the array.
        for index in indices {
            if index > 0 { arena.append(UInt8(ascii: ",")) }
            try arena.writeObject(self[index])
        }
        arena.append(UInt8(ascii: "]"))
    }
}

extension Optional: JSONDirectlyWritable where Wrapped: JSONWritable {
    func writeDirectly(into arena: JSONArena) throws {
        if let self { try arena.writeObject(self) } else { _ = arena.write(.null) }
    }
}

extension JSONArena {
    /// `"key":`, copied as it is when it needs no escape (every model's keys), else escaped.
    func appendKey(_ key: StaticString) {
        key.withUTF8Buffer { bytes in
            if JSON.isPlain(bytes) {
                appendQuoted(bytes, then: UInt8(ascii: ":"))
            } else {
                _ = write(key.description)
                append(UInt8(ascii: ":"))
            }
        }
    }

    /// `value`'s text written straight into the arena when it takes the fast path; nil otherwise.
    func writtenDirectly(_ value: some Encodable) throws -> Range<Int>? {
        if let writable = value as? any JSONWritable {
            let start = count
            try writeObject(writable)
            return start..<count
        }
        if let direct = value as? any JSONDirectlyWritable {
            let start = count
            try direct.writeDirectly(into: self)
            return start..<count
        }
        return nil
    }

    func writeObject(_ value: some JSONWritable) throws {
        append(UInt8(ascii: "{"))
        var object = JSONObjectWriter(arena: self)
        try value.writeJSON(&object)
        append(UInt8(ascii: "}"))
    }
}
