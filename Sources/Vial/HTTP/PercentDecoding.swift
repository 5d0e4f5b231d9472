/// Percent-decoding for path segments and `application/x-www-form-urlencoded` text.
enum PercentDecoding {
    /// Decodes `%XX` escapes; with `plusAsSpace`, `+` becomes a space (form and
    /// query encoding). Returns `nil` on a malformed escape or invalid UTF-8.
    static func decode(_ text: Substring, plusAsSpace: Bool = false) -> String? {
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "%")) || (plusAsSpace && utf8.contains(UInt8(ascii: "+"))) else {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first != utf8.endIndex else { return nil }
                let second = utf8.index(after: first)
                guard second != utf8.endIndex, let high = hexValue(utf8[first]), let low = hexValue(utf8[second])
                else { return nil }
                bytes.append(high << 4 | low)
                index = utf8.index(after: second)
            } else {
                bytes.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = utf8.index(after: index)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Characters left as they are in a path segment (RFC 3986 unreserved plus sub-delims, `:` and `@`).
    private static func isSegmentSafe(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default: return Array("-._~!$&'()*+,;=:@".utf8).contains(byte)
        }
    }

    /// Percent-encodes `text` for use as one path segment (a `/` is encoded
    /// unless `keepSlashes`, which `<path:…>` values need).
    static func encodeSegment(_ text: String, keepSlashes: Bool = false) -> String {
        encode(text) { isSegmentSafe($0) || (keepSlashes && $0 == UInt8(ascii: "/")) }
    }

    /// Percent-encodes `text` for a query-string key or value.
    static func encodeQueryComponent(_ text: String) -> String {
        encode(text) { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default: return Array("-._~".utf8).contains(byte)
            }
        }
    }

    /// Percent-encodes `text` for a URL's `#fragment`: what a segment keeps, plus `/` and `?`
    /// (RFC 3986's fragment characters; Werkzeug keeps the same set).
    static func encodeFragment(_ text: String) -> String {
        encode(text) { isSegmentSafe($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }
    }

    private static func encode(_ text: String, keeping isSafe: (UInt8) -> Bool) -> String {
        var out: [UInt8] = []
        for byte in text.utf8 {
            if isSafe(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(Array("0123456789ABCDEF".utf8)[Int(byte >> 4)])
                out.append(Array("0123456789ABCDEF".utf8)[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
