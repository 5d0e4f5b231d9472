/// A segment trie from rules to values: lookup walks one node per path segment,
/// so its cost depends on the path's depth, not on how many routes exist.
///
/// Literal segments win over placeholders; placeholders are tried in converter
/// priority order (`any`, `uuid`, `int`/`float`, `string`, `path`), and a `<path:>` takes
/// as few segments as it can, backtracking when a deeper segment fails — Werkzeug's
/// weighting, RoutingKit's structure.
public struct RouteTable<Value: Sendable>: Sendable {
    private var trie = RouteTrie()
    private var values: [Value] = []

    /// The outcome of a lookup.
    public enum Match {
        /// A route answers: its value and the captured parameters.
        case found(Value, parameters: [String: String])
        /// The path exists and the method is `OPTIONS` with no explicit route: answer with `Allow`.
        case options(allow: [HTTPMethod])
        /// The path names a rule ending in `/` without it, and the rule keeps strict slashes:
        /// redirect (308) to `path` — the request's path with the slash, still percent-encoded.
        case redirect(path: String)
        /// The path exists, the method does not.
        case methodNotAllowed(allow: [HTTPMethod])
        /// No rule matches the path.
        case notFound
        /// The path has a malformed percent-escape.
        case badPath
    }

    /// An empty table.
    public init() {}

    /// Adds `value` for `methods` on `pattern`, Werkzeug's way with `strictSlashes`: a rule ending
    /// in `/` redirects the path without it there, and a leaf rule does not answer with a slash;
    /// without strict slashes both spellings answer. `automaticOptions` has the rule count for
    /// an automatic `OPTIONS` answer (Flask's `provide_automatic_options`); with `mergeSlashes`,
    /// a path with doubled slashes nothing else answers is redirected to this rule.
    /// Throws `RoutingError.conflict` when an equal rule already answers one of the methods
    /// (two rules handling `OPTIONS` themselves may share a path: the first answers).
    public mutating func insert(
        _ pattern: RulePattern, methods: [HTTPMethod], value: Value, strictSlashes: Bool = true,
        automaticOptions: Bool = true, mergeSlashes: Bool = true
    ) throws {
        try trie.insert(
            pattern, methods: methods, valueIndex: values.count, strictSlashes: strictSlashes,
            automaticOptions: automaticOptions, mergeSlashes: mergeSlashes)
        values.append(value)
    }

    /// Looks up `path` (percent-encoded, no query string) for `method`. `domain` is the request's
    /// subdomain or host, for rules that match on it (see `RulePattern.domain`): those are tried
    /// first; nil (a host outside `SERVER_NAME`) leaves only the rules that do not.
    public func match(method: HTTPMethod, path: Substring, domain: String? = nil) -> Match {
        var steps = 0
        return match(method: method, path: path, domain: domain, steps: &steps)
    }

    /// `match`, counting the search's steps into `steps` (for tests).
    func match(method: HTTPMethod, path: Substring, domain: String? = nil, steps: inout Int) -> Match {
        switch trie.match(method: method, path: path, domain: domain, steps: &steps) {
        case .found(let index, let parameters): return .found(values[index], parameters: parameters)
        case .options(let allow): return .options(allow: allow)
        case .redirect(let path): return .redirect(path: path)
        case .methodNotAllowed(let allow): return .methodNotAllowed(allow: allow)
        case .notFound: return .notFound
        case .badPath: return .badPath
        }
    }

    /// The `Allow` list: the registered methods, `HEAD` where `GET` is, and `OPTIONS` unless
    /// automatic `OPTIONS` is off, sorted.
    static func allowList(_ methods: some Sequence<String>, automaticOptions: Bool = true) -> [HTTPMethod] {
        RouteTrie.allowList(methods, automaticOptions: automaticOptions)
    }
}

/// The non-generic trie behind `RouteTable`: values are indices, so the hot path
/// needs no generic metadata at run time.
struct RouteTrie: Sendable {
    /// What an entry is to the rule it came from.
    enum Kind: Sendable {
        /// The rule itself.
        case rule
        /// `/x` for a strict rule `/x/`: answered with a redirect to the slash.
        case redirect
        /// The other spelling of a rule without strict slashes (`/x` for `/x/`, `/x/` for `/x`).
        case lenient
    }

    struct Entry: Sendable {
        var value: Int
        var parameterNames: [String]
        var rule: String
        /// A rule itself, or the other spelling of it; a rule replaces another's alias.
        var kind: Kind
        /// Whether the rule counts for an automatic `OPTIONS` answer.
        var automaticOptions: Bool
        /// Whether a path with doubled slashes is redirected to this rule (`merge_slashes`).
        var mergeSlashes: Bool
    }

    struct Edge: Sendable {
        var converter: any PathConverter
        var child: Int
        /// Set for a segment of placeholders and text (its `converter` too), which captures several values.
        var compound: CompoundSegment?
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

        /// The entry that answers `method` here: its own, `GET`'s for `HEAD`, or — for an
        /// automatic `OPTIONS` — a redirect (the other answers are decided over all rules).
        func answering(_ method: HTTPMethod) -> Entry? {
            if let own = entry(for: method) { return own }
            if method == .HEAD, let get = entry(for: .GET) { return get }
            if method == .OPTIONS {
                return entries.first { $0.entry.kind == .redirect && $0.entry.automaticOptions }?.entry
            }
            return nil
        }

        /// The methods this path answers, for `Allow` (a redirect is not an answer of this path).
        func allowedNames(into names: inout [String]) {
            for pair in entries where pair.entry.kind != .redirect {
                names.append(pair.method.rawValue)
                if pair.entry.automaticOptions { names.append(HTTPMethod.OPTIONS.rawValue) }
            }
        }
    }

    enum Match {
        case found(Int, parameters: [String: String])
        case options(allow: [HTTPMethod])
        case redirect(path: String)
        case methodNotAllowed(allow: [HTTPMethod])
        case notFound
        case badPath
    }

    /// A node that answers only through another rule's spelling, kept while the search looks for
    /// a rule that answers the path itself (which wins, wherever it is in the tree).
    struct Fallback {
        var node: Int
        var entry: Entry
        var captured: [String]
    }

    private var nodes: [Node] = [Node()]
    /// The root of rules that match on the host: their first segment is the domain.
    private var domainRoot: Int?

    mutating func insert(
        _ pattern: RulePattern, methods: [HTTPMethod], valueIndex: Int, strictSlashes: Bool, automaticOptions: Bool,
        mergeSlashes: Bool
    ) throws {
        var root = 0
        var leading: [RulePattern.Segment] = []
        if let domain = pattern.domain {
            if domainRoot == nil {
                nodes.append(Node())
                domainRoot = nodes.count - 1
            }
            root = domainRoot!
            leading = [domain]
        }
        func add(_ segments: some Collection<RulePattern.Segment>, _ kind: Kind) throws {
            try insert(
                leading + segments, root: root, pattern: pattern, methods: methods,
                entry: Entry(
                    value: valueIndex, parameterNames: pattern.parameterNames, rule: pattern.rule, kind: kind,
                    automaticOptions: automaticOptions, mergeSlashes: mergeSlashes))
        }
        try add(pattern.segments, .rule)
        if pattern.hasTrailingSlash {
            try add(pattern.segments.dropLast(), strictSlashes ? .redirect : .lenient)
        } else if !strictSlashes, !pattern.segments.isEmpty {
            try add(pattern.segments + [.literal("")], .lenient)
        }
    }

    private mutating func insert(
        _ segments: some Collection<RulePattern.Segment>, root: Int, pattern: RulePattern, methods: [HTTPMethod], entry: Entry
    ) throws {
        var current = root
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
            case .parameter, .compound:
                var compound: CompoundSegment?
                let converter: any PathConverter
                switch segment {
                case .parameter(_, _, let single): converter = single
                case .compound(let parts):
                    compound = CompoundSegment(parts)
                    converter = compound!
                case .literal: continue
                }
                if let edge = nodes[current].parameters.first(where: { $0.converter.key == converter.key }) {
                    current = edge.child
                } else {
                    nodes.append(Node())
                    let edge = Edge(converter: converter, child: nodes.count - 1, compound: compound)
                    // Stable order by priority: equal priorities keep registration order.
                    let position = nodes[current].parameters.firstIndex { $0.converter.priority > converter.priority }
                    nodes[current].parameters.insert(edge, at: position ?? nodes[current].parameters.endIndex)
                    current = nodes.count - 1
                }
            }
        }
        for method in methods {
            if let position = nodes[current].entries.firstIndex(where: { $0.method == method }) {
                let existing = nodes[current].entries[position].entry
                if entry.kind != .rule { continue }  // a rule (or an earlier spelling) already answers here
                if existing.kind == .rule {
                    // Two views handling OPTIONS themselves on one path: the first answers, as in Werkzeug.
                    if method == .OPTIONS { continue }
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

    func match(method: HTTPMethod, path: Substring, domain: String?, steps: inout Int) -> Match {
        guard let segments = Self.segments(of: path) else { return .badPath }
        var budget = Budget(left: Self.stepBudget(segments: segments.count + 1))
        defer { steps += budget.spent }
        if let domainRoot, let domain {
            let found = match(method: method, path: path, segments: [domain] + segments, root: domainRoot, budget: &budget)
            if case .notFound = found {} else { return found }
        }
        return match(method: method, path: path, segments: segments, root: 0, budget: &budget)
    }

    /// The lookup from `root`: `segments` are the path's, after the domain for `domainRoot`.
    private func match(
        method: HTTPMethod, path: Substring, segments: [String], root: Int, budget: inout Budget
    ) -> Match {
        var captured: [String] = []
        var allowed: [String] = []
        var fallback: Fallback?
        let result = search(
            node: root, segments: segments[...], method: method, captured: &captured, allowed: &allowed,
            fallback: &fallback, budget: &budget)
        if budget.exhausted { return .notFound }
        let entry: Entry
        if let node = result, let answering = nodes[node].answering(method) {
            entry = answering
        } else if fallback == nil, let merged = Self.mergingSlashes(path),
            let target = mergedRedirect(
                merged, leading: root == 0 ? nil : segments.first, root: root, method: method, budget: &budget)
        {
            return .redirect(path: target)
        } else if let fallback {
            if fallback.entry.kind == .redirect { return .redirect(path: String(path) + "/") }
            entry = fallback.entry
            captured = fallback.captured
        } else if allowed.isEmpty {
            return .notFound
        } else if method == .OPTIONS, allowed.contains(HTTPMethod.OPTIONS.rawValue) {
            // Automatic OPTIONS: the union of every rule the path matches, as the 405 lists.
            return .options(allow: Self.allowList(allowed, automaticOptions: false))
        } else {
            return .methodNotAllowed(allow: Self.allowList(allowed, automaticOptions: false))
        }
        var parameters: [String: String] = [:]
        if !captured.isEmpty {
            parameters.reserveCapacity(captured.count)
            for (name, value) in zip(entry.parameterNames, captured) { parameters[name] = value }
        }
        return .found(entry.value, parameters: parameters)
    }

    /// Werkzeug's `merge_slashes`: when nothing answers a path with empty segments (`//a///b`),
    /// the path with its slash runs merged is looked up; if a rule that merges slashes answers
    /// it, the answer is a redirect there (with its own slash when the rule wants one).
    private func mergedRedirect(
        _ merged: String, leading: String?, root: Int, method: HTTPMethod, budget: inout Budget
    ) -> String? {
        guard var segments = Self.segments(of: merged[...]) else { return nil }
        if let leading { segments.insert(leading, at: 0) }
        var captured: [String] = []
        var allowed: [String] = []
        var fallback: Fallback?
        let result = search(
            node: root, segments: segments[...], method: method, captured: &captured, allowed: &allowed,
            fallback: &fallback, budget: &budget)
        guard !budget.exhausted else { return nil }
        if let node = result, let entry = nodes[node].answering(method) { return entry.mergeSlashes ? merged : nil }
        guard let fallback, fallback.entry.mergeSlashes else { return nil }
        return fallback.entry.kind == .redirect ? merged + "/" : merged
    }

    /// `path` with every run of slashes made one, or nil when it has none.
    static func mergingSlashes(_ path: Substring) -> String? {
        var merged: [UInt8] = []
        var previousWasSlash = false
        var changed = false
        for byte in path.utf8 {
            let isSlash = byte == UInt8(ascii: "/")
            if isSlash && previousWasSlash {
                changed = true
                continue
            }
            merged.append(byte)
            previousWasSlash = isSlash
        }
        return changed ? String(decoding: merged, as: UTF8.self) : nil
    }

    /// Depth-first search; returns the first terminal node whose rule answers `method` (its
    /// captures left in `captured`), collecting the methods of path-matching nodes that do
    /// not into `allowed`, and keeping the first node that answers only through another
    /// spelling of a rule in `fallback`.
    private func search(
        node index: Int, segments: ArraySlice<String>, method: HTTPMethod, captured: inout [String],
        allowed: inout [String], fallback: inout Fallback?, budget: inout Budget
    ) -> Int? {
        guard budget.take() else { return nil }
        guard let segment = segments.first else {
            if nodes[index].entries.isEmpty { return nil }
            if let entry = nodes[index].answering(method) {
                if entry.kind == .rule { return index }
                if fallback == nil { fallback = Fallback(node: index, entry: entry, captured: captured) }
            }
            nodes[index].allowedNames(into: &allowed)
            return nil
        }
        let rest = segments.dropFirst()
        if let child = nodes[index].literals[segment],
            let found = search(
                node: child, segments: rest, method: method, captured: &captured, allowed: &allowed,
                fallback: &fallback, budget: &budget)
        {
            return found
        }
        for edge in nodes[index].parameters {
            if edge.converter.matchesSlashes {
                // Werkzeug's weighting: `<path:p>` takes as little as it can (its `[^/].*?`), so
                // a rule with more to match after it wins — `/<path:a>/<path:b>` over `/<path:a>`
                // for `/x/y`, `/<path:p>/edit` over `/<path:p>` — and its own trailing slash is
                // never swallowed. The candidate value is joined and checked only once the rest
                // of the path has matched below it, so one lookup stays linear in the path's
                // length (joining every candidate made a 78 KB path hold an event loop for a minute).
                var take = 1
                while take <= segments.count {
                    let slot = captured.count
                    captured.append("")
                    var below: [String] = []
                    let hadFallback = fallback != nil
                    let found = search(
                        node: edge.child, segments: segments.dropFirst(take), method: method, captured: &captured,
                        allowed: &below, fallback: &fallback, budget: &budget)
                    if budget.exhausted { return nil }
                    let newFallback = !hadFallback && fallback != nil
                    if found != nil || !below.isEmpty || newFallback {
                        let value = segments.prefix(take).joined(separator: "/")
                        if let values = Self.captures(of: edge, in: value) {
                            allowed.append(contentsOf: below)
                            if newFallback { fallback?.captured.replaceSubrange(slot...slot, with: values) }
                            if let found {
                                captured.replaceSubrange(slot...slot, with: values)
                                return found
                            }
                        } else if newFallback {
                            fallback = nil
                        }
                    }
                    captured.removeSubrange(slot...)
                    take += 1
                }
            } else if let compound = edge.compound {
                guard let values = compound.captures(segment) else { continue }
                captured.append(contentsOf: values)
                if let found = search(
                    node: edge.child, segments: rest, method: method, captured: &captured, allowed: &allowed,
                    fallback: &fallback, budget: &budget)
                {
                    return found
                }
                captured.removeLast(values.count)
            } else if edge.converter.matches(segment) {
                captured.append(segment)
                if let found = search(
                    node: edge.child, segments: rest, method: method, captured: &captured, allowed: &allowed,
                    fallback: &fallback, budget: &budget)
                {
                    return found
                }
                captured.removeLast()
            }
        }
        return nil
    }

    /// The values `edge` captures from `value`: one for a placeholder, one per placeholder of a compound segment.
    private static func captures(of edge: Edge, in value: String) -> [String]? {
        if let compound = edge.compound { return compound.captures(value) }
        return edge.converter.matches(value) ? [value] : nil
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

    /// The `Allow` list: the methods, `HEAD` where `GET` is, and `OPTIONS` when
    /// `automaticOptions` (else only when listed), sorted.
    static func allowList(_ methods: some Sequence<String>, automaticOptions: Bool) -> [HTTPMethod] {
        var names = Set(methods)
        if names.contains("GET") { names.insert("HEAD") }
        if automaticOptions { names.insert("OPTIONS") }
        return names.sorted().map { HTTPMethod(rawValue: $0) }
    }
}
