import Vial
import NIOConcurrencyHelpers

/// Where revoked token ids (`jti`) are kept until the token would have expired anyway.
/// The bundled app keeps them in its database; `MemoryRevocationStore` serves tests and
/// single-process apps.
public protocol RevocationStore: Sendable {
    /// Records `jti` as revoked until `expiresAt` (seconds since 1970).
    func revoke(_ jti: String, expiresAt: Int) async throws
    /// Whether `jti` is revoked.
    func isRevoked(_ jti: String) async throws -> Bool
    /// Whether any of `ids` is revoked (a token's `jti` and its session's `sid`): one round
    /// trip where the store can. The default asks `isRevoked` for each.
    func isRevoked(anyOf ids: [String]) async throws -> Bool
    /// Records `jti` as revoked until `expiresAt` unless it already is, and says whether this
    /// call recorded it: a single-use id's one use (a WebSocket ticket). The bundled stores do
    /// it atomically; the default checks, then revokes.
    func claim(_ jti: String, expiresAt: Int) async throws -> Bool
}

extension RevocationStore {
    public func claim(_ jti: String, expiresAt: Int) async throws -> Bool {
        if try await isRevoked(jti) { return false }
        try await revoke(jti, expiresAt: expiresAt)
        return true
    }

    public func isRevoked(anyOf ids: [String]) async throws -> Bool {
        for id in ids where try await isRevoked(id) { return true }
        return false
    }
}

/// Revoked ids in memory; entries past their expiry are swept on each revocation.
public final class MemoryRevocationStore: RevocationStore {
    private let entries = NIOLockedValueBox<[String: Int]>([:])
    private let clock: any WallClock

    public init(clock: any WallClock = SystemClock()) {
        self.clock = clock
    }

    public func revoke(_ jti: String, expiresAt: Int) async throws {
        let now = clock.wholeSeconds
        entries.withLockedValue { entries in
            entries = entries.filter { $0.value >= now }
            entries[jti] = expiresAt
        }
    }

    public func isRevoked(_ jti: String) async throws -> Bool {
        entries.withLockedValue { $0[jti] != nil }
    }

    public func claim(_ jti: String, expiresAt: Int) async throws -> Bool {
        let now = clock.wholeSeconds
        return entries.withLockedValue { entries in
            entries = entries.filter { $0.value >= now }
            guard entries[jti] == nil else { return false }
            entries[jti] = expiresAt
            return true
        }
    }

    /// How many ids are held (for tests of the sweep).
    public var count: Int { entries.withLockedValue { $0.count } }
}

/// A store that keeps revocations durably and can list the unexpired ones: the source a
/// `RedisRevocationStore` rebuilds itself from when Redis lost its data.
public protocol DurableRevocationStore: RevocationStore {
    /// Every revoked id that has not expired, with its expiry.
    func unexpired() async throws -> [(id: String, expiresAt: Int)]
}

/// Revoked ids in Redis, seen by every instance the moment `revoke` returns: one key per id,
/// living as long as the token would have (`SET … EX remaining-life`), checked in one round trip.
/// Selected in the bundled app by `JWT_BLOCKLIST_STORAGE_URI=redis://…`.
///
/// With a `durable` store (the bundled app passes its database's), a revocation is written
/// there first, so it survives a Redis restart without persistence: Redis holds a marker key
/// written when it was last filled from the durable store, and a check that finds the marker
/// gone (Redis restarted, or was flushed) refills Redis from the durable store before it answers.
public final class RedisRevocationStore: RevocationStore {
    private let redis: RedisClient
    private let prefix: String
    private let clock: any WallClock
    private let durable: (any DurableRevocationStore)?
    /// The marker key: present while Redis holds every durable revocation.
    var markerKey: String { prefix + "loaded" }

    public init(
        redis: RedisClient, prefix: String = "vial:revoked:", clock: any WallClock = SystemClock(),
        durable: (any DurableRevocationStore)? = nil
    ) {
        self.redis = redis
        self.prefix = prefix
        self.clock = clock
        self.durable = durable
    }

    public func revoke(_ jti: String, expiresAt: Int) async throws {
        try await durable?.revoke(jti, expiresAt: expiresAt)
        let remaining = expiresAt - clock.wholeSeconds
        guard remaining > 0 else { return }  // expired already: nothing to keep
        try await redis.send(["SET", prefix + jti, "1", "EX", String(remaining)])
    }

    public func isRevoked(_ jti: String) async throws -> Bool {
        try await isRevoked(anyOf: [jti])
    }

    /// The durable store decides first (when there is one); then `SET … NX`, which only one
    /// instance's call can win.
    public func claim(_ jti: String, expiresAt: Int) async throws -> Bool {
        if let durable, !(try await durable.claim(jti, expiresAt: expiresAt)) { return false }
        let remaining = max(expiresAt - clock.wholeSeconds, 1)
        return !(try await redis.send(["SET", prefix + jti, "1", "EX", String(remaining), "NX"])).isNull
    }

    public func isRevoked(anyOf ids: [String]) async throws -> Bool {
        guard let durable else {
            return try await redis.send(["EXISTS"] + ids.map { prefix + $0 }).int ?? 0 > 0
        }
        // The marker and the ids in one round trip.
        guard case .array(let values?) = try await redis.send(["MGET", markerKey] + ids.map { prefix + $0 }),
            values.count == ids.count + 1
        else { throw RedisError("unexpected reply to MGET") }
        if !values[0].isNull { return values.dropFirst().contains { !$0.isNull } }
        let revoked = try await refill(from: durable)
        return ids.contains(where: revoked.contains)
    }

    /// Copies every unexpired durable revocation into Redis, then sets the marker; returns the ids.
    private func refill(from durable: any DurableRevocationStore) async throws -> Set<String> {
        let now = clock.wholeSeconds
        let entries = try await durable.unexpired().filter { $0.expiresAt > now }
        // In batches, so one write stays small however many tokens are revoked.
        for batch in stride(from: 0, to: entries.count, by: 500) {
            let commands = entries[batch..<min(batch + 500, entries.count)].map { entry in
                ["SET", prefix + entry.id, "1", "EX", String(entry.expiresAt - now)]
            }
            for reply in try await redis.pipeline(commands) {
                if case .error(let message) = reply { throw RedisError(message) }
            }
        }
        try await redis.send(["SET", markerKey, "1"])
        return Set(entries.map(\.id))
    }
}
