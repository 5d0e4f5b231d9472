import Foundation
import NIOConcurrencyHelpers

/// Wall-clock time that tests move by hand, so expiry, backoff and rate windows are tested
/// without sleeping. Hand one of its views to whatever takes a clock:
///
/// ```swift
/// let clock = ManualClock()
/// let limiter = try RateLimiter(clock: clock.function)        // seconds as Double
/// let codec = JWTCodec(secret: secret, clock: clock.wholeSeconds)  // seconds as Int
/// clock.advance(60)
/// ```
public final class ManualClock: Sendable {
    private let seconds: NIOLockedValueBox<Double>

    /// A clock at `start` seconds since 1970 (a fixed day in 2027 by default).
    public init(_ start: Double = 1_800_000_000) { seconds = NIOLockedValueBox(start) }

    /// Seconds since 1970.
    public var now: Double { seconds.withLockedValue { $0 } }
    /// Whole seconds since 1970.
    public var wholeNow: Int { Int(now) }

    /// Moves the clock on by `delta` seconds.
    public func advance(_ delta: Double) { seconds.withLockedValue { $0 += delta } }

    /// This clock as the `WallClock` the composition root hands every part.
    public var clock: WallClock { WallClock { [self] in self.now } }
    /// The clock for APIs that read seconds as a `Double`.
    public var function: @Sendable () -> Double { { [self] in self.now } }
    /// The clock for APIs that read whole seconds.
    public var wholeSeconds: @Sendable () -> Int { { [self] in self.wholeNow } }
    /// The clock for APIs that read a `Date`.
    public var date: @Sendable () -> Date { { [self] in Date(timeIntervalSince1970: self.now) } }
}
