import Vial

/// Why a token was refused. Every case becomes a 401 JSON error with `WWW-Authenticate: Bearer`.
public enum JWTError: Error, Sendable, Equatable {
    case missingAuthorization
    case malformedAuthorization
    case invalid(String)
    case badSignature
    case algorithmNotAllowed(String)
    case expired
    case notYetValid
    case wrongType(expected: JWTClaims.TokenType)
    case revoked
    case freshRequired

    /// The message clients see: it says which check failed, never anything secret.
    public var message: String {
        switch self {
        case .missingAuthorization: return "Missing Authorization header"
        case .malformedAuthorization: return "Authorization header must be 'Bearer <token>'"
        case .invalid(let reason): return reason
        case .badSignature: return "Signature verification failed"
        case .algorithmNotAllowed(let alg): return "Token algorithm '\(alg)' is not allowed"
        case .expired: return "Token has expired"
        case .notYetValid: return "Token is not yet valid"
        case .wrongType(let expected): return "Only \(expected.rawValue) tokens are allowed"
        case .revoked: return "Token has been revoked"
        case .freshRequired: return "Fresh token required"
        }
    }

    /// The `code` of the error envelope.
    public var code: String {
        switch self {
        case .missingAuthorization, .malformedAuthorization: return "authorization_required"
        case .invalid, .algorithmNotAllowed: return "invalid_token"
        case .badSignature: return "invalid_signature"
        case .expired: return "token_expired"
        case .notYetValid: return "token_not_yet_valid"
        case .wrongType: return "wrong_token_type"
        case .revoked: return "token_revoked"
        case .freshRequired: return "fresh_token_required"
        }
    }

    /// The 401 this refusal becomes.
    public var httpError: HTTPError {
        HTTPError(.unauthorized, message, code: code, headers: ["WWW-Authenticate": "Bearer"])
    }
}
