/// Finding the endpoint a mistyped name meant, for `urlFor`'s "Did you mean …?".
enum EndpointNames {
    /// The known name closest to `name`: one that ends with `.name` (the blueprint left out),
    /// else the nearest by edit distance when it differs in at most a third of the characters
    /// (as `difflib.get_close_matches`, which Flask uses, keeps only close matches); nil when
    /// nothing is close.
    static func closest(to name: String, among names: some Sequence<String>) -> String? {
        let names = Array(names)
        if let qualified = names.filter({ $0.hasSuffix("." + name) }).min() { return qualified }
        let target = Array(name)
        var best: (name: String, distance: Int)?
        for candidate in names {
            let distance = editDistance(target, Array(candidate))
            if distance < (best?.distance ?? Int.max) || (distance == best?.distance && candidate < best!.name) {
                best = (candidate, distance)
            }
        }
        guard let best, best.distance <= max(1, max(name.count, best.name.count) / 3) else { return nil }
        return best.name
    }

    /// Levenshtein distance: insertions, deletions and substitutions, one row at a time.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
