import Vial

/// Which answers a limit counts: Flask-Limiter's `deduct_when`.
///
/// ```swift
/// tasks.post("/", limit("10 per minute", deductWhen: .successful)) { … }   // a 422 costs nothing
/// ```
///
/// The hit is taken when the request arrives, as for any limit, so concurrent requests can
/// never pass the limit between them; when the answer is one the limit does not count, the hit
/// is given back (`RateLimitStorage.refund`). (Flask-Limiter only tests the limit on the way in
/// and counts on the way out, which lets a burst of concurrent requests through.)
public struct RateLimitDeduction: Sendable, CustomStringConvertible {
    /// What is counted, for the route listing and the documented 429 (`successful answers`).
    public let description: String
    let counts: @Sendable (Response) -> Bool

    /// Counts the answers `counts` accepts, described as `description`.
    public init(_ description: String, counts: @escaping @Sendable (Response) -> Bool) {
        self.description = description
        self.counts = counts
    }

    /// Counts answers below 400: client mistakes, refusals and server errors are free.
    public static let successful = RateLimitDeduction("successful answers") { $0.status.code < 400 }

    /// Counts every answer but those with one of `statuses` (`.except(400, 422)`: validation failures are free).
    public static func except(_ statuses: UInt...) -> RateLimitDeduction {
        let free = Set(statuses)
        return RateLimitDeduction("answers other than \(statuses.map(String.init).joined(separator: ", "))") {
            !free.contains($0.status.code)
        }
    }

    /// Whether the answer to a request that threw `error` counts.
    func counts(error: any Error) -> Bool {
        counts((error as? HTTPError).map(Response.error) ?? Response(status: .internalServerError))
    }
}

/// One hit taken, to give back when the answer does not count.
struct RateLimitCharge: Sendable {
    var key: String
    var item: RateLimitItem
    var cost: Int
    var at: Double
}
