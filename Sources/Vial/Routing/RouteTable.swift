/// A segment trie from rules to values: lookup walks one node per path segment,
/// so its cost depends on the path's depth, not on how many routes exist.
///
/// Literal segments win over placeholders; placeholders are tried in converter
/// priority order (`any`, `uuid`, `int`/`float`, `string`, `path`), backtracking
/// when a deeper segment fails — Werkzeug's precedence, RoutingKit's structure.
public struct RouteTable<Value: Sendable>: Sendable {
    private var trie = RouteTrie()
    private var values: [Value] = []

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

    /// An empty table.
    public init() {}

    /// Adds `value` for `methods` on `pattern`. A rule ending in `/` also answers without it.
    /// Throws `RoutingError.conflict` when an equal rule already answers one of the methods.
    public mutating func insert(_ pattern: RulePattern, methods: [HTTPMethod], value: Value) throws {
        try trie.insert(pattern, methods: methods, valueIndex: values.count)
        values.append(value)
    }

    /// Looks up `path` (percent-encoded, no query string) for `method`.
    public func match(method: HTTPMethod, path: Substring) -> Match {
        var steps = 0
        return match(method: method, path: path, steps: &steps)
    }

    /// `match`, counting the search's steps into `steps` (for tests).
    func match(method: HTTPMethod, path: Substring, steps: inout Int) -> Match {
        switch trie.match(method: method, path: path, steps: &steps) {
        case .found(let index, let parameters): return .found(values[index], parameters: parameters)
        case .options(let allow): return .options(allow: allow)
        case .methodNotAllowed(let allow): return .methodNotAllowed(allow: allow)
        case .notFound: return .notFound
        case .badPath: return .badPath
        }
    }

    /// The `Allow` list: the registered methods, `HEAD` where `GET` is, and `OPTIONS`, sorted.
    static func allowList(_ methods: some Sequence<String>) -> [HTTPMethod] {
        RouteTrie.allowList(methods)
    }
}

/// The non-generic trie behind `RouteTable`: values are indices, so the hot path
/// needs no generic metadata at run time.
struct RouteTrie: Sendable {
    struct Entry: Sendable {
        var value: Int
        var parameterNames: [String]
        var rule: String
        /// A rule `/x/` also registered at `/x`; an explicit `/x` replaces it.
        var isAlias: Bool
    }

    struct Edge: Sendable {
        var converter: any PathConverter
        var child: Int
    }

    struct MethodEntry: Sendable {
        var method: HTTPMethod
        var entry: Entry
    }

    struct Node: Sendable {
        var literals: [String: Int] = [:]
        var parameters: [Edge] = []
        /// A handful of methods per node: a linear scan beats hashing (`HTTPMethod` is not `Hashable`).
        var entries: [MethodEntry] = []

        func entry(for method: HTTPMethod) -> Entry? {
            for pair in entries where pair.method == method { return pair.entry }
            return nil
        }

        var methodNames: [String] { entries.map(\.method.rawValue) }
    }

    enum Match {
        case found(Int, parameters: [String: String])
        case options(allow: [HTTPMethod])
        case methodNotAllowed(allow: [HTTPMethod])
        case notFound
        case badPath
    }

    private var nodes: [Node] = [Node()]

    mutating func insert(_ pattern: RulePattern, methods: [HTTPMethod], valueIndex: Int) throws {
        try insert(pattern.segments, pattern: pattern, methods: methods, value: valueIndex, isAlias: false)
        if pattern.hasTrailingSlash {
            try insert(pattern.segments.dropLast(), pattern: pattern, methods: methods, value: valueIndex, isAlias: true)
        }
    }

    private mutating func insert(
        _ segments: some Collection<RulePattern.Segment>, pattern: RulePattern, methods: [HTTPMethod], value: Int,
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
            if let position = nodes[current].entries.firstIndex(where: { $0.method == method }) {
                let existing = nodes[current].entries[position].entry
                if isAlias { continue }  // an explicit rule already answers here
                if !existing.isAlias {
                    throw RoutingError.conflict(
                        "\(method.rawValue) \(pattern.rule) clashes with \(method.rawValue) \(existing.rule), registered before")
                }
                nodes[current].entries[position].entry = entry
            } else {
                nodes[current].entries.append(MethodEntry(method: method, entry: entry))
            }
        }
    }

    /// The most nodes one lookup visits. A tree search visits each node once per position, but
    /// a rule with several `<path:…>` parts tries every split of the path among them: the
    /// fuzzer found `/<path:a>/<path:b>/<path:c>/…` holding a lookup for seconds on a path of
    /// a few hundred segments (polynomial in the path, a power per `<path:>`). Past the budget
    /// the lookup is "not found", so a lookup stays linear in the path whatever the rules.
    static func stepBudget(segments: Int) -> Int { max(10_000, 64 * segments) }

    func match(method: HTTPMethod, path: Substring, steps: inout Int) -> Match {
        guard let segments = Self.segments(of: path) else { return .badPath }
        var captured: [String] = []
        var allowed: [String] = []
        var budget = Budget(left: Self.stepBudget(segments: segments.count))
        defer { steps += budget.spent }
        let result = search(node: 0, segments: segments[...], method: method, captured: &captured, allowed: &allowed, budget: &budget)
        if budget.exhausted { return .notFound }
        if let node = result {
            let entry: Entry
            if let explicit = nodes[node].entry(for: method) {
                entry = explicit
            } else if method == .HEAD, let get = nodes[node].entry(for: .GET) {
                entry = get
            } else {
                return .options(allow: Self.allowList(nodes[node].methodNames))
            }
            var parameters: [String: String] = [:]
            if !captured.isEmpty {
                parameters.reserveCapacity(captured.count)
                for (name, value) in zip(entry.parameterNames, captured) { parameters[name] = value }
            }
            return .found(entry.value, parameters: parameters)
        }
        if allowed.isEmpty { return .notFound }
        return .methodNotAllowed(allow: Self.allowList(allowed))
    }

    /// Depth-first search; returns the first terminal node that answers `method` (its
    /// captures left in `captured`), collecting the methods of path-matching nodes that do
    /// not into `allowed`.
    private func search(
        node index: Int, segments: ArraySlice<String>, method: HTTPMethod, captured: inout [String],
        allowed: inout [String], budget: inout Budget
    ) -> Int? {
        guard budget.take() else { return nil }
        guard let segment = segments.first else {
            if nodes[index].entries.isEmpty { return nil }
            if Self.answers(nodes[index], method) { return index }
            allowed.append(contentsOf: nodes[index].methodNames)
            return nil
        }
        let rest = segments.dropFirst()
        if let child = nodes[index].literals[segment],
            let found = search(
                node: child, segments: rest, method: method, captured: &captured, allowed: &allowed, budget: &budget)
        {
            return found
        }
        for edge in nodes[index].parameters {
            if edge.converter.matchesSlashes {
                // Try the longest tail first so `<path:p>` is greedy but can leave segments for
                // what follows. The candidate value is joined and checked only once the rest of
                // the path has matched below it, so one lookup stays linear in the path's length
                // (joining every candidate made a 78 KB path hold an event loop for a minute).
                var take = segments.count
                while take >= 1 {
                    let slot = captured.count
                    captured.append("")
                    var below: [String] = []
                    let found = search(
                        node: edge.child, segments: segments.dropFirst(take), method: method, captured: &captured,
                        allowed: &below, budget: &budget)
                    if budget.exhausted { return nil }
                    if found != nil || !below.isEmpty {
                        let value = segments.prefix(take).joined(separator: "/")
                        if edge.converter.matches(value) {
                            allowed.append(contentsOf: below)
                            if let found {
                                captured[slot] = value
                                return found
                            }
                        }
                    }
                    captured.removeSubrange(slot...)
                    take -= 1
                }
            } else if edge.converter.matches(segment) {
                captured.append(segment)
                if let found = search(
                    node: edge.child, segments: rest, method: method, captured: &captured, allowed: &allowed, budget: &budget)
                {
                    return found
                }
                captured.removeLast()
            }
        }
        return nil
    }

    /// Steps left for one lookup.
    struct Budget {
        var left: Int
        var spent = 0
        var exhausted: Bool { left < 0 }

        init(left: Int) { self.left = left }

        mutating func take() -> Bool {
            spent += 1
            left -= 1
            return left >= 0
        }
    }

    /// `/api/tasks/` → `["api", "tasks", ""]`, each percent-decoded; `nil` on a bad escape.
    static func segments(of path: Substring) -> [String]? {
        var segments: [String] = []
        segments.reserveCapacity(8)
        let utf8 = path.utf8
        var start = utf8.startIndex
        if start != utf8.endIndex, utf8[start] == UInt8(ascii: "/") { start = utf8.index(after: start) }
        var index = start
        while true {
            if index == utf8.endIndex || utf8[index] == UInt8(ascii: "/") {
                guard let decoded = PercentDecoding.decode(path[start..<index]) else { return nil }
                segments.append(decoded)
                if index == utf8.endIndex { break }
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        return segments
    }

    private static func answers(_ node: Node, _ method: HTTPMethod) -> Bool {
        node.entry(for: method) != nil || method == .OPTIONS || (method == .HEAD && node.entry(for: .GET) != nil)
    }

    /// The `Allow` list: the registered methods, `HEAD` where `GET` is, and `OPTIONS`, sorted.
    static func allowList(_ methods: some Sequence<String>) -> [HTTPMethod] {
        var names = Set(methods)
        if names.contains("GET") { names.insert("HEAD") }
        names.insert("OPTIONS")
        return names.sorted().map { HTTPMethod(rawValue: $0) }
    }
}
