import NIOCore

/// A value in Redis's protocol (RESP2): what a command is sent as and what a reply is read as.
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int)
    /// A bulk string; `nil` is RESP's null bulk string (`$-1`).
    case bulkString([UInt8]?)
    /// An array; `nil` is RESP's null array (`*-1`).
    case array([RESPValue]?)

    /// The text of a simple or bulk string.
    public var string: String? {
        switch self {
        case .simpleString(let text): return text
        case .bulkString(let bytes?): return String(decoding: bytes, as: UTF8.self)
        default: return nil
        }
    }

    /// An integer reply, or a string reply that holds one (`GET` of a counter).
    public var int: Int? {
        switch self {
        case .integer(let value): return value
        default: return string.flatMap { Int($0) }
        }
    }

    /// Whether this is a null bulk string or null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): return true
        default: return false
        }
    }

    /// Appends a command (an array of bulk strings) in RESP to `buffer`.
    public static func writeCommand(_ arguments: [String], into buffer: inout ByteBuffer) {
        writeCommand(arguments.map { Array($0.utf8) }, into: &buffer)
    }

    /// Appends a command whose arguments are raw bytes (binary-safe values).
    public static func writeCommand(_ arguments: [[UInt8]], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            buffer.writeString("$\(argument.count)\r\n")
            buffer.writeBytes(argument)
            buffer.writeStaticString("\r\n")
        }
    }
}

/// A reply Redis sent as an error (`-ERR …`).
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "Redis: \(message)" }
}

/// Reads RESP values from bytes as they arrive: `parse` returns a value once all of it is
/// in the buffer and leaves the buffer untouched otherwise.
public enum RESPParser {
    /// Bulk strings and arrays larger than this are refused as malformed.
    public static let maxLength = 512 * 1024 * 1024
    static let maxDepth = 64

    public struct MalformedReply: Error, Sendable {
        public let reason: String
    }

    /// The next complete value, consumed from `buffer`; `nil` (buffer untouched) if incomplete.
    public static func parse(_ buffer: inout ByteBuffer) throws(MalformedReply) -> RESPValue? {
        var copy = buffer
        guard let value = try parseValue(&copy, depth: 0) else { return nil }
        buffer = copy
        return value
    }

    private static func parseValue(_ buffer: inout ByteBuffer, depth: Int) throws(MalformedReply) -> RESPValue? {
        guard depth < maxDepth else { throw MalformedReply(reason: "nested too deeply") }
        guard let kind = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        guard let line = readLine(&buffer, skipping: 1) else { return nil }
        switch kind {
        case UInt8(ascii: "+"): return .simpleString(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"):
            guard let value = Int(line) else { throw MalformedReply(reason: "bad integer '\(line.prefix(32))'") }
            return .integer(value)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1, length <= maxLength else {
                throw MalformedReply(reason: "bad bulk length '\(line.prefix(32))'")
            }
            if length == -1 { return .bulkString(nil) }
            guard buffer.readableBytes >= length + 2, let bytes = buffer.readBytes(length: length) else { return nil }
            guard buffer.readInteger(as: UInt8.self) == UInt8(ascii: "\r"), buffer.readInteger(as: UInt8.self) == UInt8(ascii: "\n") else {
                throw MalformedReply(reason: "bulk string not followed by CRLF")
            }
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1, count <= maxLength else {
                throw MalformedReply(reason: "bad array length '\(line.prefix(32))'")
            }
            if count == -1 { return .array(nil) }
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                guard let element = try parseValue(&buffer, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw MalformedReply(reason: "unknown type byte \(kind)")
        }
    }

    /// The line after `skipping` bytes, up to CRLF (consumed); nil if no CRLF yet.
    private static func readLine(_ buffer: inout ByteBuffer, skipping: Int) -> String? {
        let view = buffer.readableBytesView
        guard let newline = view.dropFirst(skipping).firstIndex(of: UInt8(ascii: "\n")),
            newline > view.startIndex + skipping, view[newline - 1] == UInt8(ascii: "\r")
        else { return nil }
        let text = String(decoding: view[(view.startIndex + skipping)..<(newline - 1)], as: UTF8.self)
        buffer.moveReaderIndex(forwardBy: newline + 1 - view.startIndex)
        return text
    }
}

/// Replies as they arrive on a connection: chunks are appended, and every complete value is
/// handed on in order (a value split across reads waits for the rest).
struct RESPReader {
    private var received: ByteBuffer?

    /// Adds `chunk` and calls `each` for every value now complete; a malformed reply throws.
    mutating func read(_ chunk: ByteBuffer, _ each: (RESPValue) throws -> Void) throws {
        var chunk = chunk
        if received == nil { received = chunk } else { received!.writeBuffer(&chunk) }
        while var buffer = received, let value = try RESPParser.parse(&buffer) {
            received = buffer.readableBytes > 0 ? buffer : nil
            try each(value)
        }
    }
}
