/// A path segment where placeholders share the segment with text — `v<int:major>.<int:minor>`,
/// `<name>.json` — matched as Werkzeug's rule regex matches it: literal runs exactly, each
/// placeholder by its converter, `string`/`int`/… greedily (`<a>.<b>` reads `x.y.z` as `x.y`
/// and `z`) and `path` as little as it can.
///
/// It sits in the route trie as one placeholder edge, tried before the segment's plain
/// placeholders (a segment with text in it is the more specific rule, as Werkzeug weighs it).
struct CompoundSegment: PathConverter {
    enum Part: Sendable {
        case literal(String)
        case placeholder(any PathConverter)
    }

    let parts: [Part]

    init(_ segments: [RulePattern.Segment]) {
        parts = segments.compactMap { segment in
            switch segment {
            case .literal(let text): return .literal(text)
            case .parameter(_, _, let converter): return .placeholder(converter)
            case .compound: return nil  // never nested
            }
        }
    }

    /// Before every plain placeholder; more literal text first.
    var priority: Int {
        let literalCount = parts.reduce(0) { count, part in
            if case .literal(let text) = part { return count + text.count }
            return count
        }
        return -1_000 - literalCount
    }

    var matchesSlashes: Bool {
        parts.contains { if case .placeholder(let converter) = $0 { converter.matchesSlashes } else { false } }
    }

    var key: String {
        "compound(" + parts.map { part in
            switch part {
            case .literal(let text): return "'\(text)'"
            case .placeholder(let converter): return converter.key
            }
        }.joined(separator: ",") + ")"
    }

    func matches(_ segment: String) -> Bool { captures(segment) != nil }

    /// The most values one match tries. Splitting a segment among several placeholders is
    /// a search (`<a>.<b>` over a segment of a thousand dots); past this it is no match, so
    /// a hostile path costs a bounded amount of work.
    static let triesPerMatch = 256

    /// The placeholders' values in `segment`, or nil when it does not fit.
    func captures(_ segment: String) -> [String]? {
        var values: [String] = []
        values.reserveCapacity(parts.count)
        var tries = Self.triesPerMatch
        return capture(from: 0, in: Substring(segment), into: &values, tries: &tries) ? values : nil
    }

    private func capture(from partIndex: Int, in rest: Substring, into values: inout [String], tries: inout Int) -> Bool {
        guard partIndex < parts.count else { return rest.isEmpty }
        switch parts[partIndex] {
        case .literal(let text):
            guard rest.hasPrefix(text) else { return false }
            return capture(from: partIndex + 1, in: rest.dropFirst(text.count), into: &values, tries: &tries)
        case .placeholder(let converter):
            // Only a `path` placeholder spans slashes (a `<path:>` compound is matched on the
            // joined segments); the others end at the first slash.
            let limit = converter.matchesSlashes ? rest.endIndex : (rest.firstIndex(of: "/") ?? rest.endIndex)
            var ends: [Substring.Index]
            if partIndex == parts.count - 1 {
                ends = [rest.endIndex]
            } else {
                ends = Array(rest[..<limit].indices.dropFirst()) + [limit]
                // Only where the next part can start: before its text.
                if case .literal(let next) = parts[partIndex + 1] { ends = ends.filter { rest[$0...].hasPrefix(next) } }
                if !converter.matchesSlashes { ends.reverse() }  // greedy, as `[^/]+`; `path` is lazy
            }
            for end in ends where end <= limit {
                tries -= 1
                guard tries >= 0 else { return false }
                let value = String(rest[..<end])
                guard converter.matches(value) else { continue }
                values.append(value)
                if capture(from: partIndex + 1, in: rest[end...], into: &values, tries: &tries) { return true }
                values.removeLast()
            }
            return false
        }
    }
}
