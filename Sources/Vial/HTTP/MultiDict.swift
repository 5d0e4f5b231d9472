/// Ordered key → values pairs, as Werkzeug's `MultiDict`: query args and form fields.
public struct MultiDict: Sendable, Equatable {
    /// The pairs in the order they arrived.
    public private(set) var pairs: [(key: String, value: String)]

    /// A dictionary from pairs.
    public init(_ pairs: [(key: String, value: String)] = []) {
        self.pairs = pairs
    }

    /// Parses `a=1&b=two&a=3` (`application/x-www-form-urlencoded`). Pairs whose
    /// escapes are malformed are dropped, as browsers and Werkzeug do.
    ///
    /// Split at the bytes `&` and `=`, as Werkzeug splits at code points: not by `Character`,
    /// which would keep `=` and a combining mark after it together (and cost more than the
    /// parse — `req.args` is read several times a request).
    public init(urlEncoded text: Substring) {
        var pairs: [(key: String, value: String)] = []
        let scalars = text.unicodeScalars
        let bytes = text.utf8
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            // `&` and `=` are ASCII, so their positions are scalar boundaries.
            if start < end {
                let equals = bytes[start..<end].firstIndex(of: UInt8(ascii: "="))
                let rawKey = Substring(scalars[start..<(equals ?? end)])
                let rawValue = equals.map { Substring(scalars[bytes.index(after: $0)..<end]) } ?? ""
                if let key = PercentDecoding.decode(rawKey, plusAsSpace: true),
                    let value = PercentDecoding.decode(rawValue, plusAsSpace: true)
                {
                    pairs.append((key, value))
                }
            }
            start = end == bytes.endIndex ? end : bytes.index(after: end)
        }
        self.pairs = pairs
    }

    /// The first value for `key`, if any.
    public subscript(key: String) -> String? {
        pairs.first(where: { $0.key == key })?.value
    }

    /// Every value for `key`, in order.
    public func all(_ key: String) -> [String] {
        pairs.filter { $0.key == key }.map(\.value)
    }

    /// Whether `key` appears at all.
    public func contains(_ key: String) -> Bool {
        pairs.contains(where: { $0.key == key })
    }

    /// The distinct keys in first-seen order.
    public var keys: [String] {
        var seen = Set<String>()
        return pairs.compactMap { seen.insert($0.key).inserted ? $0.key : nil }
    }

    /// Whether there are no pairs.
    public var isEmpty: Bool { pairs.isEmpty }

    /// Adds a pair at the end.
    public mutating func append(_ key: String, _ value: String) {
        pairs.append((key, value))
    }

    public static func == (lhs: MultiDict, rhs: MultiDict) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs, by: { $0.key == $1.key && $0.value == $1.value })
    }
}
