import Foundation
import Vial

/// HMAC algorithms for JWS (RFC 7518 §3.2).
public enum JWTAlgorithm: String, Sendable, CaseIterable {
    case HS256, HS384, HS512

    var digest: DigestAlgorithm {
        switch self {
        case .HS256: return .sha256
        case .HS384: return .sha384
        case .HS512: return .sha512
        }
    }
}

/// Signs and verifies JWS compact tokens with one secret and one pinned algorithm.
///
/// The algorithm comes from configuration, never from the token: a token whose header
/// names anything else (`none`, `RS256`, another HS size) is refused. Signatures are
/// compared in constant time. Time comes from `clock` (seconds since 1970), so tests
/// control expiry without sleeping.
public struct JWTCodec: Sendable {
    public let algorithm: JWTAlgorithm
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    public let leeway: Int
    public let clock: any WallClock
    private let secret: [UInt8]
    /// Tokens this codec has verified, so a token sent again skips its signature and parsing.
    let verified = VerifiedTokens()

    /// A codec for `secret` (at least 32 bytes recommended for HS256).
    public init(
        secret: String, algorithm: JWTAlgorithm = .HS256, leeway: Int = 0,
        clock: any WallClock = SystemClock()
    ) {
        self.secret = Array(secret.utf8)
        self.algorithm = algorithm
        self.leeway = leeway
        self.clock = clock
    }

    /// `header.payload.signature` for `claims`; header `{"alg":"HS256","typ":"JWT"}`.
    public func encode(_ claims: JWTClaims) -> String {
        sign(payload: claims.json)
    }

    /// Signs any payload object (tests use it to forge edge cases with the right key).
    public func sign(payload: JSON, header: JSON? = nil) -> String {
        let headerJSON = header ?? ["alg": .string(algorithm.rawValue), "typ": "JWT"]
        let signingInput = Base64URL.encode(Array(headerJSON.serialized.utf8)) + "." + Base64URL.encode(Array(payload.serialized.utf8))
        let signature = LibCrypto.hmac(algorithm.digest, key: secret, data: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// Checks structure, algorithm, signature, `exp` and `nbf`; returns the claims. A token
    /// verified before has its times checked again, and its signature not (`VerifiedTokens`).
    public func verify(_ token: String) throws(JWTError) -> JWTClaims {
        let claims: JWTClaims
        if let known = verified.claims(for: token) { claims = known } else { claims = try verifySignature(token) }
        let now = clock.wholeSeconds
        if now > claims.expiresAt + leeway { throw .expired }
        if now + leeway < claims.notBefore { throw .notYetValid }
        return claims
    }

    /// Structure, algorithm and signature; the claims, remembered for the next time.
    private func verifySignature(_ token: String) throws(JWTError) -> JWTClaims {
        // Work on the UTF-8 bytes: splitting a String by Character showed up in profiles.
        let bytes = Array(token.utf8)
        guard let firstDot = bytes.firstIndex(of: UInt8(ascii: ".")),
            let secondDot = bytes[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
            !bytes[(secondDot + 1)...].contains(UInt8(ascii: "."))
        else { throw .invalid("Token must have three dot-separated parts") }
        guard let headerBytes = Base64URL.decode(bytes: bytes[..<firstDot]), let header = try? JSON(parsing: headerBytes),
            case .object(let headerFields) = header
        else { throw .invalid("Token header is not valid base64url JSON") }
        guard let alg = headerFields["alg"]?.stringValue else { throw .invalid("Token header has no 'alg'") }
        guard alg == algorithm.rawValue else { throw .algorithmNotAllowed(alg) }
        if let typ = headerFields["typ"], typ.stringValue?.uppercased() != "JWT" {
            throw .invalid("Token header 'typ' must be JWT")
        }
        guard let signature = Base64URL.decode(bytes: bytes[(secondDot + 1)...]) else {
            throw .invalid("Token signature is not valid base64url")
        }
        let expected = LibCrypto.hmac(algorithm.digest, key: secret, data: bytes[..<secondDot])
        guard LibCrypto.constantTimeEqual(expected, signature) else { throw .badSignature }
        guard let payloadBytes = Base64URL.decode(bytes: bytes[(firstDot + 1)..<secondDot]),
            let payload = try? JSON(parsing: payloadBytes)
        else {
            throw .invalid("Token payload is not valid base64url JSON")
        }
        let claims = try JWTClaims(json: payload)
        verified.insert(claims, for: token, now: clock.wholeSeconds)
        return claims
    }
}
