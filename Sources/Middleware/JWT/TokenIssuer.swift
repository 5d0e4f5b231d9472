/// Makes access and refresh tokens with the configured lifetimes (Flask-JWT-Extended's
/// `create_access_token` / `create_refresh_token`).
public struct TokenIssuer: Sendable {
    public let codec: JWTCodec
    /// `JWT_ACCESS_TOKEN_EXPIRES`, seconds.
    public let accessLifetime: Int
    /// `JWT_REFRESH_TOKEN_EXPIRES`, seconds.
    public let refreshLifetime: Int

    public init(codec: JWTCodec, accessLifetime: Int = 3600, refreshLifetime: Int = 604_800) {
        self.codec = codec
        self.accessLifetime = accessLifetime
        self.refreshLifetime = refreshLifetime
    }

    /// An access token for `subject` with its role; `fresh` when it comes straight from a password
    /// login; `session` is the login's `sid` (see `newSessionID()`).
    public func accessToken(subject: String, role: String, fresh: Bool, session: String? = nil) -> String {
        let now = codec.clock.wholeSeconds
        return codec.encode(
            JWTClaims(
                subject: subject, type: .access, id: Self.newID(), issuedAt: now, notBefore: now,
                expiresAt: now + accessLifetime, role: role, fresh: fresh, sessionID: session))
    }

    /// A refresh token for `subject`, in the login session `session`.
    public func refreshToken(subject: String, session: String? = nil) -> String {
        let now = codec.clock.wholeSeconds
        return codec.encode(
            JWTClaims(
                subject: subject, type: .refresh, id: Self.newID(), issuedAt: now, notBefore: now,
                expiresAt: now + refreshLifetime, sessionID: session))
    }

    /// How long a WebSocket ticket may wait to be used, in seconds (`JWT_TICKET_EXPIRES`, default 30).
    public var ticketLifetime = 30

    /// A WebSocket ticket standing for the access token `claims`: its own `jti` (used once), a
    /// short life, and the access token's `jti`, `sid` and expiry, so a socket opened with it
    /// lives no longer than that token and closes when it is revoked.
    public func ticket(for claims: JWTClaims) -> String {
        let now = codec.clock.wholeSeconds
        return codec.encode(
            JWTClaims(
                subject: claims.subject, type: .ticket, id: Self.newID(), issuedAt: now, notBefore: now,
                expiresAt: min(now + ticketLifetime, claims.expiresAt), role: claims.role, fresh: claims.fresh,
                sessionID: claims.sessionID,
                extra: ["token_jti": .string(claims.id), "token_exp": .int(claims.expiresAt)]))
    }

    /// A new login session id, for the tokens one login hands out.
    public func newSessionID() -> String { Self.newID() }

    /// Until when a revocation of `claims` must be kept: its session's tokens were all issued
    /// by now, so none outlives now plus the refresh lifetime; a token outside a session, its own expiry.
    public func revocationExpiry(of claims: JWTClaims) -> Int {
        claims.sessionID == nil ? claims.expiresAt : max(claims.expiresAt, codec.clock.wholeSeconds + refreshLifetime)
    }

    /// 128 random bits as 32 hex digits.
    static func newID() -> String { Hex.encode(LibCrypto.randomBytes(16)) }
}
