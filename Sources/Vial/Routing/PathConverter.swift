import Foundation

/// Decides whether a path segment fits a `<converter:name>` placeholder, as Werkzeug's converters do.
///
/// A segment a converter rejects makes the rule not match (a 404 before any handler runs).
/// Register your own with `App.addConverter(_:_:)`:
///
/// ```swift
/// struct HexConverter: PathConverter {
///     func matches(_ segment: String) -> Bool { !segment.isEmpty && segment.allSatisfy(\.isHexDigit) }
/// }
/// app.addConverter("hex") { _ in HexConverter() }
/// app.get("/colors/<hex:code>") { req in ... }
/// ```
public protocol PathConverter: Sendable {
    /// Whether `segment` (percent-decoded) is a valid value.
    func matches(_ segment: String) -> Bool
    /// Tried in ascending order when several placeholders could match the same
    /// segment (`int` before `string`, as Werkzeug's weights). Default 100.
    var priority: Int { get }
    /// Whether the placeholder swallows the rest of the path, slashes included (`path`).
    var matchesSlashes: Bool { get }
    /// An identity for clash detection: two rules whose placeholders have equal keys are the same rule.
    var key: String { get }
    /// A regular expression every value this converter accepts matches (`^[0-9a-f]+$`), for the
    /// OpenAPI document's path parameter; nil (the default) documents a plain string.
    var pattern: String? { get }
}

extension PathConverter {
    public var priority: Int { 100 }
    public var matchesSlashes: Bool { false }
    public var key: String { String(describing: self) }
    public var pattern: String? { nil }
}

/// Arguments written in a placeholder: `<string(length=2):code>`, `<any(a, b):kind>`.
public struct ConverterArguments: Sendable, Equatable {
    /// Positional arguments, in order.
    public var positional: [String] = []
    /// Keyword arguments.
    public var named: [String: String] = [:]

    /// The integer keyword argument `name`, or `nil`; throws when present but not an integer.
    public func int(_ name: String) throws -> Int? {
        guard let raw = named[name] else { return nil }
        guard let value = Int(raw) else {
            throw RoutingError.invalidRule("converter argument '\(name)' must be an integer, got '\(raw)'")
        }
        return value
    }

    /// Creates arguments.
    public init(positional: [String] = [], named: [String: String] = [:]) {
        self.positional = positional
        self.named = named
    }
}

/// Makes a converter from its placeholder arguments.
public typealias ConverterFactory = @Sendable (ConverterArguments) throws -> any PathConverter

/// `string` (default): any non-empty text without a slash; `length`, `minlength`, `maxlength` optional.
public struct StringConverter: PathConverter {
    public var minLength = 1
    public var maxLength: Int?
    public var priority: Int { 100 }
    public var key: String { "string(\(minLength),\(maxLength.map(String.init) ?? "-"))" }

    public init(minLength: Int = 1, maxLength: Int? = nil) {
        self.minLength = minLength
        self.maxLength = maxLength
    }

    public func matches(_ segment: String) -> Bool {
        let count = segment.count
        return count >= max(minLength, 1) && (maxLength.map { count <= $0 } ?? true)
    }
}

/// `int`: unsigned decimal digits in canonical form (no leading zeros, no `-0`), so each number
/// has one URL — `/tasks/01` is not an alias of `/tasks/1`; `min`, `max` and `signed=True` optional.
public struct IntConverter: PathConverter {
    public var min: Int?
    public var max: Int?
    public var signed = false
    public var priority: Int { 50 }
    public var key: String { "int(\(min.map(String.init) ?? "-"),\(max.map(String.init) ?? "-"),\(signed))" }

    public init(min: Int? = nil, max: Int? = nil, signed: Bool = false) {
        self.min = min
        self.max = max
        self.signed = signed
    }

    public func matches(_ segment: String) -> Bool {
        var digits = Substring(segment)
        if signed, digits.first == "-" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(segment) else {
            return false
        }
        // Canonical: "0" alone, or no leading zero; and never "-0".
        guard digits == "0" ? segment == "0" : digits.first != "0" else { return false }
        return (min.map { value >= $0 } ?? true) && (max.map { value <= $0 } ?? true)
    }
}

/// `float`: `digits.digits`, as Werkzeug's `FloatConverter`; `signed=True` optional.
public struct FloatConverter: PathConverter {
    public var signed = false
    public var priority: Int { 50 }
    public var key: String { "float(\(signed))" }

    public init(signed: Bool = false) { self.signed = signed }

    public func matches(_ segment: String) -> Bool {
        var text = Substring(segment)
        if signed, text.first == "-" { text = text.dropFirst() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
    }
}

/// `uuid`: the canonical 8-4-4-4-12 hexadecimal form.
public struct UUIDConverter: PathConverter {
    public var priority: Int { 40 }
    public var key: String { "uuid" }
    public init() {}

    public func matches(_ segment: String) -> Bool {
        segment.utf8.count == 36 && UUID(uuidString: segment) != nil
    }
}

/// `path`: the rest of the path, slashes included (non-empty).
public struct PathRestConverter: PathConverter {
    public var priority: Int { 200 }
    public var matchesSlashes: Bool { true }
    public var key: String { "path" }
    public init() {}

    public func matches(_ segment: String) -> Bool { !segment.isEmpty }
}

/// `any(a, b, c)`: one of the listed words.
public struct AnyOfConverter: PathConverter {
    public var choices: [String]
    public var priority: Int { 20 }
    public var key: String { "any(\(choices.sorted().joined(separator: ",")))" }

    public init(_ choices: [String]) { self.choices = choices }

    public func matches(_ segment: String) -> Bool { choices.contains(segment) }
}

/// The converters every app starts with: `default`/`string`, `int`, `float`, `uuid`, `path`, `any`.
public enum BuiltinConverters {
    /// Name → factory.
    public static let all: [String: ConverterFactory] = [
        "default": { _ in StringConverter() },
        "string": { args in
            if let length = try args.int("length") { return StringConverter(minLength: length, maxLength: length) }
            return StringConverter(minLength: try args.int("minlength") ?? 1, maxLength: try args.int("maxlength"))
        },
        "int": { args in
            IntConverter(min: try args.int("min"), max: try args.int("max"), signed: args.named["signed"] == "True")
        },
        "float": { args in FloatConverter(signed: args.named["signed"] == "True") },
        "uuid": { _ in UUIDConverter() },
        "path": { _ in PathRestConverter() },
        "any": { args in
            guard !args.positional.isEmpty else { throw RoutingError.invalidRule("any() needs at least one choice") }
            return AnyOfConverter(args.positional)
        },
    ]
}
