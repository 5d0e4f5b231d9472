import Foundation
import Vial

/// The app-wide JWT settings, Flask-JWT-Extended's `JWTManager(app)`: register it once with
/// `app.use(manager)`; then `jwtRequired()`, `jwtOptional()` and `roleRequired(_:)` on any
/// blueprint or route capture it when the app is built (and the build fails without it).
///
/// ```swift
/// let jwt = JWTManager(issuer: TokenIssuer(codec: JWTCodec(secret: secret)), revocations: store)
/// app.use(jwt)
/// tasks.use(jwtRequired())
/// tasks.get("/mine") { req in "hello \(req.identity ?? "?")" }
/// ```
public struct JWTManager: Middleware {
    public let issuer: TokenIssuer
    public let revocations: any RevocationStore
    /// Checks a verified token's subject against the app's records and returns the claims to
    /// trust — the auth plugin rejects users that no longer exist and puts in each user's
    /// current role, so a role is never taken from the token alone. Nil trusts the token.
    public let subjects: (@Sendable (JWTClaims) async throws -> JWTClaims)?

    public var name: String { "jwt-manager" }
    /// Plumbing: the listing shows the `jwt…` checks that use it instead.
    public var isListed: Bool { false }
    public var codec: JWTCodec { issuer.codec }
    /// How often an open stream (SSE, a streamed download) re-checks that its token has not been revoked.
    public var streamRecheckInterval = Duration.seconds(5)
    /// The query parameter an event stream may carry its access token in (`?jwt=…`), for the
    /// browser's `EventSource`, which cannot send an `Authorization` header; nil (the default)
    /// takes tokens from the header only (Flask-JWT-Extended's `JWT_TOKEN_LOCATION` with
    /// `query_string`, and `JWT_QUERY_STRING_NAME`). Only a `GET` that asks for
    /// `text/event-stream`, on a route whose docs say it answers one, may use it: a token in a
    /// URL ends up in browser history and proxy logs, so no other request should put one
    /// there. The access log never shows its value.
    public var tokenQueryParameter: String?
    /// Whether a `?ticket=` (from `issueTicket`) is accepted in place of the `Authorization`
    /// header: only on WebSocket routes, only on a handshake (`Upgrade: websocket`) — browsers
    /// cannot set headers on a WebSocket. Set per route when the app is built.
    public var acceptsTickets = false

    public init(
        issuer: TokenIssuer, revocations: any RevocationStore,
        subjects: (@Sendable (JWTClaims) async throws -> JWTClaims)? = nil
    ) {
        self.issuer = issuer
        self.revocations = revocations
        self.subjects = subjects
    }

    /// Nothing per request: the checks inside it captured it at `build()`.
    public func handle(_ request: Request, next: Handler) async throws -> Response {
        try await next(request)
    }

    /// Reads and checks the bearer token of `request`: signature, time, type (unless `type` is
    /// nil: either kind), freshness, revocation.
    public func authenticate(_ request: Request, type: JWTClaims.TokenType?, fresh: Bool = false) async throws -> JWTClaims {
        if acceptsTickets, request.header("Authorization") == nil, let ticket = request.args["ticket"], request.asksForWebSocket {
            let claims = try await redeem(ticket)
            if let type, type != .access { throw JWTError.wrongType(expected: type).httpError }
            if fresh, claims.fresh != true { throw JWTError.freshRequired.httpError }
            return claims
        }
        let token = try bearerToken(request)
        guard !token.isEmpty else { throw JWTError.malformedAuthorization.httpError }
        let claims: JWTClaims
        do {
            claims = try codec.verify(token)
        } catch {
            throw error.httpError
        }
        if let type, claims.type != type { throw JWTError.wrongType(expected: type).httpError }
        // A ticket is redeemed once, from a handshake's query string; never as a bearer token.
        if claims.type == .ticket { throw JWTError.wrongType(expected: type ?? .access).httpError }
        if fresh, claims.fresh != true { throw JWTError.freshRequired.httpError }
        let revoked: Bool
        do {
            revoked = try await revocations.isRevoked(anyOf: claims.revocationIDs)
        } catch {
            // The blocklist cannot be read (Redis down): refuse rather than accept a token that
            // may have been revoked, and rather than a 500.
            throw HTTPError(.serviceUnavailable, "The token could not be checked; try again", code: "token_check_unavailable")
        }
        if revoked { throw JWTError.revoked.httpError }
        return try await subjects?(claims) ?? claims
    }
}

extension JWTManager {
    /// A WebSocket ticket for the access token `claims` (see `TokenIssuer.ticket(for:)`).
    public func issueTicket(for claims: JWTClaims) -> (ticket: String, expiresIn: Int) {
        let ticket = issuer.ticket(for: claims)
        return (ticket, min(issuer.ticketLifetime, max(claims.expiresAt - codec.clock.wholeSeconds, 0)))
    }

    /// Checks a ticket and uses it up: signed, unexpired, never used before (its `jti` is claimed
    /// in the revocation store, so a second use fails on every instance), and the access token
    /// it stands for not revoked. Answers that access token's claims: the socket is bound to
    /// its expiry and revocation.
    func redeem(_ ticket: String) async throws -> JWTClaims {
        let claims: JWTClaims
        do {
            claims = try codec.verify(ticket.trimmedSpaces)
        } catch {
            throw error.httpError
        }
        guard claims.type == .ticket, case .string(let tokenID)? = claims.extra["token_jti"],
            case .int(let tokenExpiry)? = claims.extra["token_exp"]
        else { throw JWTError.wrongType(expected: .ticket).httpError }
        let firstUse: Bool
        let revoked: Bool
        do {
            firstUse = try await revocations.claim(claims.id, expiresAt: claims.expiresAt)
            revoked = try await revocations.isRevoked(anyOf: [tokenID] + (claims.sessionID.map { [$0] } ?? []))
        } catch {
            throw HTTPError(.serviceUnavailable, "The ticket could not be checked; try again", code: "token_check_unavailable")
        }
        guard firstUse else { throw HTTPError.unauthorized("This ticket has been used already", code: "ticket_used") }
        if revoked { throw JWTError.revoked.httpError }
        let access = JWTClaims(
            subject: claims.subject, type: .access, id: tokenID, issuedAt: claims.issuedAt, notBefore: claims.notBefore,
            expiresAt: tokenExpiry, role: claims.role, fresh: claims.fresh, sessionID: claims.sessionID)
        return try await subjects?(access) ?? access
    }

    /// The token of `request`: from `Authorization: Bearer …`, or else, for an event stream and
    /// when `tokenQueryParameter` is set, from the query string.
    func bearerToken(_ request: Request) throws -> String {
        guard let header = request.header("Authorization") else {
            if let name = tokenQueryParameter, request.method == .GET,
                request.header("Accept")?.lowercased().contains("text/event-stream") == true,
                let token = request.args[name]
            {
                return token.trimmedSpaces
            }
            throw JWTError.missingAuthorization.httpError
        }
        // "Bearer <token>", the scheme in any case.
        let utf8 = header.utf8
        guard utf8.count > 7, utf8.prefix(7).map({ $0 | 0x20 }).elementsEqual("bearer ".utf8) else {
            throw JWTError.malformedAuthorization.httpError
        }
        return String(decoding: utf8.dropFirst(7), as: UTF8.self).trimmedSpaces
    }
}

enum JWTClaimsKey: StorageKey { typealias Value = JWTClaims }

extension Request {
    /// The verified token's claims, when a JWT middleware accepted one.
    public var jwtClaims: JWTClaims? { storage[JWTClaimsKey.self] }

    /// The authenticated identity (the token's `sub`), when there is one.
    public var identity: String? { jwtClaims?.subject }
}

/// A token check (`jwtRequired`, `jwtOptional`, `roleRequired`). At `build()` it captures the
/// `JWTManager` installed outside it; with none installed the build fails naming the route.
public struct JWTCheck: Middleware {
    public let name: String
    public let docs: MiddlewareDocs?
    let manager: JWTManager?
    let check: @Sendable (JWTManager, Request) async throws -> Request

    init(name: String, docs: MiddlewareDocs, check: @escaping @Sendable (JWTManager, Request) async throws -> Request) {
        self.name = name
        self.docs = docs
        self.manager = nil
        self.check = check
    }

    private init(_ other: JWTCheck, manager: JWTManager) {
        name = other.name
        docs = other.docs
        self.manager = manager
        check = other.check
    }

    public func resolve(in route: MiddlewareResolution) throws -> any Middleware {
        guard var manager = route.outer(JWTManager.self) else {
            throw route.missing("\(name)", fix: "install the tokens' settings with app.use(JWTManager(…)) (the auth plugin does)")
        }
        // A token in the query string is for event streams only: routes documented as one.
        if !route.answersEventStream { manager.tokenQueryParameter = nil }
        // A ticket only opens a WebSocket.
        manager.acceptsTickets = route.docs?.webSocket != nil
        return JWTCheck(self, manager: manager)
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        // `build()` resolves every check; an unresolved one is a check run outside an app.
        guard let manager else { throw HTTPError(.internalServerError, "Internal server error", code: "internal_error") }
        let checked = try await check(manager, request)
        var response = try await next(checked)
        if response.isStreamed, let claims = checked.jwtClaims {
            // No stream or socket outlives the token that opened it.
            for item in manager.streamGuards(for: claims) { response.addGuard(item) }
        }
        return response
    }
}

extension JWTManager {
    /// What ends a stream opened with `claims`: the token's expiry, and its revocation (the
    /// blocklist is read every `streamRecheckInterval`; while it cannot be read the stream goes on,
    /// as it was opened with a valid token).
    public func streamGuards(for claims: JWTClaims) -> [StreamGuard] {
        let revocations = self.revocations
        let ids = claims.revocationIDs
        return [
            StreamGuard(reason: "token expired", deadline: Date(timeIntervalSince1970: TimeInterval(claims.expiresAt))),
            StreamGuard(reason: "token revoked", recheckEvery: streamRecheckInterval) {
                try await !revocations.isRevoked(anyOf: ids)
            },
        ]
    }
}

/// Requires a valid token: an access token by default, a refresh token with `refresh`,
/// a fresh access token with `fresh`, either kind with `verifyType: false`
/// (Flask-JWT-Extended's `@jwt_required(refresh=…, fresh=…, verify_type=…)`).
public func jwtRequired(refresh: Bool = false, fresh: Bool = false, verifyType: Bool = true) -> JWTCheck {
    let label = !verifyType ? "jwt(any)" : refresh ? "jwt(refresh)" : fresh ? "jwt(fresh)" : "jwt"
    let type: JWTClaims.TokenType? = verifyType ? (refresh ? .refresh : .access) : nil
    let docs = MiddlewareDocs(
        security: ["bearerAuth"],
        responses: [401: .error(refresh ? "Missing, invalid, expired or revoked refresh token" : "Missing, invalid, expired or revoked token")])
    return JWTCheck(name: label, docs: docs) { manager, request in
        let claims = try await manager.authenticate(request, type: type, fresh: fresh)
        var request = request
        request.storage[JWTClaimsKey.self] = claims
        return request
    }
}

/// Accepts a request with no `Authorization` header; a header that is there must hold a valid access token.
public func jwtOptional() -> JWTCheck {
    JWTCheck(
        name: "jwt(optional)",
        docs: MiddlewareDocs(security: ["bearerAuth"], optionalSecurity: true, responses: [401: .error("Invalid, expired or revoked token")])
    ) { manager, request in
        guard request.header("Authorization") != nil else { return request }
        let claims = try await manager.authenticate(request, type: .access)
        var request = request
        request.storage[JWTClaimsKey.self] = claims
        return request
    }
}

/// Requires an access token whose `role` is one of `roles`: 401 without a token, 403 with another role.
public func roleRequired(_ roles: String...) -> JWTCheck {
    JWTCheck(
        name: "role(\(roles.joined(separator: ",")))",
        docs: MiddlewareDocs(
            security: ["bearerAuth"],
            responses: [401: .error("Missing or invalid token"), 403: .error("The token's role is not allowed here")])
    ) { manager, request in
        var request = request
        let claims: JWTClaims
        if let verified = request.jwtClaims {
            claims = verified
        } else {
            claims = try await manager.authenticate(request, type: .access)
        }
        request.storage[JWTClaimsKey.self] = claims
        guard let role = claims.role, roles.contains(role) else {
            throw HTTPError(.forbidden, "This action requires the role \(roles.joined(separator: " or "))", code: "forbidden")
        }
        return request
    }
}
