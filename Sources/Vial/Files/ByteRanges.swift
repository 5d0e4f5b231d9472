/// A `Range: bytes=…` request header resolved against a representation's length
/// (RFC 9110 §14.1.2).
enum ByteRanges: Equatable {
    /// No usable `Range` (absent, not `bytes`, malformed, or too many parts): send it all.
    case whole
    /// The satisfiable ranges, in the order asked (each within `0..<length`).
    case ranges([ClosedRange<Int64>])
    /// A well-formed `Range` none of whose parts overlaps the representation: 416.
    case unsatisfiable

    /// Parts beyond this many make the header ignored (a thousand tiny ranges are an attack).
    static let maxParts = 16

    init(header: String?, length: Int64) {
        guard let header, header.utf8.count <= 1_024 else { self = .whole; return }
        let trimmed = header.trimmedSpaces
        guard trimmed.utf8.count > 6, trimmed.utf8.prefix(6).map({ $0 | 0x20 }).elementsEqual("bytes=".utf8) else {
            self = .whole
            return
        }
        let specs = trimmed.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmedSpaces }
        guard !specs.isEmpty, specs.count <= Self.maxParts else { self = .whole; return }
        var satisfiable: [ClosedRange<Int64>] = []
        for spec in specs {
            guard let dash = spec.firstIndex(of: "-") else { self = .whole; return }
            let first = spec[..<dash], last = spec[spec.index(after: dash)...]
            if first.isEmpty {
                // `-n`: the last n bytes.
                guard let count = Self.number(last), count > 0 else { self = .whole; return }
                if length > 0 { satisfiable.append(max(0, length - count)...(length - 1)) }
            } else {
                guard let start = Self.number(first) else { self = .whole; return }
                var end = length - 1
                if !last.isEmpty {
                    guard let given = Self.number(last), given >= start else { self = .whole; return }
                    end = min(given, length - 1)
                }
                if start < length { satisfiable.append(start...end) }
            }
        }
        self = satisfiable.isEmpty ? .unsatisfiable : .ranges(satisfiable)
    }

    /// Digits only (no sign, no spaces), at most 18 of them.
    private static func number(_ text: some StringProtocol) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(text)
    }
}
