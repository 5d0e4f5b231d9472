import Vial

/// The app-wide JWT settings, Flask-JWT-Extended's `JWTManager(app)`: register it once with
/// `app.use(manager)`; then `jwtRequired()`, `jwtOptional()` and `roleRequired(_:)` on any
/// blueprint or route find it on the request.
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

    public var name: String { "jwt-manager" }
    /// Plumbing: the listing shows the `jwt…` checks that use it instead.
    public var isListed: Bool { false }
    public var codec: JWTCodec { issuer.codec }

    public init(issuer: TokenIssuer, revocations: any RevocationStore) {
        self.issuer = issuer
        self.revocations = revocations
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        var request = request
        request.storage[JWTManagerKey.self] = self
        return try await next(request)
    }

    /// Reads and checks the bearer token of `request`: signature, time, type (unless `type` is
    /// nil: either kind), freshness, revocation.
    public func authenticate(_ request: Request, type: JWTClaims.TokenType?, fresh: Bool = false) async throws -> JWTClaims {
        guard let header = request.header("Authorization") else { throw JWTError.missingAuthorization.httpError }
        // "Bearer <token>", the scheme in any case.
        let utf8 = header.utf8
        guard utf8.count > 7, utf8.prefix(7).map({ $0 | 0x20 }).elementsEqual("bearer ".utf8) else {
            throw JWTError.malformedAuthorization.httpError
        }
        let token = String(decoding: utf8.dropFirst(7), as: UTF8.self).trimmedSpaces
        guard !token.isEmpty else { throw JWTError.malformedAuthorization.httpError }
        let claims: JWTClaims
        do {
            claims = try codec.verify(token)
        } catch {
            throw error.httpError
        }
        if let type, claims.type != type { throw JWTError.wrongType(expected: type).httpError }
        if fresh, claims.fresh != true { throw JWTError.freshRequired.httpError }
        if try await revocations.isRevoked(claims.id) { throw JWTError.revoked.httpError }
        return claims
    }
}

enum JWTManagerKey: StorageKey { typealias Value = JWTManager }
enum JWTClaimsKey: StorageKey { typealias Value = JWTClaims }

extension Request {
    /// The verified token's claims, when a JWT middleware accepted one.
    public var jwtClaims: JWTClaims? { storage[JWTClaimsKey.self] }

    /// The authenticated identity (the token's `sub`), when there is one.
    public var identity: String? { jwtClaims?.subject }

    func jwtManager() throws -> JWTManager {
        guard let manager = storage[JWTManagerKey.self] else {
            // A wiring mistake, not the client's: a 500 whose log line says what to fix.
            struct MissingJWTManager: Error, CustomStringConvertible {
                var description: String { "JWT middleware used without app.use(JWTManager(...))" }
            }
            throw MissingJWTManager()
        }
        return manager
    }
}

/// Requires a valid token: an access token by default, a refresh token with `refresh`,
/// a fresh access token with `fresh`, either kind with `verifyType: false`
/// (Flask-JWT-Extended's `@jwt_required(refresh=…, fresh=…, verify_type=…)`).
public func jwtRequired(refresh: Bool = false, fresh: Bool = false, verifyType: Bool = true) -> some Middleware {
    let label = !verifyType ? "jwt(any)" : refresh ? "jwt(refresh)" : fresh ? "jwt(fresh)" : "jwt"
    let type: JWTClaims.TokenType? = verifyType ? (refresh ? .refresh : .access) : nil
    let docs = MiddlewareDocs(
        security: ["bearerAuth"],
        responses: [401: .error(refresh ? "Missing, invalid, expired or revoked refresh token" : "Missing, invalid, expired or revoked token")])
    return MiddlewareFunction(name: label, docs: docs) { request, next in
        let claims = try await request.jwtManager().authenticate(request, type: type, fresh: fresh)
        var request = request
        request.storage[JWTClaimsKey.self] = claims
        return try await next(request)
    }
}

/// Accepts a request with no `Authorization` header; a header that is there must hold a valid access token.
public func jwtOptional() -> some Middleware {
    MiddlewareFunction(
        name: "jwt(optional)",
        docs: MiddlewareDocs(security: ["bearerAuth"], optionalSecurity: true, responses: [401: .error("Invalid, expired or revoked token")])
    ) { request, next in
        guard request.header("Authorization") != nil else { return try await next(request) }
        let claims = try await request.jwtManager().authenticate(request, type: .access)
        var request = request
        request.storage[JWTClaimsKey.self] = claims
        return try await next(request)
    }
}

/// Requires an access token whose `role` is one of `roles`: 401 without a token, 403 with another role.
public func roleRequired(_ roles: String...) -> some Middleware {
    MiddlewareFunction(
        name: "role(\(roles.joined(separator: ",")))",
        docs: MiddlewareDocs(
            security: ["bearerAuth"],
            responses: [401: .error("Missing or invalid token"), 403: .error("The token's role is not allowed here")])
    ) { request, next in
        var request = request
        let claims: JWTClaims
        if let verified = request.jwtClaims {
            claims = verified
        } else {
            claims = try await request.jwtManager().authenticate(request, type: .access)
        }
        request.storage[JWTClaimsKey.self] = claims
        guard let role = claims.role, roles.contains(role) else {
            throw HTTPError(.forbidden, "This action requires the role \(roles.joined(separator: " or "))", code: "forbidden")
        }
        return try await next(request)
    }
}
