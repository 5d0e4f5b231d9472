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
        /// Any JSON value (a job's result, say); only `nullable` and `required` apply.
        case any
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
    }

    public var name: String
    public var kind: Kind
    public var required: Bool
    public var nullable: Bool
    /// Sent by the server, refused from clients (`id`, `created_at` …).
    public var readOnly: Bool
    /// Trim surrounding whitespace from text before checking and returning it.
    public var trim: Bool
    public var rules: [Rule]
    /// One line for generated docs.
    public var description: String?
    /// A sample value for generated docs.
    public var example: JSON?

    public init(
        _ name: String, _ kind: Kind, required: Bool = false, nullable: Bool = false, readOnly: Bool = false,
        trim: Bool = false, rules: [Rule] = [], description: String? = nil, example: JSON? = nil
    ) {
        self.example = example
        self.name = name
        self.kind = kind
        self.required = required
        self.nullable = nullable
        self.readOnly = readOnly
        self.trim = trim
        self.rules = rules
        self.description = description
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

    /// A read-only field: present in responses, refused in requests.
    public static func readOnly(_ name: String, _ kind: Kind = .integer) -> Field {
        Field(name, kind, readOnly: true)
    }

    /// Checks `value`; returns the (possibly trimmed) value or the messages for this field.
    func check(_ value: JSON) -> Outcome {
        if value.isNull {
            return nullable ? .valid(.null) : .invalid(["Field may not be null."])
        }
        var value = value
        switch kind {
        case .string, .date, .email:
            guard var text = value.stringValue else { return .invalid(["Not a valid string."]) }
            // Neither database keeps it intact (SQLite cuts the text there, PostgreSQL refuses it).
            if text.utf8.contains(0) { return .invalid([Field.nulMessage]) }
            if trim { text = text.trimmingCharacters(in: .whitespacesAndNewlines) }
            value = .string(text)
            if kind == .date, !Field.isDate(text) { return .invalid(["Not a valid date (YYYY-MM-DD)."]) }
            if kind == .email, !Field.isEmail(text) { return .invalid(["Not a valid email address."]) }
        case .integer:
            guard case .int = value else { return .invalid(["Not a valid integer."]) }
        case .number:
            guard value.isNumber else { return .invalid(["Not a valid number."]) }
        case .boolean:
            guard value.boolValue != nil else { return .invalid(["Not a valid boolean."]) }
        case .any:
            break
        }
        let messages = rules.compactMap { rule in Field.failure(of: rule, for: value) }
        return messages.isEmpty ? .valid(value) : .invalid(messages)
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
            guard let text = value.stringValue, !choices.contains(text) else { return nil }
            return "Must be one of: \(choices.joined(separator: ", "))."
        case .pattern(let pattern, let description):
            guard let text = value.stringValue else { return nil }
            return text.range(of: "^(?:\(pattern))$", options: .regularExpression) == nil ? description : nil
        case .range(let min, let max):
            guard let number = value.doubleValue else { return nil }
            if let min, number < min { return "Must be greater than or equal to \(Field.format(min))." }
            if let max, number > max { return "Must be less than or equal to \(Field.format(max))." }
            return nil
        }
    }

    static let nulMessage = "May not contain the NUL character (U+0000)."

    static func format(_ number: Double) -> String {
        number.rounded() == number ? String(Int(number)) : String(number)
    }

    /// A real calendar date in `YYYY-MM-DD` form.
    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            (1...12).contains(month), year >= 1
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
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

    /// A checked value, or what is wrong with it.
    enum Outcome {
        case valid(JSON)
        case invalid([String])
    }
}
