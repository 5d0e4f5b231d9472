import Foundation

/// Calls `body` with each UTF-8 byte of `sql` and whether it is SQL proper — outside a quoted
/// string or identifier and outside a `--` comment — so `;` and `?` are only seen where they
/// mean something. Bytes, not `Character`s: every delimiter is ASCII, no byte of a multi-byte
/// UTF-8 sequence is, and breaking the text into grapheme clusters cost more than the statement
/// (each PostgreSQL statement is scanned to number its placeholders).
func scanSQL(_ sql: String, _ body: (UInt8, _ isCode: Bool) -> Void) {
    var quote: UInt8?
    var lineComment = false
    var previous = UInt8(ascii: " ")
    for byte in sql.utf8 {
        var isCode = false
        if lineComment {
            if byte == UInt8(ascii: "\n") { lineComment = false }
        } else if let open = quote {
            if byte == open { quote = nil }
        } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
            quote = byte
        } else if byte == UInt8(ascii: "-") && previous == UInt8(ascii: "-") {
            lineComment = true
        } else {
            isCode = true
        }
        body(byte, isCode)
        previous = byte
    }
}

/// The statements of a script, split at `;` (PostgreSQL's extended protocol takes one
/// statement at a time).
func splitStatements(_ script: String) -> [String] {
    var statements: [[UInt8]] = []
    var current: [UInt8] = []
    scanSQL(script) { byte, isCode in
        if isCode && byte == UInt8(ascii: ";") {
            statements.append(current)
            current = []
        } else {
            current.append(byte)
        }
    }
    statements.append(current)
    return statements.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        .filter { !$0.isEmpty }
}

/// `sql` with its `?` placeholders numbered as PostgreSQL wants them: `$1, $2, …`.
func numberedPlaceholders(_ sql: String) -> String {
    var result: [UInt8] = []
    result.reserveCapacity(sql.utf8.count + 16)
    var number = 0
    scanSQL(sql) { byte, isCode in
        if isCode && byte == UInt8(ascii: "?") {
            number += 1
            result.append(UInt8(ascii: "$"))
            result.append(contentsOf: String(number).utf8)
        } else {
            result.append(byte)
        }
    }
    return String(decoding: result, as: UTF8.self)
}
