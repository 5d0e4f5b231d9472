import Foundation
import NIOConcurrencyHelpers

/// How hits are counted against a limit.
public enum RateLimitStrategy: String, Sendable, CaseIterable {
    /// Counts per calendar window (`floor(now / period)`); cheap, allows bursts at window edges.
    case fixedWindow = "fixed-window"
    /// An exact log of hit times in the last period; precise, memory grows with the limit.
    case movingWindow = "moving-window"
    /// The current window's count plus the previous one's, weighted by overlap; close to
    /// moving-window at fixed-window cost.
    case slidingWindowCounter = "sliding-window-counter"
}

/// The verdict on one hit.
public struct RateLimitResult: Sendable, Equatable {
    public var allowed: Bool
    public var limit: Int
    public var remaining: Int
    /// When the window resets (seconds since 1970).
    public var resetAt: Double
    /// Seconds until a retry could succeed (0 when allowed).
    public var retryAfter: Double
}

extension RateLimitResult {
    /// The sliding-window-counter verdict on `cost` more hits, given the counts of the current
    /// window (before this hit) and of the previous one: the previous window weighs by how much
    /// of it still overlaps the last period. Shared by the memory and Redis storages.
    static func slidingWindow(
        amount: Int, cost: Int, current: Int, previous: Int, window: Double, period: Double, now: Double
    ) -> RateLimitResult {
        let elapsed = now - window
        let weight = (period - elapsed) / period
        let reset = window + period
        if Double(previous) * weight + Double(current) + Double(cost) > Double(amount) {
            // The previous window's weight falls as time passes; wait until enough has drained,
            // or until the next window when the current one alone is full.
            let room = Double(amount - cost - current)
            let retry = room >= 0 && previous > 0 ? max(period * (1 - room / Double(previous)) - elapsed, 0.001) : reset - now
            return RateLimitResult(allowed: false, limit: amount, remaining: 0, resetAt: reset, retryAfter: max(retry, 0))
        }
        let remaining = max(Int((Double(amount) - (Double(previous) * weight + Double(current + cost))).rounded(.down)), 0)
        return RateLimitResult(allowed: true, limit: amount, remaining: remaining, resetAt: reset, retryAfter: 0)
    }
}

/// Where counts live. `hit` is one atomic operation — check and count together — so a
/// Redis backend can do it in one round trip (a script) and no two event loops can both
/// take the last slot.
public protocol RateLimitStorage: Sendable {
    func hit(key: String, limit: RateLimitItem, strategy: RateLimitStrategy, cost: Int, now: Double) async throws
        -> RateLimitResult
    /// Gives back `cost` hits taken at `hitAt` (a limit with `deductWhen` whose answer it does not
    /// count). Hits whose window has passed are gone already; the count never goes below zero.
    func refund(key: String, limit: RateLimitItem, strategy: RateLimitStrategy, cost: Int, hitAt: Double) async throws
}

extension RateLimitStorage {
    /// A storage that cannot give hits back keeps them: every answer counts (the limiter logs it).
    public func refund(key: String, limit: RateLimitItem, strategy: RateLimitStrategy, cost: Int, hitAt: Double) async throws {
        throw RateLimitRefundUnsupported(storage: String(describing: Self.self))
    }
}

/// Thrown by a storage that does not implement `refund`.
public struct RateLimitRefundUnsupported: Error, CustomStringConvertible {
    public var storage: String
    public var description: String { "\(storage) cannot give hits back (implement RateLimitStorage.refund)" }
}

/// In-memory counts for one process, safe across event loops (one lock), bounded: entries
/// whose windows have passed are swept, and past `maxKeys` the oldest are dropped.
public final class MemoryRateLimitStorage: RateLimitStorage {
    private enum Entry {
        case fixed(window: Double, count: Int)
        case moving([Double])
        case sliding(window: Double, current: Int, previous: Int)
    }

    private struct State {
        var entries: [String: (entry: Entry, expiresAt: Double)] = [:]
        var hitsSinceSweep = 0
    }

    private let state = NIOLockedValueBox(State())
    private let maxKeys: Int

    public init(maxKeys: Int = 100_000) {
        self.maxKeys = maxKeys
    }

    /// Keys currently held (for tests of the sweep).
    public var keyCount: Int { state.withLockedValue { $0.entries.count } }

    public func hit(key: String, limit: RateLimitItem, strategy: RateLimitStrategy, cost: Int, now: Double) async throws
        -> RateLimitResult
    {
        state.withLockedValue { state in
            state.hitsSinceSweep += 1
            if state.hitsSinceSweep >= 1_000 || state.entries.count >= maxKeys { Self.sweep(&state, now: now, maxKeys: maxKeys) }
            let period = Double(limit.seconds)
            let existing = state.entries[key]?.entry
            let (entry, result) = Self.apply(existing, strategy: strategy, limit: limit, period: period, cost: cost, now: now)
            state.entries[key] = (entry, Self.expiry(of: entry, period: period, now: now))
            return result
        }
    }

    public func refund(key: String, limit: RateLimitItem, strategy: RateLimitStrategy, cost: Int, hitAt: Double) async throws {
        state.withLockedValue { state in
            guard let (entry, expiresAt) = state.entries[key] else { return }
            let period = Double(limit.seconds)
            let window = (hitAt / period).rounded(.down) * period
            switch entry {
            case .fixed(let start, let count) where start == window:
                state.entries[key] = (.fixed(window: start, count: max(count - cost, 0)), expiresAt)
            case .moving(var times):
                // The hits taken at that instant; any `cost` of them are the same to the window.
                for _ in 0..<cost {
                    guard let index = times.lastIndex(of: hitAt) else { break }
                    times.remove(at: index)
                }
                state.entries[key] = (.moving(times), expiresAt)
            case .sliding(let start, let current, let previous) where start == window:
                state.entries[key] = (.sliding(window: start, current: max(current - cost, 0), previous: previous), expiresAt)
            case .sliding(let start, let current, let previous) where start == window + period:
                // The window moved on since: the hit now weighs in as the previous window's.
                state.entries[key] = (.sliding(window: start, current: current, previous: max(previous - cost, 0)), expiresAt)
            default:
                break  // its window has passed: nothing left to give back
            }
        }
    }

    private static func apply(
        _ existing: Entry?, strategy: RateLimitStrategy, limit: RateLimitItem, period: Double, cost: Int, now: Double
    ) -> (Entry, RateLimitResult) {
        let amount = limit.amount
        switch strategy {
        case .fixedWindow:
            let window = (now / period).rounded(.down) * period
            var count = 0
            if case .fixed(let start, let stored) = existing, start == window { count = stored }
            let reset = window + period
            if count + cost > amount {
                return (.fixed(window: window, count: count), denied(amount, reset: reset, retry: reset - now))
            }
            count += cost
            return (.fixed(window: window, count: count), allowed(amount, remaining: amount - count, reset: reset))
        case .movingWindow:
            var times: [Double] = []
            if case .moving(let stored) = existing { times = stored.filter { $0 > now - period } }
            if times.count + cost > amount {
                let oldest = times.first ?? now
                return (.moving(times), denied(amount, reset: oldest + period, retry: oldest + period - now))
            }
            times.append(contentsOf: repeatElement(now, count: cost))
            return (.moving(times), allowed(amount, remaining: amount - times.count, reset: (times.first ?? now) + period))
        case .slidingWindowCounter:
            let window = (now / period).rounded(.down) * period
            var current = 0
            var previous = 0
            if case .sliding(let start, let storedCurrent, let storedPrevious) = existing {
                if start == window {
                    current = storedCurrent
                    previous = storedPrevious
                } else if start == window - period {
                    previous = storedCurrent
                }
            }
            let result = RateLimitResult.slidingWindow(
                amount: amount, cost: cost, current: current, previous: previous, window: window, period: period, now: now)
            return (.sliding(window: window, current: result.allowed ? current + cost : current, previous: previous), result)
        }
    }

    private static func allowed(_ limit: Int, remaining: Int, reset: Double) -> RateLimitResult {
        RateLimitResult(allowed: true, limit: limit, remaining: remaining, resetAt: reset, retryAfter: 0)
    }

    private static func denied(_ limit: Int, reset: Double, retry: Double) -> RateLimitResult {
        RateLimitResult(allowed: false, limit: limit, remaining: 0, resetAt: reset, retryAfter: max(retry, 0))
    }

    private static func expiry(of entry: Entry, period: Double, now: Double) -> Double {
        switch entry {
        case .fixed(let window, _): return window + period
        case .moving(let times): return (times.last ?? now) + period
        case .sliding(let window, _, _): return window + 2 * period
        }
    }

    private static func sweep(_ state: inout State, now: Double, maxKeys: Int) {
        state.hitsSinceSweep = 0
        state.entries = state.entries.filter { $0.value.expiresAt > now }
        if state.entries.count >= maxKeys {
            // Still full of live keys: drop those closest to expiry.
            let keep = state.entries.sorted { $0.value.expiresAt > $1.value.expiresAt }.prefix(maxKeys * 3 / 4)
            state.entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
