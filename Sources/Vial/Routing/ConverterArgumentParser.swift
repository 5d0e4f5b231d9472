/// Reads a placeholder's argument list the way Werkzeug's `parse_converter_args` does: Python
/// literals separated by commas — quoted strings (`'a,b'`, `"x"`, which may hold commas), numbers,
/// `True`/`False`/`None` and bare words — each optionally `name=`. Anything else is an error
/// naming the rule, at build time. (Vial also reads a leading `-` on numbers, which Werkzeug's
/// pattern leaves out although its converters take negative bounds.)
enum ConverterArgumentParser {
    static func parse(_ text: Substring, rule: String) throws -> ConverterArguments {
        var arguments = ConverterArguments()
        var rest = text[...]
        func fail(_ piece: Substring) -> RoutingError {
            RoutingError.invalidRule("cannot parse converter argument '\(piece.trimmedSpaces)' in '\(rule)'")
        }
        skipSpaces(&rest)
        if rest.isEmpty { return arguments }
        while true {
            let start = rest
            skipSpaces(&rest)
            // `name=`: a word, then `=` (a bare word without `=` is a positional value).
            var name: String?
            let word = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            var afterWord = rest.dropFirst(word.count)
            skipSpaces(&afterWord)
            if !word.isEmpty, afterWord.first == "=" {
                name = String(word)
                rest = afterWord.dropFirst()
                skipSpaces(&rest)
            }
            guard let value = readValue(&rest) else { throw fail(start.prefix { $0 != "," }) }
            skipSpaces(&rest)
            if let name {
                guard arguments.named.updateValue(value, forKey: name) == nil else {
                    throw RoutingError.invalidRule("converter argument '\(name)' given twice in '\(rule)'")
                }
            } else {
                guard arguments.named.isEmpty else {
                    throw RoutingError.invalidRule("positional converter argument after a keyword in '\(rule)'")
                }
                arguments.positional.append(value)
            }
            if rest.isEmpty { return arguments }
            guard rest.first == "," else { throw fail(rest) }
            rest = rest.dropFirst()
            skipSpaces(&rest)
            if rest.isEmpty { return arguments }  // a trailing comma, as Python allows
        }
    }

    /// A quoted string (its quotes and a `u`/`r` prefix dropped) or a bare literal.
    private static func readValue(_ rest: inout Substring) -> String? {
        var text = rest
        if let first = text.first, "uUrR".contains(first), let next = text.dropFirst().first, next == "'" || next == "\"" {
            text = text.dropFirst()
        }
        if let quote = text.first, quote == "'" || quote == "\"" {
            let body = text.dropFirst()
            guard let close = body.firstIndex(of: quote) else { return nil }
            rest = body[body.index(after: close)...]
            return String(body[..<close])
        }
        var bare = text.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        if bare.isEmpty, text.first == "-" {
            let digits = text.dropFirst().prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty else { return nil }
            bare = text.prefix(digits.count + 1)
        }
        guard !bare.isEmpty else { return nil }
        rest = text.dropFirst(bare.count)
        return String(bare)
    }

    private static func skipSpaces(_ text: inout Substring) {
        text = text.drop { $0 == " " || $0 == "\t" }
    }
}

extension ConverterArguments {
    /// The arguments by parameter name, as Python binds a call: positional ones fill `parameters`
    /// in order, then keywords; too many positional ones, an unknown keyword or one given both
    /// ways throws, naming `converter`.
    public func bound(to parameters: [String], converter: String) throws -> [String: String] {
        guard positional.count <= parameters.count else {
            throw RoutingError.invalidRule(
                "\(converter)() takes at most \(parameters.count) argument\(parameters.count == 1 ? "" : "s") (\(positional.count) given)")
        }
        var values = Dictionary(uniqueKeysWithValues: zip(parameters, positional))
        for (name, value) in named {
            guard parameters.contains(name) else {
                throw RoutingError.invalidRule(
                    "\(converter)() has no argument '\(name)'" + (parameters.isEmpty ? "" : " (it takes \(parameters.joined(separator: ", ")))"))
            }
            guard values.updateValue(value, forKey: name) == nil else {
                throw RoutingError.invalidRule("\(converter)() got argument '\(name)' twice")
            }
        }
        return values
    }
}
