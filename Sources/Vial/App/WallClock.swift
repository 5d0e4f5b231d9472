import Foundation

/// Wall-clock time as one value that everything time-dependent reads: token lifetimes, rate-limit
/// windows, job leases and the timestamps blueprints write. Production uses `.system`; tests
/// hand every part the same `ManualClock().clock` and move it by hand.
public struct WallClock: Sendable {
    /// Seconds since 1970.
    public let seconds: @Sendable () -> Double

    public init(_ seconds: @escaping @Sendable () -> Double) {
        self.seconds = seconds
    }

    /// The real time.
    public static let system = WallClock { Date().timeIntervalSince1970 }

    /// Seconds since 1970, now.
    public var now: Double { seconds() }
    /// The clock for APIs that read whole seconds.
    public var wholeSeconds: @Sendable () -> Int { { [seconds] in Int(seconds()) } }
    /// The clock for APIs that read a `Date`.
    public var date: @Sendable () -> Date { { [seconds] in Date(timeIntervalSince1970: seconds()) } }
}
