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
    /// The value as it is written in a URL, before it is checked and percent-encoded (Werkzeug's
    /// `to_url`): `int(fixed_digits=4)` writes 42 as `0042`. The default is the value itself.
    func urlValue(_ value: String) -> String
}

extension PathConverter {
    public var priority: Int { 100 }
    public var matchesSlashes: Bool { false }
    public var key: String { String(describing: self) }
    public var pattern: String? { nil }
    public func urlValue(_ value: String) -> String { value }
}

/// Arguments written in a placeholder: `<string(length=2):code>`, `<any(a, b):kind>`.
public struct ConverterArguments: Sendable, Equatable {
    /// Positional arguments, in order.
    public var positional: [String] = []
    /// Keyword arguments.
    public var named: [String: String] = [:]

    /// The integer keyword argument `name`, or `nil`; throws when present but not an integer.
    public func int(_ name: String) throws -> Int? { try Self.int(named[name], name) }

    /// `value` of argument `name` as an integer (nil stays nil); throws when it is not one.
    static func int(_ value: String?, _ name: String) throws -> Int? {
        guard let value else { return nil }
        guard let number = Int(value) else {
            throw RoutingError.invalidRule("converter argument '\(name)' must be an integer, got '\(value)'")
        }
        return number
    }

    /// `value` of argument `name` as a number (nil stays nil); throws when it is not one.
    static func double(_ value: String?, _ name: String) throws -> Double? {
        guard let value else { return nil }
        guard let number = Double(value), number.isFinite else {
            throw RoutingError.invalidRule("converter argument '\(name)' must be a number, got '\(value)'")
        }
        return number
    }

    /// `value` of argument `name` as a Python boolean (`True`/`False`; nil stays `fallback`).
    static func bool(_ value: String?, _ name: String, default fallback: Bool = false) throws -> Bool {
        switch value {
        case nil: return fallback
        case "True": return true
        case "False": return false
        case let other?: throw RoutingError.invalidRule("converter argument '\(name)' must be True or False, got '\(other)'")
        }
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
/// has one URL — `/tasks/01` is not an alias of `/tasks/1`; Werkzeug's arguments
/// `int(fixed_digits, min, max, signed)`: `fixed_digits=4` takes exactly four digits (`0042`) and
/// writes URLs that way, `signed=True` takes a leading `-`.
public struct IntConverter: PathConverter {
    public var min: Int?
    public var max: Int?
    public var signed = false
    /// Exactly this many digits, zero-padded (0: any count, no leading zeros).
    public var fixedDigits = 0
    public var priority: Int { 50 }
    public var key: String {
        "int(\(min.map(String.init) ?? "-"),\(max.map(String.init) ?? "-"),\(signed),\(fixedDigits))"
    }

    public init(min: Int? = nil, max: Int? = nil, signed: Bool = false, fixedDigits: Int = 0) {
        self.min = min
        self.max = max
        self.signed = signed
        self.fixedDigits = fixedDigits
    }

    public func urlValue(_ value: String) -> String {
        guard fixedDigits > 0, let number = Int(value) else { return value }
        let digits = String(number.magnitude)
        return (number < 0 ? "-" : "") + String(repeating: "0", count: Swift.max(0, fixedDigits - digits.count)) + digits
    }

    public func matches(_ segment: String) -> Bool {
        var digits = Substring(segment)
        if signed, digits.first == "-" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(segment) else {
            return false
        }
        if fixedDigits > 0 {
            guard digits.count == fixedDigits else { return false }
        } else {
            // Canonical: "0" alone, or no leading zero; and never "-0".
            guard digits == "0" ? segment == "0" : digits.first != "0" else { return false }
        }
        return (min.map { value >= $0 } ?? true) && (max.map { value <= $0 } ?? true)
    }
}

/// `float`: `digits.digits`, as Werkzeug's `FloatConverter`; its arguments `float(min, max, signed)`.
public struct FloatConverter: PathConverter {
    public var min: Double?
    public var max: Double?
    public var signed = false
    public var priority: Int { 50 }
    public var key: String { "float(\(min.map { "\($0)" } ?? "-"),\(max.map { "\($0)" } ?? "-"),\(signed))" }

    public init(min: Double? = nil, max: Double? = nil, signed: Bool = false) {
        self.min = min
        self.max = max
        self.signed = signed
    }

    public func matches(_ segment: String) -> Bool {
        var text = Substring(segment)
        if signed, text.first == "-" { text = text.dropFirst() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }) else {
            return false
        }
        guard min != nil || max != nil else { return true }
        guard let value = Double(segment) else { return false }
        return (min.map { value >= $0 } ?? true) && (max.map { value <= $0 } ?? true)
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
    /// Name → factory. Arguments bind as Werkzeug's converters take them, positionally or by
    /// name: `string(minlength, maxlength, length)`, `int(fixed_digits, min, max, signed)`,
    /// `float(min, max, signed)`, `any(*items)`; `uuid` and `path` take none.
    public static let all: [String: ConverterFactory] = [
        "default": string,
        "string": string,
        "int": { args in
            let values = try args.bound(to: ["fixed_digits", "min", "max", "signed"], converter: "int")
            return IntConverter(
                min: try ConverterArguments.int(values["min"], "min"), max: try ConverterArguments.int(values["max"], "max"),
                signed: try ConverterArguments.bool(values["signed"], "signed"),
                fixedDigits: try ConverterArguments.int(values["fixed_digits"], "fixed_digits") ?? 0)
        },
        "float": { args in
            let values = try args.bound(to: ["min", "max", "signed"], converter: "float")
            return FloatConverter(
                min: try ConverterArguments.double(values["min"], "min"),
                max: try ConverterArguments.double(values["max"], "max"),
                signed: try ConverterArguments.bool(values["signed"], "signed"))
        },
        "uuid": { args in
            _ = try args.bound(to: [], converter: "uuid")
            return UUIDConverter()
        },
        "path": { args in
            _ = try args.bound(to: [], converter: "path")
            return PathRestConverter()
        },
        "any": { args in
            guard !args.positional.isEmpty else { throw RoutingError.invalidRule("any() needs at least one choice") }
            guard args.named.isEmpty else { throw RoutingError.invalidRule("any() takes its choices positionally") }
            return AnyOfConverter(args.positional)
        },
    ]

    private static let string: ConverterFactory = { args in
        let values = try args.bound(to: ["minlength", "maxlength", "length"], converter: "string")
        if let length = try ConverterArguments.int(values["length"], "length") {
            return StringConverter(minLength: length, maxLength: length)
        }
        return StringConverter(
            minLength: try ConverterArguments.int(values["minlength"], "minlength") ?? 1,
            maxLength: try ConverterArguments.int(values["maxlength"], "maxlength"))
    }
}
