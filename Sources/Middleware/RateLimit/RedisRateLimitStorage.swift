import Foundation
import NIOConcurrencyHelpers

/// Counts in Redis, shared by every instance that uses the same server
/// (`RATELIMIT_STORAGE_URI=redis://…`, Flask-Limiter's setting). Each hit is one round trip:
/// a Lua script checks and counts atomically on the server, so concurrent hits from any
/// number of instances never take more than the limit. The time is the caller's clock (as in
/// `MemoryRateLimitStorage`), so instances should keep their clocks in sync (NTP).
///
/// When Redis is unreachable `hit` throws `RedisUnavailable` and the limiter follows
/// `RATELIMIT_FAIL_OPEN`.
public final class RedisRateLimitStorage: RateLimitStorage {
    private let redis: RedisClient
    private let prefix: String
    /// The scripts: one per strategy to hit, two to give hits back.
    enum Script: Hashable, Sendable {
        case hit(RateLimitStrategy)
        /// Fixed and sliding windows: a counter per window.
        case refundCount
        /// Moving window: the hits' entries in the sorted set.
        case refundMoving
    }

    /// Script SHA1s, loaded on first use and again after a Redis restart.
    private let loaded = NIOLockedValueBox<[Script: String]>([:])

    public init(redis: RedisClient, prefix: String = "vial:limit:") {
        self.redis = redis
        self.prefix = prefix
    }

    public func hit(key: String, limit: RateLimitItem, strategy: RateLimitStrategy, cost: Int, now: Double) async throws
        -> RateLimitResult
    {
        let amount = limit.amount
        let period = Double(limit.seconds)
        let window = (now / period).rounded(.down) * period
        switch strategy {
        case .fixedWindow:
            let reply = try await run(
                .hit(.fixedWindow), keys: ["\(prefix)\(key):\(limit.amount)/\(limit.seconds):\(Int(window))"],
                arguments: [String(amount), String(cost), String(limit.seconds * 1000)])
            let (ok, count) = (reply[0] == 1, reply[1])
            let reset = window + period
            return ok
                ? .init(allowed: true, limit: amount, remaining: amount - count, resetAt: reset, retryAfter: 0)
                : .init(allowed: false, limit: amount, remaining: 0, resetAt: reset, retryAfter: max(reset - now, 0))
        case .movingWindow:
            // Scores are milliseconds, so Lua's integers carry them exactly.
            let nowMs = Int((now * 1000).rounded(.down))
            let reply = try await run(
                .hit(.movingWindow), keys: ["\(prefix)\(key):\(limit.amount)/\(limit.seconds):moving"],
                arguments: [String(nowMs), String(limit.seconds * 1000), String(amount), String(cost), UUID().uuidString])
            let (ok, count, oldest) = (reply[0] == 1, reply[1], Double(reply[2]) / 1000)
            return ok
                ? .init(allowed: true, limit: amount, remaining: amount - count, resetAt: oldest + period, retryAfter: 0)
                : .init(allowed: false, limit: amount, remaining: 0, resetAt: oldest + period, retryAfter: max(oldest + period - now, 0))
        case .slidingWindowCounter:
            let weight = (period - (now - window)) / period
            let base = "\(prefix)\(key):\(limit.amount)/\(limit.seconds):"
            let reply = try await run(
                .hit(.slidingWindowCounter), keys: [base + String(Int(window)), base + String(Int(window - period))],
                arguments: [String(amount), String(cost), String(weight), String(limit.seconds * 2000)])
            // The script answers the count after an allowed hit; the verdict wants it before.
            let (ok, current, previous) = (reply[0] == 1, reply[1], reply[2])
            return .slidingWindow(
                amount: amount, cost: cost, current: ok ? current - cost : current, previous: previous, window: window,
                period: period, now: now)
        }
    }

    public func refund(key: String, limit: RateLimitItem, strategy: RateLimitStrategy, cost: Int, hitAt: Double) async throws {
        let period = Double(limit.seconds)
        let window = Int((hitAt / period).rounded(.down) * period)
        let base = "\(prefix)\(key):\(limit.amount)/\(limit.seconds):"
        switch strategy {
        case .fixedWindow, .slidingWindowCounter:
            // Both keep one counter per window, named by the window's start.
            _ = try await run(.refundCount, keys: [base + String(window)], arguments: [String(cost)])
        case .movingWindow:
            let hitMs = String(Int((hitAt * 1000).rounded(.down)))
            _ = try await run(.refundMoving, keys: [base + "moving"], arguments: [hitMs, String(cost)])
        }
    }

    /// Runs a script by its SHA1 (loading it when Redis does not know it) and returns its
    /// integer reply.
    private func run(_ script: Script, keys: [String], arguments: [String]) async throws -> [Int] {
        for attempt in 0..<2 {
            let sha: String
            if let known = loaded.withLockedValue({ $0[script] }), attempt == 0 {
                sha = known
            } else {
                guard let text = try await redis.send(["SCRIPT", "LOAD", Self.scripts[script]!]).string else {
                    throw RedisUnavailable(reason: "SCRIPT LOAD gave no SHA")
                }
                sha = text
                loaded.withLockedValue { $0[script] = sha }
            }
            do {
                let reply = try await redis.send(["EVALSHA", sha, String(keys.count)] + keys + arguments)
                guard case .array(let values?) = reply else { throw RedisUnavailable(reason: "unexpected reply \(reply)") }
                return values.map { $0.int ?? 0 }
            } catch let error as RedisError where error.message.hasPrefix("NOSCRIPT") && attempt == 0 {
                continue  // Redis restarted and forgot it: load it again
            }
        }
        throw RedisUnavailable(reason: "the rate-limit script could not be loaded")
    }

    /// One script per strategy: check and count in one atomic step; then the refunds.
    static let scripts: [Script: String] = [
        // KEYS[1] the window's counter; ARGV amount, cost, period in ms → {allowed, count}
        .hit(.fixedWindow): """
            local count = tonumber(redis.call('GET', KEYS[1]) or '0')
            local amount, cost = tonumber(ARGV[1]), tonumber(ARGV[2])
            if count + cost > amount then return {0, count} end
            count = redis.call('INCRBY', KEYS[1], cost)
            if count == cost then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
            return {1, count}
            """,
        // KEYS[1] a sorted set of hit times (ms); ARGV now, period (ms), amount, cost, a unique id
        // → {allowed, hits in the window, oldest hit (ms)}
        .hit(.movingWindow): """
            local now, period = tonumber(ARGV[1]), tonumber(ARGV[2])
            local amount, cost = tonumber(ARGV[3]), tonumber(ARGV[4])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
            local count = redis.call('ZCARD', KEYS[1])
            local allowed = 0
            if count + cost <= amount then
                for i = 1, cost do redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. i) end
                redis.call('PEXPIRE', KEYS[1], period)
                count = count + cost
                allowed = 1
            end
            local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or now
            return {allowed, count, tonumber(oldest)}
            """,
        // KEYS[1] this window's counter, KEYS[2] the previous one's; ARGV amount, cost, the
        // previous window's weight, two periods in ms → {allowed, current, previous}
        .hit(.slidingWindowCounter): """
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
            local amount, cost, weight = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            if previous * weight + current + cost > amount then return {0, current, previous} end
            current = redis.call('INCRBY', KEYS[1], cost)
            if current == cost then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
            return {1, current, previous}
            """,
        // KEYS[1] a window's counter; ARGV cost → {the count after}. A counter that has expired
        // stays gone, and none goes below zero.
        .refundCount: """
            local count = tonumber(redis.call('GET', KEYS[1]) or '0')
            if count <= 0 then return {0} end
            return {redis.call('DECRBY', KEYS[1], math.min(count, tonumber(ARGV[1])))}
            """,
        // KEYS[1] the sorted set of hit times; ARGV the hit's time (ms), cost → {entries removed}.
        // Hits at the same instant are the same to the window: any `cost` of them go.
        .refundMoving: """
            local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            for _, id in ipairs(ids) do redis.call('ZREM', KEYS[1], id) end
            return {#ids}
            """,
    ]
}
