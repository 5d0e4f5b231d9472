import Foundation

/// Calls `body` with each character of `sql` and whether it is SQL proper — outside a quoted
/// string or identifier and outside a `--` comment — so `;` and `?` are only seen where they
/// mean something.
func scanSQL(_ sql: String, _ body: (Character, _ isCode: Bool) -> Void) {
    var quote: Character?
    var lineComment = false
    var previous: Character = " "
    for character in sql {
        var isCode = false
        if lineComment {
            if character == "\n" { lineComment = false }
        } else if let open = quote {
            if character == open { quote = nil }
        } else if character == "'" || character == "\"" {
            quote = character
        } else if character == "-" && previous == "-" {
            lineComment = true
        } else {
            isCode = true
        }
        body(character, isCode)
        previous = character
    }
}

/// The statements of a script, split at `;` (PostgreSQL's extended protocol takes one
/// statement at a time).
func splitStatements(_ script: String) -> [String] {
    var statements: [String] = []
    var current = ""
    scanSQL(script) { character, isCode in
        if isCode && character == ";" {
            statements.append(current)
            current = ""
        } else {
            current.append(character)
        }
    }
    statements.append(current)
    return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
}

/// `sql` with its `?` placeholders numbered as PostgreSQL wants them: `$1, $2, …`.
func numberedPlaceholders(_ sql: String) -> String {
    var result = ""
    result.reserveCapacity(sql.utf8.count + 8)
    var number = 0
    scanSQL(sql) { character, isCode in
        if isCode && character == "?" {
            number += 1
            result += "$\(number)"
        } else {
            result.append(character)
        }
    }
    return result
}
