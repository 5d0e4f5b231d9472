import Foundation

/// `RedisCache` (Flask-Caching's name): entries in Redis, shared by every instance, so an
/// invalidation on one instance is seen by all (`CACHE_TYPE=RedisCache`, `CACHE_REDIS_URL`).
///
/// Keys are `keyPrefix` + the cache key; each tag is a set of the keys carrying it, deleted
/// together with them by one script. Errors are `RedisUnavailable`: `cached(…)` treats a failed
/// read or write as a miss, so with Redis down requests are served uncached, not with a 500.
public final class RedisCache: CacheBackend {
    private let redis: RedisClient
    private let keyPrefix: String

    public init(redis: RedisClient, keyPrefix: String = "vial_cache_") {
        self.redis = redis
        self.keyPrefix = keyPrefix
    }

    public func get(_ key: String) async throws -> (value: [UInt8], ttl: Double)? {
        let replies = try await redis.pipeline([["GET", keyPrefix + key], ["PTTL", keyPrefix + key]])
        guard case .bulkString(let bytes?) = replies[0] else { return nil }
        let ttl = replies[1].int ?? -1
        return (bytes, ttl > 0 ? Double(ttl) / 1000 : 0)
    }

    public func set(_ key: String, _ value: [UInt8], timeout: Double, tags: Set<String>) async throws {
        let milliseconds = String(max(Int((timeout * 1000).rounded()), 1))
        var commands: [[String]] = []
        for tag in tags.sorted() {
            let set = tagKey(tag)
            commands.append(["SADD", set, keyPrefix + key])
            // The tag set lives at least as long as its longest entry: NX sets a first expiry,
            // GT only ever lengthens it.
            commands.append(["PEXPIRE", set, milliseconds, "NX"])
            commands.append(["PEXPIRE", set, milliseconds, "GT"])
        }
        // The value last, so a reader never finds an entry its tag does not list yet.
        var bytes = commands.map { $0.map { Array($0.utf8) } }
        bytes.append([Array("SET".utf8), Array((keyPrefix + key).utf8), value, Array("PX".utf8), Array(milliseconds.utf8)])
        for reply in try await redis.pipeline(bytes: bytes) {
            if case .error(let message) = reply { throw RedisError(message) }
        }
    }

    public func delete(_ key: String) async throws {
        try await redis.send(["DEL", keyPrefix + key])
    }

    public func delete(tag: String) async throws {
        try await redis.send(["EVAL", Self.deleteTagged, "1", tagKey(tag)])
    }

    /// One pipelined `EVAL` a tag: one round trip for them all.
    public func delete(tags: Set<String>) async throws {
        let replies = try await redis.pipeline(tags.sorted().map { ["EVAL", Self.deleteTagged, "1", tagKey($0)] })
        for reply in replies {
            if case .error(let message) = reply { throw RedisError(message) }
        }
    }

    public func delete(prefix: String) async throws {
        try await deleteMatching(Self.globEscaped(keyPrefix + prefix) + "*")
    }

    /// Deletes this cache's keys (those under `keyPrefix`), not the rest of the database.
    public func clear() async throws {
        try await deleteMatching(Self.globEscaped(keyPrefix) + "*")
    }

    private func tagKey(_ tag: String) -> String { keyPrefix + "tag:" + tag }

    private func deleteMatching(_ pattern: String) async throws {
        var cursor = "0"
        repeat {
            let reply = try await redis.send(["SCAN", cursor, "MATCH", pattern, "COUNT", "500"])
            guard case .array(let parts?) = reply, parts.count == 2, let next = parts[0].string, case .array(let keys?) = parts[1]
            else { throw RedisUnavailable(reason: "unexpected SCAN reply") }
            let names = keys.compactMap(\.string)
            if !names.isEmpty { try await redis.send(["UNLINK"] + names) }
            cursor = next
        } while cursor != "0"
    }

    /// `*`, `?`, `[`, `]` and `\` stand for themselves in a SCAN pattern.
    static func globEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// KEYS[1] a tag's set: deletes its members and the set itself, atomically.
    static let deleteTagged = """
        local keys = redis.call('SMEMBERS', KEYS[1])
        for i = 1, #keys, 500 do
            redis.call('UNLINK', unpack(keys, i, math.min(i + 499, #keys)))
        end
        redis.call('DEL', KEYS[1])
        return #keys
        """
}
