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
