import Vial
import VialMiddleware

/// The authenticated user as plugins see it: the user id from the verified access token and
/// the account's current role — the auth plugin checks every token's subject against the user
/// records and never takes the role from the token alone (`jwtRequired()` must run first).
public struct CurrentUser: Sendable, Equatable {
    public let id: Int64
    public let role: User.Role

    public var isAdmin: Bool { role == .admin }

    /// The caller of `req`; a 401 when no verified token names a user.
    public init(_ req: Request) throws {
        guard let claims = req.jwtClaims, let id = Int64(claims.subject) else {
            throw JWTError.invalid("Token subject is not a user id").httpError
        }
        self.id = id
        self.role = claims.role.flatMap(User.Role.init) ?? .user
    }
}

extension Request {
    /// The authenticated user (id and role); a 401 when there is none.
    public func currentUser() throws -> CurrentUser { try CurrentUser(self) }
}
