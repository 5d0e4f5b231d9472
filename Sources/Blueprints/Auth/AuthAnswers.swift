import Vial

// The answers of the auth API, each a typed model: what the handler returns is what the
// OpenAPI document shows. Token answers are top-level objects (OAuth2 style), not enveloped.

/// The token type every token answer names.
public enum TokenType: String, Codable, Sendable, CaseIterable {
    case bearer = "Bearer"
}

/// `POST /login`'s answer: an access and a refresh token.
public struct Tokens: Model, Encodable, DocumentedResponse {
    public var accessToken: String
    public var refreshToken: String
    public var tokenType: TokenType = .bearer
    /// Seconds the access token lives.
    public var expiresIn: Int

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", refreshToken = "refresh_token", tokenType = "token_type", expiresIn = "expires_in"
    }

    public static let rules: [String: FieldRules] = ["expires_in": FieldRules(description: "Seconds the access token lives")]
}

/// `POST /refresh`'s answer: a new access token.
public struct RefreshedToken: Model, Encodable, DocumentedResponse {
    public var accessToken: String
    public var tokenType: TokenType = .bearer
    public var expiresIn: Int

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in"
    }

    public static let rules: [String: FieldRules] = ["expires_in": FieldRules(description: "Seconds the access token lives")]
}

/// `POST /ws-ticket`'s answer.
public struct WebSocketTicket: Model, Encodable, DocumentedResponse {
    public var ticket: String
    /// Seconds within which the ticket opens one handshake.
    public var expiresIn: Int

    enum CodingKeys: String, CodingKey {
        case ticket, expiresIn = "expires_in"
    }
}

/// `POST /logout`'s answer: `{"status": "success", "message": "Access token revoked"}`.
public struct LoggedOut: Model, Encodable, DocumentedResponse {
    public var status = "success"
    public var message: String

    public static let rules: [String: FieldRules] = ["status": FieldRules(.oneOf(["success"]))]
}
