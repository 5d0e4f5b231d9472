/// One limit: `amount` hits per `seconds`, parsed from Flask-Limiter's notation.
public struct RateLimitItem: Sendable, Equatable, CustomStringConvertible {
    public var amount: Int
    public var seconds: Int
    /// The text it came from, normalised (`5 per 1 minute`).
    public var description: String

    public init(amount: Int, seconds: Int, description: String? = nil) {
        self.amount = amount
        self.seconds = seconds
        self.description = description ?? "\(amount) per \(seconds) second"
    }

    static let units: [String: Int] = [
        "second": 1, "minute": 60, "hour": 3600, "day": 86_400, "month": 2_592_000, "year": 31_536_000,
    ]

    /// Parses `"200 per day;50 per hour"`, `"5/minute"`, `"10 per 30 seconds"`; separators `;`, `,`, `|`.
    /// Throws `RateLimitParseError` naming the piece it could not read.
    public static func parse(_ text: String) throws -> [RateLimitItem] {
        let pieces = text.split(whereSeparator: { ";,|".contains($0) }).map { $0.trimmedSpaces }.filter { !$0.isEmpty }
        guard !pieces.isEmpty else { throw RateLimitParseError(text: text, reason: "no limit given") }
        return try pieces.map { try parseOne($0, whole: text) }
    }

    private static func parseOne(_ piece: String, whole: String) throws -> RateLimitItem {
        // "5/minute" → "5 per minute"
        let normalised = piece.lowercased().replacingOccurrences(of: "/", with: " per ")
        let words = normalised.split(separator: " ").map(String.init)
        guard words.count == 3 || words.count == 4, words[1] == "per", let amount = Int(words[0]), amount > 0 else {
            throw RateLimitParseError(text: whole, reason: "'\(piece)' is not 'N per [M] unit'")
        }
        var multiplier = 1
        if words.count == 4 {
            guard let value = Int(words[2]), value > 0 else {
                throw RateLimitParseError(text: whole, reason: "'\(words[2])' in '\(piece)' is not a positive count")
            }
            multiplier = value
        }
        var unit = words.last!
        if unit.hasSuffix("s") { unit.removeLast() }
        guard let seconds = units[unit] else {
            throw RateLimitParseError(text: whole, reason: "unknown unit '\(words.last!)' in '\(piece)'")
        }
        return RateLimitItem(
            amount: amount, seconds: seconds * multiplier, description: "\(amount) per \(multiplier) \(unit)")
    }
}

/// A limit string that cannot be read; reported at registration, not on a request.
public struct RateLimitParseError: Error, CustomStringConvertible, Equatable {
    public var text: String
    public var reason: String
    public var description: String { "Invalid rate limit '\(text)': \(reason)" }
}

import Vial
import Foundation
