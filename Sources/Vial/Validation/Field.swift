import Foundation

/// One field of a request `Schema`: its JSON type, whether it is required or nullable,
/// and the rules its value must pass. Declarations are data — the OpenAPI generator
/// reads them as they are.
public struct Field: Sendable {
    /// The JSON type a value must have.
    public enum Kind: String, Sendable {
        case string, integer, number, boolean
        /// A `YYYY-MM-DD` calendar date, as text.
        case date
        /// An email address, as text.
        case email
        /// An ISO 8601 date and time with a zone (`2026-12-04T09:30:00Z`), as text.
        case dateTime = "date-time"
        /// A UUID (`0F1E…`), as text.
        case uuid
        /// Any JSON value (a job's result, say); only `nullable` and `required` apply.
        case any
        /// A list whose elements each pass `items` (when set).
        case array
        /// An object with `schema`'s fields, or (without a schema) a dictionary whose values
        /// each pass `items`.
        case object
    }

    /// A check on a present, non-null value.
    public enum Rule: Sendable {
        /// Character count (after trimming, when the field trims) within `min...max`.
        case length(min: Int?, max: Int?)
        /// One of the listed values.
        case oneOf([String])
        /// A regular expression the whole text must match; `description` explains it to clients.
        case pattern(String, description: String)
        /// An integer or number within `min...max`.
        case range(min: Double?, max: Double?)
        /// A list (or dictionary) with `min...max` elements.
        case count(min: Int?, max: Int?)
        /// A list whose elements are all different.
        case unique
    }

    public var name: String {
        get { storage.name }
        set { writable().name = newValue }
    }
    public var kind: Kind {
        get { storage.kind }
        set { writable().kind = newValue }
    }
    public var required: Bool {
        get { storage.required }
        set { writable().required = newValue }
    }
    public var nullable: Bool {
        get { storage.nullable }
        set { writable().nullable = newValue }
    }
    /// Sent by the server, refused from clients (`id`, `created_at` …).
    public var readOnly: Bool {
        get { storage.readOnly }
        set { writable().readOnly = newValue }
    }
    /// Trim surrounding whitespace from text before checking and returning it.
    public var trim: Bool {
        get { storage.trim }
        set { writable().trim = newValue }
    }
    public var rules: [Rule] {
        get { storage.rules }
        set { writable().rules = newValue }
    }
    /// One line for generated docs.
    public var description: String? {
        get { storage.description }
        set { writable().description = newValue }
    }
    /// A sample value for generated docs.
    public var example: JSON? {
        get { storage.example }
        set { writable().example = newValue }
    }
    /// The value an absent field takes (an absent field with a default is never missing).
    public var defaultValue: JSON? {
        get { storage.defaultValue }
        set { writable().defaultValue = newValue }
    }
    /// `.object`: the object's own fields (a named schema is a shared OpenAPI component).
    public var schema: Schema? {
        get { storage.schema }
        set { writable().schema = newValue }
    }
    /// `.array`: what every element must be; `.object` without `schema`: what every value must be.
    public var items: Field? {
        get { storage.items }
        set { writable().items = newValue }
    }

    /// The declaration, shared by copies and copied on write: a schema's check copies its
    /// fields often, and one reference costs less than a dozen.
    private var storage: Storage

    private final class Storage: @unchecked Sendable {  // mutated only while uniquely referenced
        var name: String
        var kind: Kind
        var required: Bool
        var nullable: Bool
        var readOnly: Bool
        var trim: Bool
        var rules: [Rule]
        var description: String?
        var example: JSON?
        var defaultValue: JSON?
        var schema: Schema?
        var items: Field?

        init(
            name: String, kind: Kind, required: Bool, nullable: Bool, readOnly: Bool, trim: Bool, rules: [Rule],
            description: String?, example: JSON?, defaultValue: JSON?, schema: Schema?, items: Field?
        ) {
            self.name = name
            self.kind = kind
            self.required = required
            self.nullable = nullable
            self.readOnly = readOnly
            self.trim = trim
            self.rules = rules
            self.description = description
            self.example = example
            self.defaultValue = defaultValue
            self.schema = schema
            self.items = items
        }

        func copy() -> Storage {
            Storage(
                name: name, kind: kind, required: required, nullable: nullable, readOnly: readOnly, trim: trim, rules: rules,
                description: description, example: example, defaultValue: defaultValue, schema: schema, items: items)
        }
    }

    private mutating func writable() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    public init(
        _ name: String, _ kind: Kind, required: Bool = false, nullable: Bool = false, readOnly: Bool = false,
        trim: Bool = false, rules: [Rule] = [], description: String? = nil, example: JSON? = nil,
        items: Field? = nil, schema: Schema? = nil, defaultValue: JSON? = nil
    ) {
        storage = Storage(
            name: name, kind: kind, required: required, nullable: nullable, readOnly: readOnly, trim: trim, rules: rules,
            description: description, example: example, defaultValue: defaultValue, schema: schema, items: items)
    }

    /// A text field.
    public static func string(
        _ name: String, required: Bool = false, nullable: Bool = false, trim: Bool = false, length: ClosedRange<Int>? = nil,
        oneOf: [String]? = nil, pattern: (String, String)? = nil, description: String? = nil, example: String? = nil
    ) -> Field {
        var rules: [Rule] = []
        if let length { rules.append(.length(min: length.lowerBound, max: length.upperBound)) }
        if let oneOf { rules.append(.oneOf(oneOf)) }
        if let pattern { rules.append(.pattern(pattern.0, description: pattern.1)) }
        return Field(
            name, .string, required: required, nullable: nullable, trim: trim, rules: rules, description: description,
            example: example.map(JSON.string))
    }

    /// An integer field, optionally within `range`.
    public static func integer(
        _ name: String, required: Bool = false, nullable: Bool = false, range: ClosedRange<Int>? = nil,
        description: String? = nil
    ) -> Field {
        let rules: [Rule] = range.map { [.range(min: Double($0.lowerBound), max: Double($0.upperBound))] } ?? []
        return Field(name, .integer, required: required, nullable: nullable, rules: rules, description: description)
    }

    /// A list field whose elements are each `items` (its name is not used), with `count` elements
    /// at most/least and, when `unique`, no two equal.
    public static func array(
        _ name: String, of items: Field, required: Bool = false, nullable: Bool = false, count: ClosedRange<Int>? = nil,
        unique: Bool = false, description: String? = nil, example: JSON? = nil
    ) -> Field {
        var rules: [Rule] = []
        if let count { rules.append(.count(min: count.lowerBound, max: count.upperBound)) }
        if unique { rules.append(.unique) }
        return Field(
            name, .array, required: required, nullable: nullable, rules: rules, description: description, example: example,
            items: items)
    }

    /// A nested object field with `schema`'s fields.
    public static func object(
        _ name: String, _ schema: Schema, required: Bool = false, nullable: Bool = false, description: String? = nil
    ) -> Field {
        Field(name, .object, required: required, nullable: nullable, description: description, schema: schema)
    }

    /// A read-only field: present in responses, refused in requests.
    public static func readOnly(_ name: String, _ kind: Kind = .integer) -> Field {
        Field(name, kind, readOnly: true)
    }

    static func failure(of rule: Rule, for value: JSON) -> String? {
        switch rule {
        case .length(let min, let max):
            // Unicode code points, as JSON Schema's maxLength and Python's len() count — not
            // grapheme clusters, of which one can hold any number of combining marks (a 600 KB
            // "one-character" title). So the UTF-8 size is at most 4 bytes per counted character.
            guard let count = value.stringValue?.unicodeScalars.count else { return nil }
            if let min, count < min {
                return max.map { "Length must be between \(min) and \($0)." } ?? "Shorter than minimum length \(min)."
            }
            if let max, count > max {
                return min.map { "Length must be between \($0) and \(max)." } ?? "Longer than maximum length \(max)."
            }
            return nil
        case .oneOf(let choices):
            // Text, or an integer field's number (an `Int` enum's raw values).
            guard let text = value.stringValue ?? value.intValue.map(String.init), !choices.contains(text) else { return nil }
            return "Must be one of: \(choices.joined(separator: ", "))."
        case .pattern(let pattern, let description):
            guard let text = value.stringValue else { return nil }
            return text.range(of: "^(?:\(pattern))$", options: .regularExpression) == nil ? description : nil
        case .range(let min, let max):
            guard let number = value.doubleValue else { return nil }
            if let min, number < min { return "Must be greater than or equal to \(Field.format(min))." }
            if let max, number > max { return "Must be less than or equal to \(Field.format(max))." }
            return nil
        case .count(let min, let max):
            let count: Int
            switch value {
            case .array(let elements): count = elements.count
            case .object(let members): count = members.count
            default: return nil
            }
            if let min, count < min { return "Must hold at least \(min) item\(min == 1 ? "" : "s")." }
            if let max, count > max { return "Must hold at most \(max) item\(max == 1 ? "" : "s")." }
            return nil
        case .unique:
            guard case .array(let elements) = value, Set(elements).count != elements.count else { return nil }
            return "Items must be unique."
        }
    }

    static let nulMessage = "May not contain the NUL character (U+0000)."

    static func format(_ number: Double) -> String {
        number.rounded() == number ? String(Int(number)) : String(number)
    }

    /// A real calendar date in `YYYY-MM-DD` form.
    static func isDate(_ text: String) -> Bool { dateParts(text) != nil }

    /// The year, month and day of a real calendar date in `YYYY-MM-DD` form.
    static func dateParts(_ text: String) -> (year: Int, month: Int, day: Int)? {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for index in range {
                    let digit = bytes[index] &- UInt8(ascii: "0")
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int(digit)
                }
                return value
            }
            guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), (1...12).contains(month),
                year >= 1
            else { return nil }
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
            return (1...days).contains(day) ? (year, month, day) : nil
        }
    }

    /// `text` without the white space (what `CharacterSet.whitespacesAndNewlines` holds) around it; the text itself, not a copy, when there is none (the common case).
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last, isWhitespace(first) || isWhitespace(last) else { return text }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, isWhitespace(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isWhitespace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }

    /// Unicode `White_Space` and U+200B (which Foundation's set also holds, so trimming keeps
    /// its meaning), answered without the property tables for ASCII.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value == 0x20 || (0x09...0x0D).contains(scalar.value) }
        return scalar.value == 0x200B || scalar.properties.isWhitespace
    }

    /// Whether `text` holds U+0000.
    static func containsNUL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in bytes.contains(0) }
    }

    /// `local@domain.tld`: one `@`, no spaces, a dot in the domain, sane lengths.
    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64, text.count <= 254 else { return false }
        let domain = parts[1]
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }) else {
            return false
        }
        let allowedLocal = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$%&'*+/=?^_`{|}~.-"))
        let allowedDomain = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-"))
        return parts[0].unicodeScalars.allSatisfy(allowedLocal.contains) && domain.unicodeScalars.allSatisfy(allowedDomain.contains)
            && !parts[0].hasPrefix(".") && !parts[0].hasSuffix(".") && !parts[0].contains("..")
    }

    /// A real ISO 8601 date-time with a zone: `YYYY-MM-DDTHH:MM:SS(.fraction)(Z|±HH:MM)`.
    static func isDateTime(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 20, utf8.count <= 64, (utf8[10] == UInt8(ascii: "T") || utf8[10] == UInt8(ascii: "t")),
            isDate(String(decoding: utf8[0..<10], as: UTF8.self))
        else { return false }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= utf8.count, utf8[range].allSatisfy({ (48...57).contains($0) }) else { return nil }
            return Int(String(decoding: utf8[range], as: UTF8.self))
        }
        guard let hour = number(11..<13), utf8[13] == UInt8(ascii: ":"), let minute = number(14..<16),
            utf8[16] == UInt8(ascii: ":"), let second = number(17..<19), hour < 24, minute < 60, second < 61
        else { return false }
        var index = 19
        if utf8[index] == UInt8(ascii: ".") {
            index += 1
            let digits = index
            while index < utf8.count, (48...57).contains(utf8[index]) { index += 1 }
            guard index > digits else { return false }
        }
        guard index < utf8.count else { return false }
        if utf8[index] == UInt8(ascii: "Z") || utf8[index] == UInt8(ascii: "z") { return index + 1 == utf8.count }
        guard utf8[index] == UInt8(ascii: "+") || utf8[index] == UInt8(ascii: "-"), index + 6 == utf8.count,
            let zoneHour = number(index + 1..<index + 3), utf8[index + 3] == UInt8(ascii: ":"),
            let zoneMinute = number(index + 4..<index + 6)
        else { return false }
        return zoneHour < 24 && zoneMinute < 60
    }

    /// A UUID in its 8-4-4-4-12 hexadecimal form.
    static func isUUID(_ text: String) -> Bool { text.utf8.count == 36 && UUID(uuidString: text) != nil }
}
