/// A header value with `;`-separated parameters, as `Content-Type` and `Content-Disposition`
/// carry them: `form-data; name="file"; filename="a b.txt"`.
struct HeaderParameters {
    /// The part before the first `;`, lower-cased (`form-data`, `multipart/form-data`).
    var value: String
    /// Parameter names lower-cased; quoted values unquoted (`\"` and `\\` unescaped), and an
    /// RFC 8187 `name*=UTF-8''…` value decoded and stored under `name` (it wins over the plain one).
    var parameters: [String: String]

    init(_ header: String) {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in header {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted && character == "\\" {
                current.append(character)
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if character == ";" && !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        value = fields[0].trimmedSpaces.lowercased()
        var parameters: [String: String] = [:]
        var extended: [String: String] = [:]
        for field in fields.dropFirst() {
            guard let equals = field.firstIndex(of: "=") else { continue }
            let name = field[..<equals].trimmedSpaces.lowercased()
            var raw = Substring(field[field.index(after: equals)...].trimmedSpaces)
            guard !name.isEmpty else { continue }
            if name.hasSuffix("*") {
                if let decoded = Self.decodeExtended(raw) { extended[String(name.dropLast())] = decoded }
                continue
            }
            if raw.count >= 2, raw.first == "\"", raw.last == "\"" {
                raw = raw.dropFirst().dropLast()
                var unescaped = ""
                var escape = false
                for character in raw {
                    if !escape && character == "\\" { escape = true; continue }
                    unescaped.append(character)
                    escape = false
                }
                parameters[name] = unescaped
            } else {
                parameters[name] = String(raw)
            }
        }
        parameters.merge(extended) { _, new in new }
        self.parameters = parameters
    }

    subscript(name: String) -> String? { parameters[name] }

    /// `UTF-8'lang'percent-encoded` (RFC 8187); nil for another charset or a bad escape.
    private static func decodeExtended(_ raw: Substring) -> String? {
        let pieces = raw.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return PercentDecoding.decode(pieces[2], plusAsSpace: false)
    }
}
