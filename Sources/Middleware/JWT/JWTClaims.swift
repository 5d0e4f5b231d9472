import Vial

/// The claims Vial's tokens carry (Flask-JWT-Extended's layout): `sub` (a string),
/// `type` (`access` or `refresh`), `jti`, `iat`, `nbf`, `exp`, on access tokens `role` and
/// `fresh`, and `sid`: the login session both tokens of one login (and the access tokens
/// refreshed from it) share, so that logging out with either revokes them all. Other claims are
/// kept in `extra`.
public struct JWTClaims: Sendable, Equatable {
    /// Token kinds.
    public enum TokenType: String, Sendable {
        case access, refresh
        /// A WebSocket ticket: short-lived, single-use, redeemed only from the `ticket` query
        /// parameter of a WebSocket handshake (`JWTManager.issueTicket`).
        case ticket = "ws_ticket"
    }

    public var subject: String
    public var type: TokenType
    public var id: String
    public var issuedAt: Int
    public var notBefore: Int
    public var expiresAt: Int
    public var role: String?
    public var fresh: Bool?
    /// The login session (`sid`); nil on tokens made outside a login.
    public var sessionID: String?
    /// Any other claims, as sent.
    public var extra: [String: JSON]

    public init(
        subject: String, type: TokenType, id: String, issuedAt: Int, notBefore: Int, expiresAt: Int,
        role: String? = nil, fresh: Bool? = nil, sessionID: String? = nil, extra: [String: JSON] = [:]
    ) {
        self.sessionID = sessionID
        self.subject = subject
        self.type = type
        self.id = id
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.role = role
        self.fresh = fresh
        self.extra = extra
    }

    /// The ids a revocation of this token may be recorded under: its own and its session's.
    public var revocationIDs: [String] { sessionID.map { [id, $0] } ?? [id] }

    /// The payload object.
    var json: JSON {
        var object = extra
        object["sub"] = .string(subject)
        object["type"] = .string(type.rawValue)
        object["jti"] = .string(id)
        object["iat"] = .int(issuedAt)
        object["nbf"] = .int(notBefore)
        object["exp"] = .int(expiresAt)
        if let role { object["role"] = .string(role) }
        if let fresh { object["fresh"] = .bool(fresh) }
        if let sessionID { object["sid"] = .string(sessionID) }
        return .object(object)
    }

    /// Reads a payload; throws `JWTError.invalid` naming the first missing or mistyped claim.
    init(json: JSON) throws(JWTError) {
        guard case .object(var object) = json else { throw .invalid("Token payload is not a JSON object") }
        func take(_ name: String) -> JSON? { object.removeValue(forKey: name) }
        guard let subject = take("sub")?.stringValue else { throw .invalid("Token has no string 'sub' claim") }
        guard let typeName = take("type")?.stringValue, let type = TokenType(rawValue: typeName) else {
            throw .invalid("Token has no valid 'type' claim")
        }
        guard let id = take("jti")?.stringValue else { throw .invalid("Token has no 'jti' claim") }
        guard let expiresAt = take("exp")?.intValue else { throw .invalid("Token has no numeric 'exp' claim") }
        let issuedAt = take("iat")
        let notBefore = take("nbf")
        let role = take("role")
        let fresh = take("fresh")
        let session = take("sid")
        guard session == nil || session?.stringValue != nil else { throw .invalid("Token's 'sid' must be a string") }
        guard issuedAt == nil || issuedAt?.intValue != nil, notBefore == nil || notBefore?.intValue != nil else {
            throw .invalid("Token's 'iat' and 'nbf' must be numbers")
        }
        self.init(
            subject: subject, type: type, id: id, issuedAt: issuedAt?.intValue ?? 0,
            notBefore: notBefore?.intValue ?? 0, expiresAt: expiresAt, role: role?.stringValue,
            fresh: fresh?.boolValue, sessionID: session?.stringValue, extra: object)
    }
}
