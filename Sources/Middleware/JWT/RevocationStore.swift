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

    /// How many ids are held (for tests of the sweep).
    public var count: Int { entries.withLockedValue { $0.count } }
}

/// Revoked ids in Redis, seen by every instance the moment `revoke` returns: one key per id,
/// living as long as the token would have (`SET … EX remaining-life`), checked with `EXISTS`.
/// Selected in the bundled app by `JWT_BLOCKLIST_STORAGE_URI=redis://…`.
public final class RedisRevocationStore: RevocationStore {
    private let redis: RedisClient
    private let prefix: String
    private let clock: any WallClock

    public init(redis: RedisClient, prefix: String = "vial:revoked:", clock: any WallClock = SystemClock()) {
        self.redis = redis
        self.prefix = prefix
        self.clock = clock
    }

    public func revoke(_ jti: String, expiresAt: Int) async throws {
        let remaining = expiresAt - clock.wholeSeconds
        guard remaining > 0 else { return }  // expired already: nothing to keep
        try await redis.send(["SET", prefix + jti, "1", "EX", String(remaining)])
    }

    public func isRevoked(_ jti: String) async throws -> Bool {
        try await redis.send(["EXISTS", prefix + jti]).int == 1
    }
}
