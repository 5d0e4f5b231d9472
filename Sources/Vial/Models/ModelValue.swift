import Foundation

/// A scalar type of your own in a `Model` (an ISBN, a currency code…): it says how it is
/// documented and checked, and gives a placeholder the schema learner can hand back (its
/// `init(from:)` is not run while learning, so it may refuse what it likes).
///
/// ```swift
/// struct ISBN: ModelValue {
///     let text: String
///     init(from decoder: any Decoder) throws { … }
///     static let modelField = Field("", .string, rules: [.pattern("97[89][0-9]{10}", description: "Not an ISBN-13.")])
///     static let placeholder = ISBN(text: "9780000000002")
/// }
/// ```
public protocol ModelValue: Decodable {
    /// The field this type is (its name is replaced by the property's).
    static var modelField: Field { get }
    /// Any valid value.
    static var placeholder: Self { get }
}

/// A PATCH field that tells "absent" (leave it), `null` (clear it) and a value apart, which an
/// optional cannot: `var dueDate: Patch<CalendarDate>`.
public enum Patch<Value> {
    case absent
    case null
    case value(Value)

    /// The value, when one was sent.
    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }

    /// Whether the client sent the field (as a value or as null).
    public var isPresent: Bool {
        if case .absent = self { return false }
        return true
    }
}

extension Patch: Sendable where Value: Sendable {}
extension Patch: Equatable where Value: Equatable {}

extension Patch: Decodable where Value: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = container.decodeNil() ? .null : .value(try container.decode(Value.self))
    }
}

extension KeyedDecodingContainer {
    /// Decodes a `Patch` property: absent when the key is missing, null when it is null.
    /// (Synthesized `init(from:)` calls this overload for `Patch` properties.)
    public func decode<Value: Decodable>(_ type: Patch<Value>.Type, forKey key: Key) throws -> Patch<Value> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(Value.self, forKey: key))
    }
}

/// A calendar date without a time or zone (`2026-12-04`), as JSON text: a due date, a birthday.
public struct CalendarDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible, ModelValue {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; nil for anything else, or a day the calendar does not have.
    public init?(_ text: String) {
        guard let parts = Field.dateParts(text) else { return nil }
        self.init(year: parts.year, month: parts.month, day: parts.day)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CalendarDate(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Not a valid date (YYYY-MM-DD).")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public var description: String {
        func padded(_ number: Int, _ width: Int) -> String {
            let digits = String(number)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public static let modelField = Field("", .date)
    public static let placeholder = CalendarDate(year: 2000, month: 1, day: 1)
}

/// An email address (`local@domain.tld`), as JSON text, lowercased by `normalized`.
public struct EmailAddress: Hashable, Sendable, Codable, CustomStringConvertible, ModelValue {
    /// The address as sent (after a field's trim).
    public var text: String

    /// Parses `text`; nil when it is not an address.
    public init?(_ text: String) {
        guard Field.isEmail(text) else { return nil }
        self.text = text
    }

    /// An address checked before (read back from storage), taken as it is.
    public init(verbatim text: String) { self.text = text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let address = EmailAddress(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Not a valid email address.")
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// The address lowercased, for storing and comparing.
    public var normalized: String { text.lowercased() }
    public var description: String { text }

    public static let modelField = Field("", .email)
    public static let placeholder = EmailAddress("someone@example.com")!
}
