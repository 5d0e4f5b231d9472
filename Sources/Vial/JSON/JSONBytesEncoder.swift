import Foundation

/// Encodes any `Encodable` straight into JSON text: the same bytes as `JSONValueEncoder` then
/// `JSON.write` (keys sorted, Vial's forms for the Foundation types, the last of two writes of
/// one key kept), without building the `JSON` tree between them. Response bodies go through
/// here; the tree's dictionaries (a hash per member, twice) and enums were most of an uncached
/// task list's encoding (Benchmarks/instructions.py).
///
/// How: every value is written into one byte arena as it is encoded. An object's members are
/// kept as (key, range of the value's bytes); when the object is done they are sorted and its
/// text is written at the end of the arena, copying each member's bytes (a copy per level of
/// nesting, which costs far less than the tree did). Nested containers handed out by
/// `nestedContainer`/`superEncoder` may be written to later, so they are written out when their
/// parent is done.
enum JSONBytesEncoder {
    /// Appends `value`'s compact JSON text to `bytes`.
    static func encode(_ value: some Encodable, into bytes: inout [UInt8]) throws {
        try withEncoded(value) { bytes.append(contentsOf: $0) }
    }

    /// Calls `body` with `value`'s compact JSON text (valid only during the call).
    static func withEncoded<R>(_ value: some Encodable, _ body: (UnsafeBufferPointer<UInt8>) -> R) throws -> R {
        let arena = JSONArena(capacity: 1024)
        let root = JSONFrame(parent: nil, key: nil)
        try arena.encodeValue(value, into: root)
        return arena.withBytes(arena.finish(root), body)
    }
}

/// The bytes written so far: a buffer of its own (appending from a range of itself is a copy
/// into its own spare room, which an array would turn into a copy of the whole array).
final class JSONArena: JSONSink {
    // One encoder writes an arena, on one thread (as `JSONFrame`): no dynamic exclusivity checks,
    // which each append paid for three times.
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private(set) var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    private func reserve(_ extra: Int) {
        if count + extra > capacity { grow(extra) }
    }

    @inline(never)
    private func grow(_ extra: Int) {
        let grown = Swift.max(capacity * 2, count + extra)
        let new = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        new.update(from: base, count: count)
        base.deallocate()
        base = new
        capacity = grown
    }

    func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    func append<Bytes: Sequence<UInt8>>(contentsOf bytes: Bytes) {
        let copied: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            reserve(buffer.count)
            (base + count).update(from: buffer.baseAddress!, count: buffer.count)
            count += buffer.count
        }
        if copied == nil { for byte in bytes { append(byte) } }
    }

    /// `"bytes"`, then `last` if given: bytes that need no escaping, quoted, in one copy.
    func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, then last: UInt8? = nil) {
        reserve(bytes.count + 3)
        let start = base + count
        start[0] = UInt8(ascii: "\"")
        if let address = bytes.baseAddress { (start + 1).update(from: address, count: bytes.count) }
        start[bytes.count + 1] = UInt8(ascii: "\"")
        count += bytes.count + 2
        if let last {
            start[bytes.count + 2] = last
            count += 1
        }
    }

    /// Appends the bytes at `range` (written earlier) again.
    func appendCopy(of range: Range<Int>) {
        reserve(range.count)
        (base + count).update(from: base + range.lowerBound, count: range.count)
        count += range.count
    }

    func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        body(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// Writes what `write` appends and returns where it went.
    @inline(__always)
    func written(_ write: (JSONArena) -> Void) -> Range<Int> {
        let start = count
        write(self)
        return start..<count
    }

    func write(_ json: JSON) -> Range<Int> {
        written { arena in
            var sink = arena
            json.writeJSON(into: &sink)
        }
    }

    func write(_ string: String) -> Range<Int> {
        let start = count
        var string = string
        // As `JSON.writeString`, with a string that needs no escape (most) copied in one go.
        let plain = string.withUTF8 { utf8 in
            guard JSON.isPlain(utf8) else { return false }
            appendQuoted(utf8)
            return true
        }
        if !plain {
            var sink = self
            JSON.writeString(string, into: &sink)
        }
        return start..<count
    }

    func write(_ number: Int) -> Range<Int> {
        written { arena in
            var sink = arena
            JSON.writeInt(number, into: &sink)
        }
    }

    func write(_ flag: Bool) -> Range<Int> {
        written { $0.append(contentsOf: (flag ? "true" : "false").utf8) }
    }

    // MARK: Encoding

    /// Encodes `value` into `frame`, with Vial's forms for the Foundation types; a `JSONWritable`
    /// (or an array of them) writes itself.
    func encodeValue(_ value: some Encodable, into frame: JSONFrame) throws {
        if let json = ValueEncoderSpecial.special(value) {
            frame.setValue(write(json))
            return
        }
        if let range = try writtenDirectly(value) {
            frame.setValue(range)
            return
        }
        try value.encode(to: JSONFrameEncoder(arena: self, frame: frame))
        // A type that wrote nothing (an empty struct) is an empty object, as JSONEncoder writes it.
        if case .nothing = frame.kind { frame.kind = .keyed }
    }

    /// A member's or element's value, written: scalars at once, anything else through a frame
    /// of its own, done when its `encode(to:)` returns.
    func encodeChild(_ value: some Encodable, parent: JSONFrame, key: @autoclosure () -> any CodingKey) throws
        -> JSONFrame.Part
    {
        if let text = exactly(value, String.self) { return .bytes(write(text)) }
        if let number = exactly(value, Int.self) { return .bytes(write(number)) }
        if let flag = exactly(value, Bool.self) { return .bytes(write(flag)) }
        if let number = exactly(value, Double.self) { return .bytes(write(.double(number))) }
        // Optional scalars (a model's nullable columns) without a frame and a container each.
        if let text = exactly(value, String?.self) { return .bytes(text.map(write) ?? write(.null)) }
        if let number = exactly(value, Int?.self) { return .bytes(number.map(write) ?? write(.null)) }
        if let number = exactly(value, Int64?.self) { return .bytes(number.map { write(Int($0)) } ?? write(.null)) }
        if let flag = exactly(value, Bool?.self) { return .bytes(flag.map(write) ?? write(.null)) }
        if let number = exactly(value, Double?.self) { return .bytes(write(number.map(JSON.double) ?? .null)) }
        let child = makeFrame(parent: parent, key: key())
        try encodeValue(value, into: child)
        let range = finish(child)
        spareFrames.append(child)  // done: its `encode(to:)` has returned
        return .bytes(range)
    }

    /// Frames of children already written, for the next ones (a page of models makes one a field).
    private var spareFrames: [JSONFrame] = []
    var shapes: [JSONShape] = []

    private func makeFrame(parent: JSONFrame, key: any CodingKey) -> JSONFrame {
        guard let frame = spareFrames.popLast() else { return JSONFrame(parent: parent, key: key) }
        frame.reset(parent: parent, key: key)
        return frame
    }

    /// Writes `frame`'s text at the end of the arena and returns where it is.
    func finish(_ frame: JSONFrame) -> Range<Int> {
        switch frame.kind {
        case .nothing: return write(.null)  // a super encoder nobody wrote to
        case .value: return frame.value
        case .keyed:
            var members = frame.members
            for index in members.indices {
                if case .frame(let nested) = members[index].part { members[index].part = .bytes(finish(nested)) }
            }
            let shape = shape(of: members)
            return written { arena in
                arena.append(UInt8(ascii: "{"))
                for (position, index) in shape.order.enumerated() {
                    if position > 0 { arena.append(UInt8(ascii: ",")) }
                    shape.keys.withUnsafeBufferPointer { keys in
                        arena.append(contentsOf: UnsafeBufferPointer(rebasing: keys[shape.keyRanges[position]]))
                    }
                    arena.appendCopy(of: members[index].part.range)
                }
                arena.append(UInt8(ascii: "}"))
            }
        case .unkeyed:
            var elements = frame.elements
            for index in elements.indices {
                if case .frame(let nested) = elements[index] { elements[index] = .bytes(finish(nested)) }
            }
            return written { arena in
                arena.append(UInt8(ascii: "["))
                for (index, element) in elements.enumerated() {
                    if index > 0 { arena.append(UInt8(ascii: ",")) }
                    arena.appendCopy(of: element.range)
                }
                arena.append(UInt8(ascii: "]"))
            }
        }
    }
}

/// The order an object's members are written in and their keys' text (`"key":`), kept for the
/// next object with the same keys in the same order: the models of a page share one, so their
/// keys are sorted and escaped once.
struct JSONShape {
    let names: [String]
    /// `order[position]` is the index of the member written at `position`.
    let order: [Int]
    let keys: [UInt8]
    let keyRanges: [Range<Int>]

    init(_ members: [JSONFrame.Member]) {
        names = members.map(\.key)
        let sorted = members.indices.sorted { members[$0].key != members[$1].key ? members[$0].key < members[$1].key : $0 < $1 }
        // Of two members with one key, the one written last (as a dictionary keeps it).
        order = sorted.enumerated().compactMap { position, index in
            position + 1 < sorted.count && members[sorted[position + 1]].key == members[index].key ? nil : index
        }
        var keys: [UInt8] = []
        var ranges: [Range<Int>] = []
        for index in order {
            let start = keys.count
            JSON.writeString(members[index].key, into: &keys)
            keys.append(UInt8(ascii: ":"))
            ranges.append(start..<keys.count)
        }
        self.keys = keys
        keyRanges = ranges
    }

    func fits(_ members: [JSONFrame.Member]) -> Bool {
        guard members.count == names.count else { return false }
        for index in members.indices where members[index].key != names[index] { return false }
        return true
    }
}

extension JSONArena {
    /// The shape of an object with these members: one seen before, or a new one remembered
    /// (the last few: a page has its envelope, its meta and its models).
    func shape(of members: [JSONFrame.Member]) -> JSONShape {
        for shape in shapes where shape.fits(members) { return shape }
        let shape = JSONShape(members)
        if shapes.count == 4 { shapes.removeFirst() }
        shapes.append(shape)
        return shape
    }
}

/// One value being encoded: a scalar's bytes, an object's members or an array's elements.
final class JSONFrame {
    enum Kind { case nothing, value, keyed, unkeyed }

    /// A written value, or a nested container written when its parent is done.
    enum Part {
        case bytes(Range<Int>)
        case frame(JSONFrame)

        var range: Range<Int> {
            guard case .bytes(let range) = self else { preconditionFailure("a nested frame is finished first") }
            return range
        }
    }

    struct Member {
        let key: String
        var part: Part
    }

    private(set) var parent: JSONFrame?
    private(set) var key: (any CodingKey)?
    // One encoder fills a frame, on one thread (as `ValueBox`).
    @exclusivity(unchecked) var kind = Kind.nothing
    @exclusivity(unchecked) var value: Range<Int> = 0..<0
    @exclusivity(unchecked) var members: [Member] = []
    @exclusivity(unchecked) var elements: [Part] = []

    init(parent: JSONFrame?, key: (any CodingKey)?) {
        self.parent = parent
        self.key = key
    }

    /// The keys from the root to here, for errors (walked only when asked for).
    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var frame: JSONFrame? = self
        while let current = frame, let key = current.key {
            path.append(key)
            frame = current.parent
        }
        return path.reversed()
    }

    /// Empty again, for another child (`JSONArena` reuses finished frames).
    func reset(parent: JSONFrame, key: any CodingKey) {
        self.parent = parent
        self.key = key
        kind = .nothing
        members.removeAll(keepingCapacity: true)
        elements.removeAll(keepingCapacity: true)
    }

    func setValue(_ range: Range<Int>) {
        kind = .value
        value = range
        members = []
        elements = []
    }

    func becomeKeyed() {
        guard kind != .keyed else { return }
        kind = .keyed
        members.reserveCapacity(8)  // a model's fields, without regrowing
        elements = []
    }

    func becomeUnkeyed() {
        guard kind != .unkeyed else { return }
        kind = .unkeyed
        members = []
    }
}

private struct JSONFrameEncoder: Encoder {
    let arena: JSONArena
    let frame: JSONFrame
    var codingPath: [any CodingKey] { frame.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        frame.becomeKeyed()
        return KeyedEncodingContainer(BytesKeyedContainer<Key>(arena: arena, frame: frame))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        frame.becomeUnkeyed()
        return BytesUnkeyedContainer(arena: arena, frame: frame)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        BytesSingleContainer(arena: arena, frame: frame)
    }
}

private struct BytesKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let arena: JSONArena
    let frame: JSONFrame
    var codingPath: [any CodingKey] { frame.codingPath }

    private func put(_ key: Key, _ range: Range<Int>) { frame.members.append(.init(key: key.stringValue, part: .bytes(range))) }

    mutating func encodeNil(forKey key: Key) throws { put(key, arena.write(.null)) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(key, arena.write(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(key, arena.write(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(key, arena.write(.double(value))) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(key, arena.write(.double(Double(value)))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(key, arena.write(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(key, arena.write(Int(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(key, arena.write(Int(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(key, arena.write(Int(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(key, arena.write(Int(value))) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(key, arena.write(unsignedJSON(value))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(key, arena.write(Int(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(key, arena.write(Int(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(key, arena.write(Int(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(key, arena.write(unsignedJSON(UInt(value)))) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let part = try arena.encodeChild(value, parent: frame, key: key)
        frame.members.append(.init(key: key.stringValue, part: part))
    }

    private func nested(_ key: Key) -> JSONFrame {
        let child = JSONFrame(parent: frame, key: key)
        frame.members.append(.init(key: key.stringValue, part: .frame(child)))
        return child
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        JSONFrameEncoder(arena: arena, frame: nested(key)).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        JSONFrameEncoder(arena: arena, frame: nested(key)).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { JSONFrameEncoder(arena: arena, frame: nested(key)) }
}

private struct BytesUnkeyedContainer: UnkeyedEncodingContainer {
    let arena: JSONArena
    let frame: JSONFrame
    var codingPath: [any CodingKey] { frame.codingPath }
    var count: Int { frame.elements.count }

    private struct Index: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    private func append(_ range: Range<Int>) { frame.elements.append(.bytes(range)) }

    mutating func encodeNil() throws { append(arena.write(.null)) }
    mutating func encode(_ value: Bool) throws { append(arena.write(value)) }
    mutating func encode(_ value: String) throws { append(arena.write(value)) }
    mutating func encode(_ value: Double) throws { append(arena.write(.double(value))) }
    mutating func encode(_ value: Float) throws { append(arena.write(.double(Double(value)))) }
    mutating func encode(_ value: Int) throws { append(arena.write(value)) }
    mutating func encode(_ value: Int8) throws { append(arena.write(Int(value))) }
    mutating func encode(_ value: Int16) throws { append(arena.write(Int(value))) }
    mutating func encode(_ value: Int32) throws { append(arena.write(Int(value))) }
    mutating func encode(_ value: Int64) throws { append(arena.write(Int(value))) }
    mutating func encode(_ value: UInt) throws { append(arena.write(unsignedJSON(value))) }
    mutating func encode(_ value: UInt8) throws { append(arena.write(Int(value))) }
    mutating func encode(_ value: UInt16) throws { append(arena.write(Int(value))) }
    mutating func encode(_ value: UInt32) throws { append(arena.write(Int(value))) }
    mutating func encode(_ value: UInt64) throws { append(arena.write(unsignedJSON(UInt(value)))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        frame.elements.append(try arena.encodeChild(value, parent: frame, key: Index(index)))
    }

    private func nested() -> JSONFrame {
        let child = JSONFrame(parent: frame, key: Index(count))
        frame.elements.append(.frame(child))
        return child
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        JSONFrameEncoder(arena: arena, frame: nested()).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONFrameEncoder(arena: arena, frame: nested()).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { JSONFrameEncoder(arena: arena, frame: nested()) }
}

private struct BytesSingleContainer: SingleValueEncodingContainer {
    let arena: JSONArena
    let frame: JSONFrame
    var codingPath: [any CodingKey] { frame.codingPath }

    mutating func encodeNil() throws { frame.setValue(arena.write(.null)) }
    mutating func encode(_ value: Bool) throws { frame.setValue(arena.write(value)) }
    mutating func encode(_ value: String) throws { frame.setValue(arena.write(value)) }
    mutating func encode(_ value: Double) throws { frame.setValue(arena.write(.double(value))) }
    mutating func encode(_ value: Float) throws { frame.setValue(arena.write(.double(Double(value)))) }
    mutating func encode(_ value: Int) throws { frame.setValue(arena.write(value)) }
    mutating func encode(_ value: Int8) throws { frame.setValue(arena.write(Int(value))) }
    mutating func encode(_ value: Int16) throws { frame.setValue(arena.write(Int(value))) }
    mutating func encode(_ value: Int32) throws { frame.setValue(arena.write(Int(value))) }
    mutating func encode(_ value: Int64) throws { frame.setValue(arena.write(Int(value))) }
    mutating func encode(_ value: UInt) throws { frame.setValue(arena.write(unsignedJSON(value))) }
    mutating func encode(_ value: UInt8) throws { frame.setValue(arena.write(Int(value))) }
    mutating func encode(_ value: UInt16) throws { frame.setValue(arena.write(Int(value))) }
    mutating func encode(_ value: UInt32) throws { frame.setValue(arena.write(Int(value))) }
    mutating func encode(_ value: UInt64) throws { frame.setValue(arena.write(unsignedJSON(UInt(value)))) }

    mutating func encode<T: Encodable>(_ value: T) throws { try arena.encodeValue(value, into: frame) }
}
