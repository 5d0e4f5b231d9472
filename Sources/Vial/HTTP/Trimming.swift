extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP's optional whitespace).
    ///
    /// Used instead of Foundation's `trimmingCharacters(in: .whitespaces)`, which is slower on
    /// the request path and showed a data race under parallel first use on Linux.
    public var trimmedSpaces: String {
        let isSpace = { (character: Character) in character == " " || character == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}
