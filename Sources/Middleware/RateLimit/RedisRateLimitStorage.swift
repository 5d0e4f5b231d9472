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
    /// Script SHA1s by strategy, loaded on first use and again after a Redis restart.
    private let loaded = NIOLockedValueBox<[RateLimitStrategy: String]>([:])

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
                .fixedWindow, keys: ["\(prefix)\(key):\(limit.amount)/\(limit.seconds):\(Int(window))"],
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
                .movingWindow, keys: ["\(prefix)\(key):\(limit.amount)/\(limit.seconds):moving"],
                arguments: [String(nowMs), String(limit.seconds * 1000), String(amount), String(cost), UUID().uuidString])
            let (ok, count, oldest) = (reply[0] == 1, reply[1], Double(reply[2]) / 1000)
            return ok
                ? .init(allowed: true, limit: amount, remaining: amount - count, resetAt: oldest + period, retryAfter: 0)
                : .init(allowed: false, limit: amount, remaining: 0, resetAt: oldest + period, retryAfter: max(oldest + period - now, 0))
        case .slidingWindowCounter:
            let weight = (period - (now - window)) / period
            let base = "\(prefix)\(key):\(limit.amount)/\(limit.seconds):"
            let reply = try await run(
                .slidingWindowCounter, keys: [base + String(Int(window)), base + String(Int(window - period))],
                arguments: [String(amount), String(cost), String(weight), String(limit.seconds * 2000)])
            // The script answers the count after an allowed hit; the verdict wants it before.
            let (ok, current, previous) = (reply[0] == 1, reply[1], reply[2])
            return .slidingWindow(
                amount: amount, cost: cost, current: ok ? current - cost : current, previous: previous, window: window,
                period: period, now: now)
        }
    }

    /// Runs `strategy`'s script by its SHA1 (loading it when Redis does not know it) and returns
    /// its integer reply.
    private func run(_ strategy: RateLimitStrategy, keys: [String], arguments: [String]) async throws -> [Int] {
        for attempt in 0..<2 {
            let sha: String
            if let known = loaded.withLockedValue({ $0[strategy] }), attempt == 0 {
                sha = known
            } else {
                guard let text = try await redis.send(["SCRIPT", "LOAD", Self.scripts[strategy]!]).string else {
                    throw RedisUnavailable(reason: "SCRIPT LOAD gave no SHA")
                }
                sha = text
                loaded.withLockedValue { $0[strategy] = sha }
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

    /// One script per strategy: check and count in one atomic step.
    static let scripts: [RateLimitStrategy: String] = [
        // KEYS[1] the window's counter; ARGV amount, cost, period in ms → {allowed, count}
        .fixedWindow: """
            local count = tonumber(redis.call('GET', KEYS[1]) or '0')
            local amount, cost = tonumber(ARGV[1]), tonumber(ARGV[2])
            if count + cost > amount then return {0, count} end
            count = redis.call('INCRBY', KEYS[1], cost)
            if count == cost then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
            return {1, count}
            """,
        // KEYS[1] a sorted set of hit times (ms); ARGV now, period (ms), amount, cost, a unique id
        // → {allowed, hits in the window, oldest hit (ms)}
        .movingWindow: """
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
        .slidingWindowCounter: """
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
            local amount, cost, weight = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            if previous * weight + current + cost > amount then return {0, current, previous} end
            current = redis.call('INCRBY', KEYS[1], cost)
            if current == cost then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
            return {1, current, previous}
            """,
    ]
}
