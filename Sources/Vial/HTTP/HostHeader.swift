import Foundation

/// A `Host` value (the header, `X-Forwarded-Host`, or `SERVER_NAME`) parsed strictly:
/// a DNS name or IPv4 address (letters, digits, `-`, `.`, `_`, `~`), or an IPv6 address in
/// brackets, then an optional `:port` of digits (RFC 9110 §7.2, RFC 3986 §3.2.2).
///
/// Anything else is refused rather than cut at its first `:` — `localhost:@evil.example` is no
/// host with a port, and must never be checked as `localhost` and then used whole.
public struct HostHeader: Sendable, Equatable, CustomStringConvertible {
    /// The name, lowercased, for comparisons (`[::1]` keeps its brackets).
    public let name: String
    public let port: Int?
    /// The value as it was written (validated), for building URLs.
    public let authority: String

    /// Nil when `text` is not a host with an optional port.
    public init?(_ text: String) {
        guard let (hostEnd, port) = Self.parse(text.utf8) else { return nil }
        self.name = String(decoding: text.utf8[..<hostEnd], as: UTF8.self).lowercased()
        self.port = port
        self.authority = text
    }

    /// Whether `text` is a host with an optional port, without building anything (the server
    /// checks every request's `Host` with it).
    public static func isValid(_ text: String) -> Bool {
        parse(text.utf8) != nil
    }

    /// Where the host part ends, and the port, when `utf8` is a strict host; nil otherwise.
    private static func parse<Bytes: BidirectionalCollection<UInt8>>(_ utf8: Bytes) -> (Bytes.Index, Int?)? {
        guard !utf8.isEmpty, utf8.count <= 262 else { return nil }
        var end = utf8.endIndex
        var port: Int?
        // The port: the digits after the last `:` that is outside brackets.
        if let colon = utf8.lastIndex(of: UInt8(ascii: ":")), !utf8[colon...].contains(UInt8(ascii: "]")) {
            let digits = utf8[utf8.index(after: colon)...]
            guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard value <= 65_535 else { return nil }
            port = value
            end = colon
        }
        let host = utf8[..<end]
        guard !host.isEmpty else { return nil }
        if host.first == UInt8(ascii: "[") {
            guard host.count > 2, host.last == UInt8(ascii: "]") else { return nil }
            var address = in6_addr()
            let inner = String(decoding: host.dropFirst().dropLast(), as: UTF8.self)
            guard inet_pton(AF_INET6, inner, &address) == 1 else { return nil }
        } else {
            guard host.count <= 253, host.allSatisfy(isNameByte) else { return nil }
        }
        return (end, port)
    }

    /// RFC 3986's unreserved characters (no percent-encoding, no sub-delimiters).
    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    public var description: String { authority }
}
