import Foundation

/// A type a path parameter, query arg or form field can be converted to.
///
/// String-backed enums get it for free: `extension TaskStatus: ParameterConvertible {}`.
public protocol ParameterConvertible: Sendable {
    /// Converts the text, or returns `nil` when it is not a valid value.
    init?(parameter: String)
}

extension String: ParameterConvertible {
    public init?(parameter: String) { self = parameter }
}

extension Int: ParameterConvertible {
    public init?(parameter: String) { self.init(parameter) }
}

extension Int64: ParameterConvertible {
    public init?(parameter: String) { self.init(parameter) }
}

extension Double: ParameterConvertible {
    public init?(parameter: String) {
        guard let value = Double(parameter), value.isFinite else { return nil }
        self = value
    }
}

extension Bool: ParameterConvertible {
    /// Accepts `true/false`, `1/0`, `yes/no`, `on/off` in any case.
    public init?(parameter: String) {
        switch parameter.lowercased() {
        case "true", "1", "yes", "on": self = true
        case "false", "0", "no", "off": self = false
        default: return nil
        }
    }
}

extension UUID: ParameterConvertible {
    public init?(parameter: String) { self.init(uuidString: parameter) }
}

extension ParameterConvertible where Self: RawRepresentable, RawValue == String {
    public init?(parameter: String) { self.init(rawValue: parameter) }
}
