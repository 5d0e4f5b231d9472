import Foundation

/// Reads `.env` files: `KEY=value` lines, `#` comments, optional `export `, single or double quotes.
public enum DotEnv {
    /// Parses `.env` text into variables. Malformed lines are reported with their line number.
    public static func parse(_ text: String) throws -> [String: String] {
        var values: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmedSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError(variable: ".env line \(number + 1)", reason: "is not KEY=value")
            }
            let key = line[..<equals].trimmedSpaces
            var value = line[line.index(after: equals)...].trimmedSpaces
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmedSpaces
            }
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ConfigError(variable: ".env line \(number + 1)", reason: "has an invalid variable name '\(key)'")
            }
            values[key] = value
        }
        return values
    }

    /// The process environment over the `.env` file at `path` (if it exists): the real environment wins.
    public static func environment(loading path: String = ".env") throws -> [String: String] {
        var merged: [String: String] = [:]
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            merged = try parse(text)
        }
        merged.merge(ProcessInfo.processInfo.environment) { _, real in real }
        return merged
    }
}
