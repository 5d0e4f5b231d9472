import Foundation
import Testing
import Vial
@testable import VialMiddleware
import VialTesting


@Suite struct JWTCodecTests {
    let clock = ManualClock()
    var codec: JWTCodec { JWTCodec(secret: "test-secret-that-is-long-enough-for-hs256", clock: clock) }
    var issuer: TokenIssuer { TokenIssuer(codec: codec, accessLifetime: 60, refreshLifetime: 600) }

    @Test func accessTokensRoundTripWithTheSpecClaims() throws {
        let token = issuer.accessToken(subject: "42", role: "admin", fresh: true)
        let claims = try codec.verify(token)
        #expect(claims.subject == "42")
        #expect(claims.type == .access)
        #expect(claims.role == "admin")
        #expect(claims.fresh == true)
        #expect(claims.expiresAt == clock.wholeSeconds + 60)
        #expect(claims.issuedAt == clock.wholeSeconds && claims.notBefore == clock.wholeSeconds)
        #expect(claims.id.count == 32)
        let header = try JSON(parsing: Base64URL.decode(token.split(separator: ".")[0])!)
        #expect(header == ["alg": "HS256", "typ": "JWT"])
    }

    @Test func expiredTokensAreRefusedAfterTheLeeway() throws {
        let token = issuer.accessToken(subject: "1", role: "user", fresh: false)
        clock.advance(61)
        #expect(throws: JWTError.expired) { try codec.verify(token) }
        let lenient = JWTCodec(secret: "test-secret-that-is-long-enough-for-hs256", leeway: 5, clock: clock)
        #expect(throws: Never.self) { try lenient.verify(token) }
    }

    @Test func tokensBeforeTheirNotBeforeAreRefused() {
        let claims = JWTClaims(
            subject: "1", type: .access, id: "x", issuedAt: clock.wholeSeconds, notBefore: clock.wholeSeconds + 30, expiresAt: clock.wholeSeconds + 90)
        #expect(throws: JWTError.notYetValid) { try codec.verify(codec.encode(claims)) }
    }

    @Test func aSignatureFromAnotherKeyIsRefused() {
        let other = JWTCodec(secret: "some-other-secret", clock: clock)
        let token = TokenIssuer(codec: other).accessToken(subject: "1", role: "admin", fresh: true)
        #expect(throws: JWTError.badSignature) { try codec.verify(token) }
    }

    @Test func tamperedClaimsAreRefused() throws {
        let token = issuer.accessToken(subject: "1", role: "user", fresh: false)
        let parts = token.split(separator: ".").map(String.init)
        var payload = try JSON(parsing: Base64URL.decode(parts[1])!)
        payload["role"] = "admin"
        let forged = parts[0] + "." + Base64URL.encode(Array(payload.serialized.utf8)) + "." + parts[2]
        #expect(throws: JWTError.badSignature) { try codec.verify(forged) }
    }

    @Test func aVerifiedTokenIsRememberedAndItsTimesAreStillChecked() throws {
        let codec = self.codec
        let token = issuer.accessToken(subject: "7", role: "user", fresh: false)
        let first = try codec.verify(token)
        #expect(codec.verified.count == 1)
        #expect(try codec.verify(token) == first)
        #expect(codec.verified.count == 1)
        // The signature is not checked again for the same text; anything else is a new token.
        let parts = token.split(separator: ".").map(String.init)
        let other = issuer.accessToken(subject: "8", role: "user", fresh: false).split(separator: ".")[2]
        #expect(throws: JWTError.badSignature) { try codec.verify(parts[0] + "." + parts[1] + "." + other) }
        clock.advance(61)
        #expect(throws: JWTError.expired) { try codec.verify(token) }
    }

    @Test func theRememberedTokensAreBounded() {
        let tokens = VerifiedTokens()
        func claims(expiring: Int) -> JWTClaims {
            JWTClaims(subject: "1", type: .access, id: "x", issuedAt: 0, notBefore: 0, expiresAt: expiring)
        }
        for index in 0..<VerifiedTokens.capacity {
            tokens.insert(claims(expiring: index.isMultiple(of: 2) ? 10 : 1000), for: "token-\(index)", now: 0)
        }
        #expect(tokens.count == VerifiedTokens.capacity)
        // Full: the expired half goes.
        tokens.insert(claims(expiring: 1000), for: "one more", now: 500)
        #expect(tokens.count == VerifiedTokens.capacity / 2 + 1)
        #expect(tokens.claims(for: "token-1") != nil && tokens.claims(for: "token-0") == nil)
        // Full of unexpired tokens: all go.
        for index in 0..<VerifiedTokens.capacity { tokens.insert(claims(expiring: 1000), for: "fresh-\(index)", now: 500) }
        #expect(tokens.count <= VerifiedTokens.capacity)
    }

    @Test func algNoneIsRefused() throws {
        let payload = JWTClaims(subject: "1", type: .access, id: "x", issuedAt: 0, notBefore: 0, expiresAt: clock.wholeSeconds + 60).json
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let unsigned = header + "." + Base64URL.encode(Array(payload.serialized.utf8)) + "."
        #expect(throws: JWTError.algorithmNotAllowed("none")) { try codec.verify(unsigned) }
    }

    @Test func anotherAlgorithmIsRefusedEvenWithTheRightKey() {
        // Algorithm confusion: the header may not choose the algorithm.
        let hs512 = JWTCodec(secret: "test-secret-that-is-long-enough-for-hs256", algorithm: .HS512, clock: clock)
        let token = TokenIssuer(codec: hs512).accessToken(subject: "1", role: "user", fresh: false)
        #expect(throws: JWTError.algorithmNotAllowed("HS512")) { try codec.verify(token) }
    }

    @Test func malformedTokensAreInvalid() {
        for token in ["", "abc", "a.b", "a.b.c.d", "!!!.???.###", "e30.e30.AAAA"] {
            #expect(throws: JWTError.self, "\(token)") { try codec.verify(token) }
        }
    }

    @Test func claimsMustBeComplete() {
        let token = codec.sign(payload: ["sub": 5, "type": "access", "jti": "x", "exp": .int(clock.wholeSeconds + 60)])
        #expect(throws: JWTError.invalid("Token has no string 'sub' claim")) { try codec.verify(token) }
    }

    @Test func everyAlgorithmRoundTrips() throws {
        for algorithm in JWTAlgorithm.allCases {
            let codec = JWTCodec(secret: "k", algorithm: algorithm, clock: clock)
            let token = TokenIssuer(codec: codec).refreshToken(subject: "7")
            #expect(try codec.verify(token).type == .refresh)
        }
    }
}

@Suite struct JWTMiddlewareTests {
    let clock = ManualClock()

    func setUp() throws -> (TestClient, TokenIssuer, MemoryRevocationStore) {
        let codec = JWTCodec(secret: "middleware-secret", clock: clock)
        let issuer = TokenIssuer(codec: codec, accessLifetime: 60, refreshLifetime: 600)
        let revocations = MemoryRevocationStore(clock: clock)
        var config = AppConfig()
        config.accessLog = false
        let app = App(config: config)
        app.use(JWTManager(issuer: issuer, revocations: revocations))
        app.get("/me", jwtRequired()) { req in req.identity ?? "-" }
        app.post("/refresh", jwtRequired(refresh: true)) { req in "refresh for \(req.identity ?? "-")" }
        app.post("/danger", jwtRequired(fresh: true)) { _ in "fresh" }
        app.get("/admin", roleRequired("admin")) { _ in "admin" }
        app.get("/maybe", jwtOptional()) { req in req.identity ?? "anonymous" }
        return (try app.testClient(), issuer, revocations)
    }

    func bearer(_ token: String) -> HTTPHeaders { ["Authorization": "Bearer \(token)"] }

    func expect401(_ response: TestResponse, code: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == .unauthorized, sourceLocation: sourceLocation)
        #expect(response.header("WWW-Authenticate") == "Bearer", sourceLocation: sourceLocation)
        #expect(try response.json()["error"]?["code"] == .string(code), sourceLocation: sourceLocation)
    }

    @Test func validAccessTokenSetsTheIdentity() async throws {
        let (client, issuer, _) = try setUp()
        let response = try await client.get("/me", headers: bearer(issuer.accessToken(subject: "42", role: "user", fresh: false)))
        #expect(response.text == "42")
    }

    @Test func missingOrMalformedHeaderIs401() async throws {
        let (client, _, _) = try setUp()
        try expect401(try await client.get("/me"), code: "authorization_required")
        try expect401(try await client.get("/me", headers: ["Authorization": "Token abc"]), code: "authorization_required")
        try expect401(try await client.get("/me", headers: ["Authorization": "Bearer not.a.token"]), code: "invalid_token")
    }

    @Test func expiredTokenIs401() async throws {
        let (client, issuer, _) = try setUp()
        let token = issuer.accessToken(subject: "1", role: "user", fresh: false)
        clock.advance(3600)
        let response = try await client.get("/me", headers: bearer(token))
        try expect401(response, code: "token_expired")
        #expect(try response.json()["error"]?["message"] == "Token has expired")
    }

    @Test func refreshTokenCannotBeUsedAsAccessAndViceVersa() async throws {
        let (client, issuer, _) = try setUp()
        try expect401(try await client.get("/me", headers: bearer(issuer.refreshToken(subject: "1"))), code: "wrong_token_type")
        let access = issuer.accessToken(subject: "1", role: "user", fresh: true)
        try expect401(try await client.send(.POST, "/refresh", body: "", headers: bearer(access)), code: "wrong_token_type")
        #expect(try await client.send(.POST, "/refresh", body: "", headers: bearer(issuer.refreshToken(subject: "1"))).text == "refresh for 1")
    }

    @Test func revokedTokenIs401() async throws {
        let (client, issuer, revocations) = try setUp()
        let token = issuer.accessToken(subject: "1", role: "user", fresh: false)
        let claims = try issuer.codec.verify(token)
        try await revocations.revoke(claims.id, expiresAt: claims.expiresAt)
        try expect401(try await client.get("/me", headers: bearer(token)), code: "token_revoked")
    }

    @Test func freshRouteNeedsAFreshToken() async throws {
        let (client, issuer, _) = try setUp()
        let stale = issuer.accessToken(subject: "1", role: "user", fresh: false)
        try expect401(try await client.send(.POST, "/danger", body: "", headers: bearer(stale)), code: "fresh_token_required")
        let fresh = issuer.accessToken(subject: "1", role: "user", fresh: true)
        #expect(try await client.send(.POST, "/danger", body: "", headers: bearer(fresh)).text == "fresh")
    }

    @Test func roleRequiredIs403ForOtherRolesAnd401WithoutAToken() async throws {
        let (client, issuer, _) = try setUp()
        let user = try await client.get("/admin", headers: bearer(issuer.accessToken(subject: "1", role: "user", fresh: false)))
        #expect(user.status == .forbidden)
        #expect(try await client.get("/admin", headers: bearer(issuer.accessToken(subject: "2", role: "admin", fresh: false))).text == "admin")
        try expect401(try await client.get("/admin"), code: "authorization_required")
    }

    @Test func optionalAcceptsNoTokenButNotABadOne() async throws {
        let (client, issuer, _) = try setUp()
        #expect(try await client.get("/maybe").text == "anonymous")
        #expect(try await client.get("/maybe", headers: bearer(issuer.accessToken(subject: "9", role: "user", fresh: false))).text == "9")
        try expect401(try await client.get("/maybe", headers: bearer("x.y.z")), code: "invalid_token")
    }

    @Test func revocationStoreSweepsExpiredIDs() async throws {
        let store = MemoryRevocationStore(clock: clock)
        try await store.revoke("old", expiresAt: clock.wholeSeconds + 10)
        clock.advance(11)
        try await store.revoke("new", expiresAt: clock.wholeSeconds + 10)
        #expect(store.count == 1)
        #expect(try await store.isRevoked("new"))
        #expect(try await !store.isRevoked("old"))
    }

    @Test func middlewareNamesShowInTheRouteListing() throws {
        let app = App()
        let codec = JWTCodec(secret: "k", clock: clock)
        app.use(JWTManager(issuer: TokenIssuer(codec: codec), revocations: MemoryRevocationStore(clock: clock)))
        app.get("/a", jwtRequired()) { _ in "a" }
        app.get("/b", jwtRequired(refresh: true)) { _ in "b" }
        app.get("/c", roleRequired("admin")) { _ in "c" }
        #expect(try app.routes().map(\.middleware) == [["jwt"], ["jwt(refresh)"], ["role(admin)"]])
    }
}

/// PyJWT verifies our tokens and we verify PyJWT's. Runs where PyJWT is installed, and always in CI
/// (`.ci/run` installs it), where its absence is a failure.
@Suite(.enabled(if: Python.hasPyJWT || ProcessInfo.processInfo.environment["CI"] != nil))
struct PyJWTInteropTests {
    static let secret = "interop-secret-0123456789abcdef"

    static func python(_ script: String, _ arguments: [String] = []) throws -> String {
        try Python.run(script, arguments)
    }
}

enum Python {
    static var hasPyJWT: Bool { (try? run("import jwt; print('ok')")) == "ok" }

    static func run(_ script: String, _ arguments: [String] = []) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension PyJWTInteropTests {
    @Test func pyJWTVerifiesOurToken() throws {
        let issuer = TokenIssuer(codec: JWTCodec(secret: Self.secret))
        let token = issuer.accessToken(subject: "42", role: "admin", fresh: true)
        let script = """
            import sys, jwt
            claims = jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"])
            print(claims["sub"], claims["type"], claims["role"], claims["fresh"])
            """
        #expect(try Self.python(script, [token, Self.secret]) == "42 access admin True")
    }

    @Test func weVerifyPyJWTsToken() throws {
        let script = """
            import sys, time, jwt
            now = int(time.time())
            print(jwt.encode({"sub": "7", "type": "access", "jti": "abc", "iat": now, "nbf": now,
                              "exp": now + 300, "role": "user", "fresh": False}, sys.argv[1], algorithm="HS256"))
            """
        let token = try Self.python(script, [Self.secret])
        let claims = try JWTCodec(secret: Self.secret).verify(token)
        #expect(claims.subject == "7")
        #expect(claims.role == "user")
        #expect(claims.fresh == false)
    }

    @Test func pyJWTRejectsATamperedToken() throws {
        let token = TokenIssuer(codec: JWTCodec(secret: Self.secret)).accessToken(subject: "1", role: "user", fresh: false)
        let script = """
            import sys, jwt
            try:
                jwt.decode(sys.argv[1], "wrong-secret", algorithms=["HS256"])
                print("accepted")
            except jwt.InvalidSignatureError:
                print("rejected")
            """
        #expect(try Self.python(script, [token]) == "rejected")
    }
}

@Suite struct MiddlewareDocsTests {
    @Test func bundledMiddlewareDocumentsItsAnswers() throws {
        let app = App()
        app.get("/a", name: "a", jwtRequired(), limit("5 per minute"), cached(timeout: 10)) { _ in "a" }
        app.get("/b", name: "b", jwtOptional()) { _ in "b" }
        app.get("/c", name: "c", roleRequired("admin")) { _ in "c" }
        let routes = try app.routes()
        let a = routes[0]
        #expect(a.security == ["bearerAuth"])
        #expect(Set(a.responses.keys) == [304, 401, 429])
        #expect(routes[1].optionalSecurity)
        #expect(Set(routes[2].responses.keys) == [401, 403])
    }
}
