import Vial
import Foundation
import NIOConcurrencyHelpers

/// Wall-clock time that tests move by hand, so expiry, backoff and rate windows are tested
/// without sleeping. Hand the same clock to everything that takes one:
///
/// ```swift
/// let clock = ManualClock()
/// let limiter = try RateLimiter(clock: clock)
/// let codec = JWTCodec(secret: secret, clock: clock)
/// clock.advance(60)
/// ```
public final class ManualClock: WallClock {
    private let seconds: NIOLockedValueBox<Double>

    /// A clock at `start` seconds since 1970 (a fixed day in 2027 by default).
    public init(_ start: Double = 1_800_000_000) { seconds = NIOLockedValueBox(start) }

    /// Seconds since 1970.
    public var now: Double { seconds.withLockedValue { $0 } }

    /// Moves the clock on by `delta` seconds.
    public func advance(_ delta: Double) { seconds.withLockedValue { $0 += delta } }
}
