/// A parsed rule such as `/api/tasks/<int:task_id>/`.
public struct RulePattern: Sendable {
    /// One piece of a rule between slashes.
    public enum Segment: Sendable {
        /// Literal text (already percent-decoded form).
        case literal(String)
        /// A placeholder `<converter(args):name>`.
        case parameter(name: String, converterName: String, converter: any PathConverter)
    }

    /// The rule as written.
    public let rule: String
    /// The segments; a rule ending in `/` ends with `.literal("")`.
    public let segments: [Segment]

    /// The placeholder names in order.
    public var parameterNames: [String] {
        segments.compactMap {
            if case .parameter(let name, _, _) = $0 { return name }
            return nil
        }
    }

    /// Whether the rule ends in `/` (and so also answers without it).
    public var hasTrailingSlash: Bool { rule.count > 1 && rule.hasSuffix("/") }

    /// Parses `rule` with the given converters.
    public init(_ rule: String, converters: [String: ConverterFactory]) throws {
        guard rule.hasPrefix("/") else { throw RoutingError.invalidRule("'\(rule)' must start with '/'") }
        self.rule = rule
        var segments: [Segment] = []
        var names = Set<String>()
        for piece in RulePattern.splitRule(rule.dropFirst()) {
            if piece.hasPrefix("<") {
                guard piece.hasSuffix(">") else { throw RoutingError.invalidRule("unclosed '<' in '\(rule)'") }
                let (converterName, arguments, name) = try RulePattern.parsePlaceholder(piece.dropFirst().dropLast(), rule: rule)
                guard names.insert(name).inserted else {
                    throw RoutingError.invalidRule("parameter '\(name)' appears twice in '\(rule)'")
                }
                guard let factory = converters[converterName] else {
                    throw RoutingError.unknownConverter(converterName, rule: rule)
                }
                let converter: any PathConverter
                do {
                    converter = try factory(arguments)
                } catch RoutingError.invalidRule(let message) where !message.contains(rule) {
                    throw RoutingError.invalidRule("\(message) in '\(rule)'")
                }
                segments.append(.parameter(name: name, converterName: converterName, converter: converter))
            } else {
                guard !piece.contains("<"), !piece.contains(">") else {
                    throw RoutingError.invalidRule("a placeholder must fill a whole segment in '\(rule)'")
                }
                guard let decoded = PercentDecoding.decode(piece) else {
                    throw RoutingError.invalidRule("bad percent-escape in '\(rule)'")
                }
                segments.append(.literal(decoded))
            }
        }
        self.segments = segments
    }

    /// Splits on `/` outside `<…>` (converter arguments may hold slashes in theory; keep them whole).
    static func splitRule(_ text: Substring) -> [Substring] {
        var pieces: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for index in text.indices {
            switch text[index] {
            case "<": depth += 1
            case ">": depth -= 1
            case "/" where depth == 0:
                pieces.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        pieces.append(text[start...])
        return pieces
    }

    /// `int:task_id` → ("int", [], "task_id"); `string(length=2):code`; `name` → ("default", [], "name").
    static func parsePlaceholder(_ body: Substring, rule: String) throws -> (String, ConverterArguments, String) {
        let name: Substring
        var converterPart: Substring = "default"
        if let colon = body.lastIndex(of: ":") {
            converterPart = body[..<colon]
            name = body[body.index(after: colon)...]
        } else {
            name = body
        }
        guard let first = name.first, first.isLetter || first == "_",
            name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
        else {
            throw RoutingError.invalidRule("'\(name)' is not a valid parameter name in '\(rule)'")
        }
        var arguments = ConverterArguments()
        var converterName = converterPart
        if let open = converterPart.firstIndex(of: "(") {
            guard converterPart.hasSuffix(")") else { throw RoutingError.invalidRule("unclosed '(' in '\(rule)'") }
            converterName = converterPart[..<open]
            let inner = converterPart[converterPart.index(after: open)..<converterPart.index(before: converterPart.endIndex)]
            arguments = try ConverterArgumentParser.parse(inner, rule: rule)
        }
        return (String(converterName.trimmedSpaces), arguments, String(name))
    }
}
