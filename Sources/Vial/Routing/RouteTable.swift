/// A segment trie from rules to values: lookup walks one node per path segment,
/// so its cost depends on the path's depth, not on how many routes exist.
///
/// Literal segments win over placeholders; placeholders are tried in converter
/// priority order (`any`, `uuid`, `int`/`float`, `string`, `path`), backtracking
/// when a deeper segment fails — Werkzeug's precedence, RoutingKit's structure.
public struct RouteTable<Value: Sendable>: Sendable {
    struct Entry: Sendable {
        var value: Value
        var parameterNames: [String]
        var rule: String
        /// A rule `/x/` also registered at `/x`; an explicit `/x` replaces it.
        var isAlias: Bool
    }

    struct Edge: Sendable {
        var converter: any PathConverter
        var child: Int
    }

    struct Node: Sendable {
        var literals: [String: Int] = [:]
        var parameters: [Edge] = []
        /// Keyed by the method's raw value (`HTTPMethod` is not `Hashable`).
        var entries: [String: Entry] = [:]
    }

    /// The outcome of a lookup.
    public enum Match {
        /// A route answers: its value and the captured parameters.
        case found(Value, parameters: [String: String])
        /// The path exists and the method is `OPTIONS` with no explicit route: answer with `Allow`.
        case options(allow: [HTTPMethod])
        /// The path exists, the method does not.
        case methodNotAllowed(allow: [HTTPMethod])
        /// No rule matches the path.
        case notFound
        /// The path has a malformed percent-escape.
        case badPath
    }

    private var nodes: [Node] = [Node()]

    /// An empty table.
    public init() {}

    /// Adds `value` for `methods` on `pattern`. A rule ending in `/` also answers without it.
    /// Throws `RoutingError.conflict` when an equal rule already answers one of the methods.
    public mutating func insert(_ pattern: RulePattern, methods: [HTTPMethod], value: Value) throws {
        try insert(pattern.segments, pattern: pattern, methods: methods, value: value, isAlias: false)
        if pattern.hasTrailingSlash {
            try insert(pattern.segments.dropLast(), pattern: pattern, methods: methods, value: value, isAlias: true)
        }
    }

    private mutating func insert(
        _ segments: some Collection<RulePattern.Segment>, pattern: RulePattern, methods: [HTTPMethod], value: Value,
        isAlias: Bool
    ) throws {
        var current = 0
        for segment in segments {
            switch segment {
            case .literal(let text):
                if let next = nodes[current].literals[text] {
                    current = next
                } else {
                    nodes.append(Node())
                    nodes[current].literals[text] = nodes.count - 1
                    current = nodes.count - 1
                }
            case .parameter(_, _, let converter):
                if let edge = nodes[current].parameters.first(where: { $0.converter.key == converter.key }) {
                    current = edge.child
                } else {
                    nodes.append(Node())
                    let edge = Edge(converter: converter, child: nodes.count - 1)
                    // Stable order by priority: equal priorities keep registration order.
                    let position = nodes[current].parameters.firstIndex { $0.converter.priority > converter.priority }
                    nodes[current].parameters.insert(edge, at: position ?? nodes[current].parameters.endIndex)
                    current = nodes.count - 1
                }
            }
        }
        let entry = Entry(value: value, parameterNames: pattern.parameterNames, rule: pattern.rule, isAlias: isAlias)
        for method in methods {
            if let existing = nodes[current].entries[method.rawValue] {
                if isAlias { continue }  // an explicit rule already answers here
                if !existing.isAlias {
                    throw RoutingError.conflict(
                        "\(method.rawValue) \(pattern.rule) clashes with \(method.rawValue) \(existing.rule), registered before")
                }
            }
            nodes[current].entries[method.rawValue] = entry
        }
    }

    /// Looks up `path` (percent-encoded, no query string) for `method`.
    public func match(method: HTTPMethod, path: Substring) -> Match {
        var raw = path
        if raw.first == "/" { raw = raw.dropFirst() }
        var segments: [String] = []
        segments.reserveCapacity(8)
        for piece in raw.split(separator: "/", omittingEmptySubsequences: false) {
            guard let decoded = PercentDecoding.decode(piece) else { return .badPath }
            segments.append(decoded)
        }
        var captured: [String] = []
        var allowed: [String] = []
        if let (node, values) = search(node: 0, segments: segments[...], method: method, captured: &captured, allowed: &allowed) {
            let entry: Entry
            if let explicit = nodes[node].entries[method.rawValue] {
                entry = explicit
            } else if method == .HEAD, let get = nodes[node].entries[HTTPMethod.GET.rawValue] {
                entry = get
            } else {
                return .options(allow: Self.allowList(nodes[node].entries.keys))
            }
            var parameters: [String: String] = [:]
            for (name, value) in zip(entry.parameterNames, values) { parameters[name] = value }
            return .found(entry.value, parameters: parameters)
        }
        if allowed.isEmpty { return .notFound }
        return .methodNotAllowed(allow: Self.allowList(allowed))
    }

    /// Depth-first search; returns the first terminal node that answers `method`,
    /// collecting the methods of path-matching nodes that do not into `allowed`.
    private func search(
        node index: Int, segments: ArraySlice<String>, method: HTTPMethod, captured: inout [String],
        allowed: inout [String]
    ) -> (Int, [String])? {
        let node = nodes[index]
        guard let segment = segments.first else {
            if node.entries.isEmpty { return nil }
            if Self.answers(node, method) { return (index, captured) }
            allowed.append(contentsOf: node.entries.keys)
            return nil
        }
        let rest = segments.dropFirst()
        if let child = node.literals[segment],
            let found = search(node: child, segments: rest, method: method, captured: &captured, allowed: &allowed)
        {
            return found
        }
        for edge in node.parameters {
            if edge.converter.matchesSlashes {
                // Try the longest tail first so `<path:p>` is greedy but can leave segments for what follows.
                var take = segments.count
                while take >= 1 {
                    let value = segments.prefix(take).joined(separator: "/")
                    if edge.converter.matches(value) {
                        captured.append(value)
                        if let found = search(
                            node: edge.child, segments: segments.dropFirst(take), method: method,
                            captured: &captured, allowed: &allowed)
                        {
                            return found
                        }
                        captured.removeLast()
                    }
                    take -= 1
                }
            } else if edge.converter.matches(segment) {
                captured.append(segment)
                if let found = search(node: edge.child, segments: rest, method: method, captured: &captured, allowed: &allowed) {
                    return found
                }
                captured.removeLast()
            }
        }
        return nil
    }

    private static func answers(_ node: Node, _ method: HTTPMethod) -> Bool {
        node.entries[method.rawValue] != nil || method == .OPTIONS
            || (method == .HEAD && node.entries[HTTPMethod.GET.rawValue] != nil)
    }

    /// The `Allow` list: the registered methods, `HEAD` where `GET` is, and `OPTIONS`, sorted.
    static func allowList(_ methods: some Sequence<String>) -> [HTTPMethod] {
        var names = Set(methods)
        if names.contains("GET") { names.insert("HEAD") }
        names.insert("OPTIONS")
        return names.sorted().map { HTTPMethod(rawValue: $0) }
    }
}
