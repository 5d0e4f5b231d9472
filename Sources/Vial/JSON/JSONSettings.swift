import NIOCore

/// How JSON bodies are written — the settings of Flask's JSON provider (`app.json`). Vial's
/// defaults are compact UTF-8 with sorted keys; see docs/requests-and-responses.md for what
/// differs from Flask's defaults and why.
public struct JSONSettings: Sendable, Equatable {
    /// Compact output (`true`) or indented by two spaces (`JSONIFY_PRETTYPRINT_REGULAR=true`,
    /// Flask's `app.json.compact = False`).
    public var compact = true
    /// Non-ASCII characters written as `\uXXXX` escapes (`JSON_AS_ASCII`, Flask's `ensure_ascii`).
    public var ensureASCII = false
    /// The `Content-Type` of JSON answers (`JSONIFY_MIMETYPE`, Flask's `app.json.mimetype`).
    public var mimetype = "application/json"

    /// Vial's defaults.
    public init(compact: Bool = true, ensureASCII: Bool = false, mimetype: String = "application/json") {
        self.compact = compact
        self.ensureASCII = ensureASCII
        self.mimetype = mimetype
    }

    /// Whether answers are written as every handler writes them (nothing to redo).
    var isDefault: Bool { self == JSONSettings() }

    /// Rewrites a buffered JSON answer with these settings: the handler wrote the default form,
    /// this turns it into the configured one. Runs only when a setting differs from the default,
    /// so the default path pays nothing. Streams (NDJSON, SSE) are left as written.
    func apply(to response: inout Response) {
        guard !response.isStreamed, let type = response.headers.first(name: "content-type"),
            type == "application/json" || type.hasPrefix("application/json;")
        else { return }
        if mimetype != "application/json" { response.headers.replaceOrAdd(name: "Content-Type", value: mimetype) }
        guard !compact || ensureASCII, response.body.readableBytes > 0,
            let value = try? JSON(parsing: Array(response.body.readableBytesView))
        else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(response.body.readableBytes * 2)
        value.writeFormatted(into: &bytes, indent: compact ? nil : 2, ensureASCII: ensureASCII, depth: 0)
        bytes.append(UInt8(ascii: "\n"))
        response.body = ByteBuffer(bytes: bytes)
    }
}

extension JSON {
    /// Python's `json.dumps(value, indent=indent, ensure_ascii=…, sort_keys=True)`: with an
    /// indent, `": "` after keys and one member per line; without, compact.
    func writeFormatted(into bytes: inout [UInt8], indent: Int?, ensureASCII: Bool, depth: Int) {
        func newline(_ level: Int) {
            guard let indent else { return }
            bytes.append(UInt8(ascii: "\n"))
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
        }
        switch self {
        case .string(let value):
            if ensureASCII { Self.writeASCIIString(value, into: &bytes) } else { Self.writeString(value, into: &bytes) }
        case .array(let elements) where !elements.isEmpty:
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                element.writeFormatted(into: &bytes, indent: indent, ensureASCII: ensureASCII, depth: depth + 1)
            }
            newline(depth)
            bytes.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                if ensureASCII { Self.writeASCIIString(key, into: &bytes) } else { Self.writeString(key, into: &bytes) }
                bytes.append(UInt8(ascii: ":"))
                if indent != nil { bytes.append(UInt8(ascii: " ")) }
                members[key]!.writeFormatted(into: &bytes, indent: indent, ensureASCII: ensureASCII, depth: depth + 1)
            }
            newline(depth)
            bytes.append(UInt8(ascii: "}"))
        default:
            writeJSON(into: &bytes)
        }
    }

    /// A string literal with every non-ASCII character as `\uXXXX` (UTF-16, so characters past
    /// U+FFFF become a surrogate pair), as Python's `ensure_ascii` writes it.
    static func writeASCIIString(_ string: String, into bytes: inout [UInt8]) {
        var plain = ""
        var escaped: [UInt8] = []
        for unit in string.utf16 {
            if unit < 0x80 {
                plain.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
                continue
            }
            if !plain.isEmpty {
                // The ASCII run goes through the ordinary writer (quotes, control characters).
                var run: [UInt8] = []
                writeString(plain, into: &run)
                escaped.append(contentsOf: run.dropFirst().dropLast())
                plain = ""
            }
            escaped.append(contentsOf: "\\u".utf8)
            for shift in stride(from: 12, through: 0, by: -4) { escaped.append(hexDigits[Int((unit >> UInt16(shift)) & 0xF)]) }
        }
        if !plain.isEmpty {
            var run: [UInt8] = []
            writeString(plain, into: &run)
            escaped.append(contentsOf: run.dropFirst().dropLast())
        }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: escaped)
        bytes.append(UInt8(ascii: "\""))
    }
}
