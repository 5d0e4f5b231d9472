import Foundation
import Vial
import VialMiddleware

/// `auth`: register, login, refresh, logout, me (see docs/bundled-api.md). Mount it anywhere:
/// `app.register(AuthBlueprint.make(users: store, jwt: manager), urlPrefix: "/auth")`.
/// The app must also `app.use(manager)` so the JWT middleware finds it.
public enum AuthBlueprint {
    /// `POST /register` body (the `Registration` model's schema). Auth answers validation problems with 400.
    public static let registration = Registration.schema
    /// `POST /login` body (the `Credentials` model's schema).
    public static let credentials = Credentials.schema

    /// A user as the API shows it (for generated docs): the `UserPayload` model's schema.
    public static let user = UserPayload.schema

    /// The blueprint; `loginLimit` applies when a `RateLimiter` is installed on the app.
    public static func make(
        users: any UserStore, jwt: JWTManager, hasher: PasswordHasher = PasswordHasher(),
        loginLimit: String = "5 per minute", clock: any WallClock = SystemClock()
    ) -> Blueprint {
        let auth = Blueprint("auth")
        // Token answers must not be kept by any cache (RFC 6749 §5.1), and no auth answer need be:
        // every one, errors included, says so.
        auth.after { _, response in
            var response = response
            response.headers.replaceOrAdd(name: "Cache-Control", value: "no-store")
            response.headers.replaceOrAdd(name: "Pragma", value: "no-cache")
            return response
        }
        // Each login costs one hash check whether or not the user exists.
        let dummyHash = hasher.dummyHash()
        let issuer = jwt.issuer

        // Create an account (role user).
        auth.post(
            "/register", name: "register",
            docs: RouteDocs(
                summary: "Register a new user", tags: ["auth"], request: registration,
                responses: [
                    201: .returned("The new user (role user)"), 400: .error("Missing or invalid fields, with details"),
                    409: .error("Username or email already taken"), 415: .error("The body is not JSON"),
                ])
        ) { req -> Created<UserPayload> in
            let input = try req.decode(Registration.self)
            let passwordHash = try await hasher.hashOffLoop(input.password)
            let user = User(
                username: input.username, email: input.email.normalized,
                passwordHash: passwordHash, role: .user, createdAt: Timestamp.string(clock.date))
            do {
                let created = try await users.create(user)
                return Created(created.payload, location: nil, message: "User registered successfully")
            } catch StoreError.conflict(let field) {
                throw HTTPError.conflict(
                    field == "email" ? "Email is already registered" : "Username is already taken",
                    code: "\(field)_taken")
            }
        }

        // Exchange credentials for an access and a refresh token (OAuth2-style top-level body).
        auth.post(
            "/login", name: "login",
            docs: RouteDocs(
                summary: "Log in and receive tokens", tags: ["auth"], request: credentials,
                responses: [
                    200: .returned("Access and refresh tokens"), 400: .error("Missing fields"),
                    401: .error("Invalid username or password"), 415: .error("The body is not JSON"),
                ]),
            limit(loginLimit)
        ) { req -> Tokens in
            let input = try req.decode(Credentials.self)
            let user = try await users.find(username: input.username)
            let valid = await hasher.verifyOffLoop(input.password, against: user?.passwordHash ?? dummyHash)
            guard let user, valid, let id = user.id else {
                throw HTTPError(.unauthorized, "Invalid username or password", code: "invalid_credentials")
            }
            let session = issuer.newSessionID()
            return Tokens(
                accessToken: issuer.accessToken(subject: String(id), role: user.role.rawValue, fresh: true, session: session),
                refreshToken: issuer.refreshToken(subject: String(id), session: session), expiresIn: issuer.accessLifetime)
        }

        // A new (non-fresh) access token for a valid refresh token.
        auth.post(
            "/refresh", name: "refresh",
            docs: RouteDocs(
                summary: "Refresh the access token", tags: ["auth"],
                responses: [200: .returned("A new access token")]),
            jwtRequired(refresh: true)
        ) { req -> RefreshedToken in
            let user = try await currentUser(req, users)
            return RefreshedToken(
                accessToken: issuer.accessToken(
                    subject: req.identity!, role: user.role.rawValue, fresh: false, session: req.jwtClaims?.sessionID),
                expiresIn: issuer.accessLifetime)
        }

        // Revoke the presented token (access or refresh) and, through its session id, every
        // token of the same login: logging out with the access token also ends the refresh token.
        auth.post(
            "/logout", name: "logout",
            docs: RouteDocs(
                summary: "Revoke the current token and the other tokens of its login", tags: ["auth"],
                responses: [200: .returned("The token is revoked")]),
            jwtRequired(verifyType: false)
        ) { req -> LoggedOut in
            guard let claims = req.jwtClaims else { throw JWTError.missingAuthorization.httpError }
            do {
                try await jwt.revocations.revoke(claims.sessionID ?? claims.id, expiresAt: issuer.revocationExpiry(of: claims))
            } catch {
                throw HTTPError(.serviceUnavailable, "The token could not be revoked; try again", code: "revocation_unavailable")
            }
            return LoggedOut(message: "\(claims.type.rawValue.capitalized) token revoked")
        }

        // A WebSocket ticket: browsers cannot send Authorization on a WebSocket, so a page asks
        // for a ticket with its token and opens `…/live?ticket=…` (docs/security.md says why).
        auth.post(
            "/ws-ticket", name: "ws_ticket",
            docs: RouteDocs(
                summary: "A single-use ticket that opens a WebSocket (for browsers)", tags: ["auth"],
                responses: [200: .returned("The ticket, good for one handshake within expires_in seconds")]),
            jwtRequired()
        ) { req -> WebSocketTicket in
            guard let claims = req.jwtClaims else { throw JWTError.missingAuthorization.httpError }
            let (ticket, expiresIn) = jwt.issueTicket(for: claims)
            return WebSocketTicket(ticket: ticket, expiresIn: expiresIn)
        }

        // The current user.
        auth.get(
            "/me", name: "me",
            docs: RouteDocs(summary: "The authenticated user", tags: ["auth"], responses: [200: .returned("The user")]),
            jwtRequired()
        ) { req -> Envelope<UserPayload> in
            Envelope(try await currentUser(req, users).payload)
        }
        return auth
    }

    /// The user the verified token names; a 401 when the account no longer exists.
    static func currentUser(_ req: Request, _ users: any UserStore) async throws -> User {
        guard let id = req.identity.flatMap(Int64.init), let user = try await users.find(id: id) else {
            throw JWTError.invalid("User no longer exists").httpError
        }
        return user
    }
}
