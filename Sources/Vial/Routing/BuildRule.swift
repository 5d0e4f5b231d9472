/// A rule as `urlFor` builds it and as a default redirect targets it: its pattern and the
/// defaults its handler sees for names it does not capture (Werkzeug's `Rule` at build time).
struct BuildRule: Sendable {
    let pattern: RulePattern
    let defaults: [String: String]
    /// The names the rule stands for: its placeholders and its defaults (Werkzeug's `arguments`).
    let arguments: Set<String>

    init(pattern: RulePattern, defaults: [String: String]) {
        self.pattern = pattern
        self.defaults = defaults
        arguments = Set(pattern.parameterNames).union(defaults.keys)
    }

    /// Werkzeug's build order: rules standing for more names first, then rules with more
    /// defaults; otherwise registration order.
    static func buildOrder(_ rules: [BuildRule]) -> [BuildRule] {
        rules.enumerated().sorted { left, right in
            let l = (left.element.arguments.count, left.element.defaults.count)
            let r = (right.element.arguments.count, right.element.defaults.count)
            return l != r ? l > r : left.offset < right.offset
        }.map(\.element)
    }

    /// Throws unless `parameters` fit this rule (Werkzeug's `suitable_for`): every placeholder
    /// has a value, and a value given for a default equals it.
    func checkSuitable(for parameters: [String: [String]], endpoint: String) throws {
        for name in pattern.parameterNames where parameters[name] == nil {
            throw RoutingError.urlBuild("endpoint '\(endpoint)' needs parameter '\(name)'")
        }
        for (name, value) in defaults.sorted(by: { $0.key < $1.key }) {
            if let given = parameters[name], given != [value] {
                throw RoutingError.urlBuild(
                    "'\(pattern.rule)' of endpoint '\(endpoint)' has '\(name)' fixed to '\(value)', not '\(given.joined(separator: ", "))'")
            }
        }
    }

    /// Whether these defaults answer for `values`, the parameters another rule of the same
    /// endpoint matched (with its own defaults): same names, and each default equal to its value
    /// (Werkzeug's `provides_defaults_for` and `suitable_for`, behind its `redirect_defaults`).
    func providesDefaults(for values: [String: String], names: Set<String>) -> Bool {
        !defaults.isEmpty && names == arguments && defaults.allSatisfy { values[$0.key] == $0.value }
    }

    /// The subdomain or host with `parameters` in its placeholders; nil for a rule that does not
    /// match on the host.
    func domain(with parameters: [String: [String]], endpoint: String) throws -> String? {
        guard let domain = pattern.domain else { return nil }
        var text = ""
        func write(_ segment: RulePattern.Segment) throws {
            switch segment {
            case .literal(let literal): text += literal
            case .parameter(let name, let converterName, let converter):
                guard let value = parameters[name]?.first.map(converter.urlValue), converter.matches(value) else {
                    throw RoutingError.urlBuild(
                        "endpoint '\(endpoint)' needs a value for '\(name)' that fits <\(converterName)> in its host")
                }
                text += value
            case .compound(let parts): for part in parts { try write(part) }
            }
        }
        try write(domain)
        return text.lowercased()
    }

    /// The path (no query string) with `parameters` in the placeholders, each value checked
    /// by its converter and percent-encoded.
    func path(with parameters: [String: [String]], endpoint: String) throws -> String {
        var path = ""
        func write(_ segment: RulePattern.Segment) throws {
            switch segment {
            case .literal(let text):
                path += PercentDecoding.encodeSegment(text)
            case .parameter(let name, let converterName, let converter):
                guard let values = parameters[name] else {
                    throw RoutingError.urlBuild("endpoint '\(endpoint)' needs parameter '\(name)'")
                }
                guard values.count == 1, let given = values.first else {
                    throw RoutingError.urlBuild("parameter '\(name)' of endpoint '\(endpoint)' takes one value, not \(values.count)")
                }
                let value = converter.urlValue(given)
                guard converter.matches(value) else {
                    throw RoutingError.urlBuild(
                        "value '\(value)' for '\(name)' does not fit <\(converterName)> in endpoint '\(endpoint)'")
                }
                path += PercentDecoding.encodeSegment(value, keepSlashes: converter.matchesSlashes)
            case .compound(let parts):
                let start = path.endIndex
                for part in parts { try write(part) }
                // The values must read back as given: `<a>.<b>` with a = "x", b = "y.z" would be
                // written as `x.y.z`, which routes as a = "x.y", b = "z".
                let written = PercentDecoding.decode(path[start...]) ?? ""
                let expected = parts.compactMap { part -> String? in
                    guard case .parameter(let name, _, let converter) = part else { return nil }
                    return parameters[name]?.first.map(converter.urlValue)
                }
                if CompoundSegment(parts).captures(written) != expected {
                    throw RoutingError.urlBuild(
                        "the values for '\(parts.flatMap(\.placeholders).map(\.name).joined(separator: "', '"))' of endpoint "
                            + "'\(endpoint)' would not read back from the URL '\(written)'")
                }
            }
        }
        for segment in pattern.segments {
            path += "/"
            try write(segment)
        }
        return path.isEmpty ? "/" : path
    }
}

/// A rule's defaults at run time: the values its handler sees, and the rules of the same
/// endpoint registered before it that answer its URLs when the values equal their defaults
/// (`/users/page/1` → `/users/`, Werkzeug's `redirect_defaults`).
struct RouteDefaults: Sendable {
    var values: [String: String]
    /// The rule's own names (placeholders and defaults).
    var names: Set<String>
    var redirects: [BuildRule]

    /// `parameters` with the defaults added.
    func merged(into parameters: [String: String]) -> [String: String] {
        parameters.merging(values) { own, _ in own }
    }

    /// The path of the first earlier rule whose defaults answer for `parameters`, if any.
    func redirect(for parameters: [String: String], endpoint: String) -> String? {
        for rule in redirects where rule.providesDefaults(for: parameters, names: names) {
            if let path = try? rule.path(with: parameters.mapValues { [$0] }, endpoint: endpoint) { return path }
        }
        return nil
    }
}
