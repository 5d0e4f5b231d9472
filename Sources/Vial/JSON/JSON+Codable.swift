import Foundation

extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Converts any `Encodable` value into a `JSON` tree (through `JSONValueEncoder`: UUIDs
    /// lower case, dates ISO 8601).
    public init(encoding value: some Encodable) throws {
        self = try JSONValueEncoder().encode(value)
    }
}

/// The shared, configured coders Vial uses for request and response bodies.
public enum JSONCoding {
    /// The compact JSON text of `value`, as Vial writes every body: keys sorted (stable bytes),
    /// UUIDs lower case, ISO 8601 dates, slashes not escaped (`JSONValueEncoder`'s forms, written
    /// without the tree by `JSONBytesEncoder`).
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try JSONBytesEncoder.encode(value, into: &bytes)
        return bytes
    }

    /// Foundation's encoder set up as close to Vial's as it goes: sorted keys, ISO 8601 dates,
    /// no escaped slashes — but UUIDs upper case. Vial's own bodies use `encode(_:)`.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// ISO 8601 dates.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
