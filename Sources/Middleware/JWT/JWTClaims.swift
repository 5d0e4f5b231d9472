import Vial

/// The claims Vial's tokens carry (Flask-JWT-Extended's layout): `sub` (a string),
/// `type` (`access` or `refresh`), `jti`, `iat`, `nbf`, `exp`, and on access tokens
/// `role` and `fresh`. Other claims are kept in `extra`.
public struct JWTClaims: Sendable, Equatable {
    /// Token kinds.
    public enum TokenType: String, Sendable {
        case access, refresh
    }

    public var subject: String
    public var type: TokenType
    public var id: String
    public var issuedAt: Int
    public var notBefore: Int
    public var expiresAt: Int
    public var role: String?
    public var fresh: Bool?
    /// Any other claims, as sent.
    public var extra: [String: JSON]

    public init(
        subject: String, type: TokenType, id: String, issuedAt: Int, notBefore: Int, expiresAt: Int,
        role: String? = nil, fresh: Bool? = nil, extra: [String: JSON] = [:]
    ) {
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
        guard issuedAt == nil || issuedAt?.intValue != nil, notBefore == nil || notBefore?.intValue != nil else {
            throw .invalid("Token's 'iat' and 'nbf' must be numbers")
        }
        self.init(
            subject: subject, type: type, id: id, issuedAt: issuedAt?.intValue ?? 0,
            notBefore: notBefore?.intValue ?? 0, expiresAt: expiresAt, role: role?.stringValue,
            fresh: fresh?.boolValue, extra: object)
    }
}
