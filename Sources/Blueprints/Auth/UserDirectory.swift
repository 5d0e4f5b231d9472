import Synchronization
import Vial
import VialMiddleware

/// The current role of each user, for token checks: read from the user store and kept for
/// `ttl` seconds, so a verified token's role and subject are checked against the records without
/// a database read on every request. A user that no longer exists is refused; a token's own
/// `role` claim is replaced by the user's role, so a token can never grant more than the account has.
final class UserDirectory: Sendable {
    private struct Entry {
        /// nil: no such user.
        var role: User.Role?
        var until: Double
    }

    let users: any UserStore
    let clock: any WallClock
    let ttl: Double
    private let entries = Mutex([Int64: Entry]())
    /// Entries kept at most; past it the directory starts over (it is only a cache).
    private static let capacity = 10_000

    init(users: any UserStore, clock: any WallClock, ttl: Double = 1) {
        self.users = users
        self.clock = clock
        self.ttl = ttl
    }

    /// `claims` with the subject's current role; a 401 when the subject is not a user (any more).
    @Sendable func check(_ claims: JWTClaims) async throws -> JWTClaims {
        guard let id = Int64(claims.subject) else { throw JWTError.invalid("Token subject is not a user id").httpError }
        let now = clock.now
        let role: User.Role?
        if let entry = entries.withLock({ $0[id] }), entry.until > now {
            role = entry.role
        } else {
            role = try await users.find(id: id)?.role
            entries.withLock { entries in
                if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
                entries[id] = Entry(role: role, until: now + ttl)
            }
        }
        guard let role else { throw JWTError.invalid("User no longer exists").httpError }
        var checked = claims
        if checked.type == .access { checked.role = role.rawValue }
        return checked
    }
}
