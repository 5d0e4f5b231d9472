import NIOCore

extension JSON {
    /// The compact JSON text of this value, object keys sorted.
    public var serialized: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        write(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the compact JSON text of this value to `bytes`.
    public func write(into bytes: inout [UInt8]) {
        writeJSON(into: &bytes)
    }

    /// Appends the compact JSON text of this value to `buffer` (no intermediate array).
    public func write(into buffer: inout ByteBuffer) {
        writeJSON(into: &buffer)
    }

    func writeJSON<Sink: JSONSink>(into bytes: inout Sink) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): JSON.writeInt(value, into: &bytes)
        case .double(let value):
            if value.isFinite {
                bytes.append(contentsOf: value.description.utf8)
            } else {
                bytes.append(contentsOf: "null".utf8)  // JSON has no NaN or infinity
            }
        case .string(let value): JSON.writeString(value, into: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                element.writeJSON(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            // The members sorted as pairs: looking each sorted key up again hashed it twice.
            for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSON.writeString(member.key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                member.value.writeJSON(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    static let hexDigits = Array("0123456789abcdef".utf8)

    /// Writes `value`'s decimal digits (no `String` made for it).
    static func writeInt<Sink: JSONSink>(_ value: Int, into bytes: inout Sink) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // The magnitude as unsigned (`Int.min` has none as an `Int`), its digits written from the
        // end of a stack buffer: 20 is as many as a 64-bit magnitude has.
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Whether UTF-8 `bytes` go into a JSON string as they are: no quote, backslash or control
    /// character.
    static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
        return true
    }

    /// Writes `string` as a JSON string literal, escaping quotes, backslashes and control characters.
    static func writeString<Sink: JSONSink>(_ string: String, into bytes: inout Sink) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings need no escaping: copy them in one go (scanned over their contiguous
        // bytes, a tight loop, where `allSatisfy` over the UTF-8 view was not).
        var string = string
        let plain = string.withUTF8(isPlain)
        if plain {
            bytes.append(contentsOf: string.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized }
}

/// Where the serializer writes: a byte array or a NIO `ByteBuffer`.
protocol JSONSink {
    mutating func append(_ byte: UInt8)
    mutating func append<Bytes: Sequence<UInt8>>(contentsOf bytes: Bytes)
}

extension Array: JSONSink where Element == UInt8 {}

extension ByteBuffer: JSONSink {
    mutating func append(_ byte: UInt8) { writeInteger(byte) }
    mutating func append<Bytes: Sequence<UInt8>>(contentsOf bytes: Bytes) { writeBytes(bytes) }
}
