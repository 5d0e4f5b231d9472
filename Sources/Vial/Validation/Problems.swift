/// What is wrong with a request body, by JSON path (`title`, `tags[3]`, `address.zip`): the
/// `details` of a validation error. At most `limit` paths are listed and the rest counted, so an
/// answer never grows with the input (100,000 bad list elements are one short answer).
struct Problems {
    /// Paths listed at most.
    static let limit = 50

    private(set) var byPath: [String: [String]] = [:]
    /// Problems found in all, listed or not: a check compares it before and after a subtree.
    private(set) var total = 0
    private var unlisted = 0

    var isEmpty: Bool { total == 0 }

    mutating func add(_ path: @autoclosure () -> String, _ messages: [String]) {
        total += 1
        let path = path()
        if byPath[path] == nil, byPath.count >= Self.limit {
            unlisted += 1
            return
        }
        byPath[path, default: []].append(contentsOf: messages)
    }

    /// The `details` object of the error answer.
    var details: JSON {
        var details = byPath
        if unlisted > 0 { details["_schema", default: []].append("\(unlisted) more problems not listed.") }
        return .object(details.mapValues { .array($0.map(JSON.string)) })
    }

    /// Throws one error with path → messages details when there are any.
    func throwIfAny(status: HTTPResponseStatus, message: String, code: String) throws {
        guard !isEmpty else { return }
        throw HTTPError(status, message, code: code, details: details)
    }

    /// `parent.key`, or `key` at the top.
    static func path(_ parent: String, key: String) -> String { parent.isEmpty ? key : parent + "." + key }

    /// A coding path in the same notation (`tags[3]`, `address.zip`); empty at the top.
    static func path(_ keys: [any CodingKey]) -> String {
        keys.reduce("") { path, key in key.intValue.map { path + "[\($0)]" } ?? Self.path(path, key: key.stringValue) }
    }
}
