/// A parsed rule such as `/api/tasks/<int:task_id>/`.
public struct RulePattern: Sendable {
    /// One piece of a rule between slashes.
    public indirect enum Segment: Sendable {
        /// Literal text (already percent-decoded form).
        case literal(String)
        /// A placeholder `<converter(args):name>`.
        case parameter(name: String, converterName: String, converter: any PathConverter)
        /// Placeholders sharing the segment with text, as `v<int:major>.<int:minor>` or
        /// `<name>.json`: its parts, each a `.literal` or a `.parameter`.
        case compound([Segment])

        /// The placeholders in this segment, in order.
        var placeholders: [(name: String, converterName: String, converter: any PathConverter)] {
            switch self {
            case .literal: return []
            case .parameter(let name, let converterName, let converter): return [(name, converterName, converter)]
            case .compound(let parts): return parts.flatMap(\.placeholders)
            }
        }
    }

    /// The rule as written.
    public let rule: String
    /// The segments; a rule ending in `/` ends with `.literal("")`.
    public let segments: [Segment]

    /// The placeholder names in order.
    public var parameterNames: [String] { placeholders.map(\.name) }

    /// The placeholders with their converters, in order: the domain's first.
    var placeholders: [(name: String, converterName: String, converter: any PathConverter)] {
        (domain?.placeholders ?? []) + segments.flatMap(\.placeholders)
    }

    /// Whether the rule ends in `/` (and so also answers without it).
    public var hasTrailingSlash: Bool { rule.count > 1 && rule.hasSuffix("/") }

    /// The subdomain or host the rule answers on (`<tenant>`, `api`, `<tenant>.example.com`),
    /// as written, lowercased; nil for a rule that does not match on the host.
    public let domainRule: String?
    /// `domainRule` parsed: one segment, matched against the request's subdomain or host.
    public let domain: Segment?

    /// Parses `rule` with the given converters; `domain` is the subdomain or host it answers on.
    public init(_ rule: String, domain: String? = nil, converters: [String: ConverterFactory]) throws {
        guard rule.hasPrefix("/") else { throw RoutingError.invalidRule("'\(rule)' must start with '/'") }
        self.rule = rule
        var names = Set<String>()
        if let domain {
            let lowered = domain.lowercased()
            guard !lowered.contains("/") else { throw RoutingError.invalidRule("a host or subdomain may not hold '/': '\(domain)' of '\(rule)'") }
            self.domainRule = lowered
            self.domain = try RulePattern.parseSegment(lowered[...], rule: rule, converters: converters, names: &names, decoding: false)
        } else {
            self.domainRule = nil
            self.domain = nil
        }
        segments = try RulePattern.splitRule(rule.dropFirst()).map {
            try RulePattern.parseSegment($0, rule: rule, converters: converters, names: &names, decoding: true)
        }
    }

    /// One segment: literal text, one placeholder, or both sharing it.
    private static func parseSegment(
        _ piece: Substring, rule: String, converters: [String: ConverterFactory], names: inout Set<String>, decoding: Bool
    ) throws -> Segment {
        var parsed: [Segment] = []
        for part in try splitSegment(piece, rule: rule) {
            guard part.hasPrefix("<") else {
                guard let decoded = decoding ? PercentDecoding.decode(part) : String(part) else {
                    throw RoutingError.invalidRule("bad percent-escape in '\(rule)'")
                }
                parsed.append(.literal(decoded))
                continue
            }
            let (converterName, arguments, name) = try parsePlaceholder(part.dropFirst().dropLast(), rule: rule)
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
            parsed.append(.parameter(name: name, converterName: converterName, converter: converter))
        }
        if parsed.count == 1, let only = parsed.first { return only }
        if parsed.isEmpty { return .literal("") }
        if parsed.filter({ $0.placeholders.first?.converter.matchesSlashes == true }).count > 1 {
            throw RoutingError.invalidRule("one segment holds two placeholders that take slashes in '\(rule)'")
        }
        return .compound(parsed)
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

    /// A segment's text split into literal runs and `<…>` placeholders (each kept with its
    /// brackets): `v<int:major>.<int:minor>` → `v`, `<int:major>`, `.`, `<int:minor>`.
    static func splitSegment(_ piece: Substring, rule: String) throws -> [Substring] {
        var parts: [Substring] = []
        var start = piece.startIndex
        var index = piece.startIndex
        while index < piece.endIndex {
            switch piece[index] {
            case "<":
                if start < index { parts.append(piece[start..<index]) }
                guard let close = piece[index...].firstIndex(of: ">") else {
                    throw RoutingError.invalidRule("unclosed '<' in '\(rule)'")
                }
                parts.append(piece[index...close])
                index = piece.index(after: close)
                start = index
                continue
            case ">":
                throw RoutingError.invalidRule("unmatched '>' in '\(rule)'")
            default:
                index = piece.index(after: index)
            }
        }
        if start < piece.endIndex { parts.append(piece[start...]) }
        return parts
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
