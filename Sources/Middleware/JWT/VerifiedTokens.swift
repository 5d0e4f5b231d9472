import NIOConcurrencyHelpers

/// The claims of tokens whose signature a `JWTCodec` has checked, by the token's exact text:
/// a client sends the same access token with every request, and decoding its base64, computing
/// its HMAC and parsing its JSON again was a fifth of a cached answer's work (issue 21).
///
/// Only what cannot change is kept: an entry is a token this codec's secret signed, with the
/// claims it carries. Everything that depends on the time (`exp`, `nbf`) or on other state
/// (revocation, the user's record) is checked on every use by the callers, as before. Bounded:
/// when full, expired entries go, and if none has expired, all of them (the next requests
/// verify again).
final class VerifiedTokens: Sendable {
    static let capacity = 4096
    private let entries = NIOLockedValueBox<[String: JWTClaims]>([:])

    func claims(for token: String) -> JWTClaims? {
        entries.withLockedValue { $0[token] }
    }

    func insert(_ claims: JWTClaims, for token: String, now: Int) {
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity {
                entries = entries.filter { $0.value.expiresAt >= now }
                if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[token] = claims
        }
    }

    var count: Int { entries.withLockedValue { $0.count } }
}
