import Hummingbird
import HummingbirdAuth
import JWTKit

/// The claims of the bundled API's access tokens that this server checks.
struct AccessTokenPayload: JWTPayload {
    enum CodingKeys: String, CodingKey {
        case subject = "sub", expiration = "exp", notBefore = "nbf", type
    }

    var subject: SubjectClaim
    var expiration: ExpirationClaim
    var notBefore: NotBeforeClaim
    var type: String

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try expiration.verifyNotExpired()
        try notBefore.verifyNotBefore()
        guard type == "access" else {
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "not an access token")
        }
    }
}

/// Verifies the Bearer token, then loads its subject (a deleted user is a 401).
struct JWTAuthenticator: AuthenticatorMiddleware {
    typealias Context = AppRequestContext
    let jwtKeys: JWTKeyCollection
    let users: UserRepository

    func authenticate(request: Request, context: Context) async throws -> User? {
        guard let token = request.headers.bearer?.token,
            let payload = try? await jwtKeys.verify(token, as: AccessTokenPayload.self),
            let id = Int64(payload.subject.value),
            let user = try await users.find(id: id)
        else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "Invalid or missing access token")
        }
        return user
    }
}
