import Foundation

/// Wall-clock time, the one clock type everything time-dependent reads: token lifetimes,
/// revocation expiry, rate-limit windows, cache timeouts, job leases and the timestamps
/// blueprints write. Production uses `SystemClock`; tests hand every part one `ManualClock`
/// and move it by hand, or a `FixedClock`.
public protocol WallClock: Sendable {
    /// Seconds since 1970.
    var now: Double { get }
}

extension WallClock {
    /// Whole seconds since 1970 (JWT claims, revocation expiry).
    public var wholeSeconds: Int { Int(now) }
    /// The time as a `Date` (timestamps).
    public var date: Date { Date(timeIntervalSince1970: now) }
}

/// The real time.
public struct SystemClock: WallClock {
    public init() {}
    public var now: Double { Date().timeIntervalSince1970 }
}

/// A clock that never moves: a test's frozen instant.
public struct FixedClock: WallClock {
    public let now: Double
    public init(_ now: Double) { self.now = now }
}
