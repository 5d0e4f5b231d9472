import ArgumentParser
import Foundation
import Vial
import VialApp
import VialMiddleware

/// The `auth` plugin: users, JWT (installed app-wide, so any plugin's routes can use
/// `jwtRequired()`), the token blocklist, `/auth/…` routes, the `create-user` command and the
/// development users. Settings: `JWT_SECRET_KEY` (required in production), `JWT_ACCESS_TOKEN_EXPIRES`,
/// `JWT_REFRESH_TOKEN_EXPIRES`. Provides `AuthPlugin.Users` and `AuthPlugin.JWT`.
public struct AuthPlugin: Plugin {
    /// The user store, for plugins that need to look users up.
    public enum Users: StorageKey { public typealias Value = any UserStore }
    /// The app's `JWTManager` (issuer and revocations).
    public enum JWT: StorageKey { public typealias Value = JWTManager }

    /// Where the blueprint is mounted.
    public var urlPrefix: String

    public init(urlPrefix: String = "/auth") { self.urlPrefix = urlPrefix }

    public var name: String { "auth" }
    public var tags: [String: String] { ["auth": "Accounts and JWT tokens"] }
    public var commands: [any ParsableCommand.Type] { [CreateUser.self] }

    public var migrations: [Revision] {
        [
            Revision(
                "0001", "create users",
                up: SQLScript { sql in
                    """
                    CREATE TABLE users (
                        id \(sql.autoIncrementID),
                        username TEXT NOT NULL UNIQUE,
                        email TEXT NOT NULL UNIQUE,
                        password_hash TEXT NOT NULL,
                        role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
                        created_at TEXT NOT NULL
                    )
                    """
                },
                down: "DROP TABLE users"),
            Revision(
                "0002", "create the token blocklist",
                up: """
                    CREATE TABLE token_blocklist (
                        jti TEXT PRIMARY KEY,
                        expires_at BIGINT NOT NULL
                    );
                    CREATE INDEX token_blocklist_expiry ON token_blocklist(expires_at);
                    """,
                down: "DROP TABLE token_blocklist"),
            // `User` and `user` are one name: two accounts a person cannot tell apart are refused.
            Revision(
                "0003", "make usernames unique regardless of case",
                up: SQLScript(
                    sqlite: "CREATE UNIQUE INDEX users_username_nocase ON users(username COLLATE NOCASE)",
                    postgres: "CREATE UNIQUE INDEX users_username_nocase ON users(lower(username))"),
                down: "DROP INDEX users_username_nocase"),
        ]
    }

    /// The old single `schema_version`: users came with 0001, the blocklist with 0003.
    public var legacyVersions: [String: String] { ["0001": "0001", "0002": "0001", "0003": "0002", "0004": "0002"] }

    public func setUp(_ context: PluginContext) throws {
        let settings = try AuthSettings.load(context.config, database: context.database.location)
        if let generated = settings.generatedSecret {
            context.announce(
                generated == "memory"
                    ? " * JWT_SECRET_KEY is not set: tokens are signed with a random key for this process only"
                    : " * JWT_SECRET_KEY is not set: tokens are signed with a random key kept in \(generated)")
        }
        let users = SQLUserStore(context.database)
        var issuer = TokenIssuer(
            codec: JWTCodec(secret: settings.secret, clock: context.clock),
            accessLifetime: settings.accessTokenLifetime, refreshLifetime: settings.refreshTokenLifetime)
        issuer.ticketLifetime = settings.ticketLifetime
        var jwt = JWTManager(
            issuer: issuer,
            revocations: try Self.revocationStore(context),
            subjects: UserDirectory(users: users, clock: context.clock).check)
        jwt.tokenQueryParameter = settings.tokenQueryParameter
        if let name = settings.tokenQueryParameter { context.app.redactQueryParameter(name) }
        context.app.use(jwt)
        context.app.register(AuthBlueprint.make(users: users, jwt: jwt, clock: context.clock), urlPrefix: urlPrefix)
        context.provide(Users.self, users)
        context.provide(JWT.self, jwt)
    }

    /// `JWT_BLOCKLIST_STORAGE_URI`: `database` (the default: the app's database, mirrored in
    /// memory and refreshed each second) or `redis://…`, where a logout is seen by every
    /// instance before it answers. With Redis the database still keeps every revocation, and
    /// Redis is refilled from it when it restarts empty: a logout survives any one restart.
    static func revocationStore(_ context: PluginContext) throws -> any RevocationStore {
        let uri = context.config.settings.string("JWT_BLOCKLIST_STORAGE_URI", default: "database")
        if uri == "database" { return SQLRevocationStore(context.database, clock: context.clock) }
        do {
            let redis = try RedisClient(url: uri)
            context.readiness.add("token_blocklist") { try await redis.send(["PING"]) }
            return RedisRevocationStore(
                redis: redis, clock: context.clock, durable: SQLRevocationStore(context.database, clock: context.clock))
        } catch {
            throw ConfigError(variable: "JWT_BLOCKLIST_STORAGE_URI", reason: "must be database or redis://[:password@]host[:port][/db]")
        }
    }

    /// `admin`/`password` (admin) and `user`/`password` (user) when there are no users yet.
    public func seed(_ assembly: Assembly, samples: Bool) async throws -> String? {
        let users = try assembly.require(Users.self)
        guard try await users.count() == 0 else { return nil }
        guard try await !DevelopmentSeed.users(into: users, now: assembly.clock.date).isEmpty else { return nil }
        return " * Seeded development users: admin/password (admin), user/password (user)"
    }
}

/// The auth plugin's settings.
public struct AuthSettings: Sendable {
    /// The secret that earlier versions used when none was set. It is published (it was in the
    /// source), so anyone could sign admin tokens with it: production refuses it.
    static let publishedSecret = "dev-secret-change-me-0123456789abcdef"
    /// HS256 needs a key at least as long as its hash (RFC 7518 section 3.2).
    static let minimumSecretBytes = 32

    public var secret: String
    /// Where an unset secret came from: nil when `JWT_SECRET_KEY` is set; else the file it is
    /// kept in, or "memory" for a per-process one (in-memory databases).
    public var generatedSecret: String?
    public var accessTokenLifetime: Int
    public var refreshTokenLifetime: Int
    /// `JWT_QUERY_STRING_NAME` when `JWT_TOKEN_LOCATION` lists `query_string`: the parameter
    /// event streams may carry their token in (see `JWTManager.tokenQueryParameter`).
    public var tokenQueryParameter: String? = nil
    /// `JWT_TICKET_EXPIRES`: how long a WebSocket ticket may wait to be used (seconds, default 30).
    public var ticketLifetime = 30

    /// Reads `JWT_SECRET_KEY`, `JWT_ACCESS_TOKEN_EXPIRES`, `JWT_REFRESH_TOKEN_EXPIRES` and `JWT_TICKET_EXPIRES`.
    ///
    /// Production requires a secret of at least 32 bytes other than the published one. Elsewhere
    /// an unset secret is generated once per instance folder — the folder of the SQLite
    /// database, `instance/` by default and on PostgreSQL — and kept there in `jwt_secret` (mode 0600), so tokens
    /// survive restarts but no two installations share a key; with an in-memory database it
    /// lives as long as the process (so `routes` and `openapi`, which assemble in memory, write no file).
    public static func load(_ config: AppConfig, database: DatabaseLocation) throws -> AuthSettings {
        let settings = config.settings
        let configured = settings["JWT_SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if config.environment == .production {
            guard let configured else { throw ConfigError(variable: "JWT_SECRET_KEY", reason: "must be set in production") }
            guard configured != publishedSecret else {
                throw ConfigError(variable: "JWT_SECRET_KEY", reason: "is the published development secret; generate your own")
            }
            guard configured.utf8.count >= minimumSecretBytes else {
                throw ConfigError(variable: "JWT_SECRET_KEY", reason: "must be at least \(minimumSecretBytes) bytes in production")
            }
        }
        if let configured, configured.utf8.count < 16 {
            throw ConfigError(variable: "JWT_SECRET_KEY", reason: "must be at least 16 characters")
        }
        var secret = configured
        var generated: String?
        if secret == nil {
            // PostgreSQL: the app's `instance/` folder, so instances started from one folder share it.
            if let folder = database.instanceFolder {
                let file = folder + "/jwt_secret"
                secret = try instanceSecret(at: file)
                generated = file
            } else {
                secret = Hex.encode(LibCrypto.randomBytes(32))
                generated = "memory"
            }
        }
        return AuthSettings(
            secret: secret!, generatedSecret: generated,
            accessTokenLifetime: try settings.seconds("JWT_ACCESS_TOKEN_EXPIRES", default: 3600),
            refreshTokenLifetime: try settings.seconds("JWT_REFRESH_TOKEN_EXPIRES", default: 604_800),
            tokenQueryParameter: try tokenQueryParameter(settings),
            ticketLifetime: try settings.integer("JWT_TICKET_EXPIRES", default: 30, in: 1...600))
    }

    /// `JWT_TOKEN_LOCATION` (`headers`, optionally `query_string`) and `JWT_QUERY_STRING_NAME` (`jwt`).
    static func tokenQueryParameter(_ settings: SettingsReader) throws -> String? {
        let locations = settings.list("JWT_TOKEN_LOCATION").map { $0.lowercased() }
        for location in locations where !["headers", "query_string"].contains(location) {
            throw ConfigError(variable: "JWT_TOKEN_LOCATION", reason: "must list headers and/or query_string (got '\(location)')")
        }
        guard locations.contains("query_string") else { return nil }
        let name = settings.string("JWT_QUERY_STRING_NAME", default: "jwt")
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw ConfigError(variable: "JWT_QUERY_STRING_NAME", reason: "must be a plain parameter name")
        }
        return name
    }

    /// The secret kept in `file`, created (32 random bytes as hex, readable by the owner only) when missing.
    static func instanceSecret(at file: String) throws -> String {
        if let kept = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines),
            kept.utf8.count >= minimumSecretBytes
        {
            return kept
        }
        let folder = (file as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let secret = Hex.encode(LibCrypto.randomBytes(32))
            guard FileManager.default.createFile(atPath: file, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else { throw CocoaError(.fileWriteUnknown) }
            return secret
        } catch {
            throw ConfigError(variable: "JWT_SECRET_KEY", reason: "is not set and no secret could be kept in \(file) (\(error)); set it")
        }
    }
}

/// `create-user NAME --email E [--role admin]`, the password read from standard input.
struct CreateUser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-user", abstract: "Create a user; the password is read from standard input.")
    @OptionGroup var environment: EnvironmentOptions
    @Argument(help: "Username.") var name: String
    @Option(help: "Email address.") var email: String
    @Option(help: "user or admin.") var role: String = "user"

    func run() async throws {
        let database = try environment.openDatabase()
        guard let role = User.Role(rawValue: role) else {
            FileHandle.standardError.write(Data("Error: --role must be user or admin\n".utf8))
            throw ExitCode(2)
        }
        let password = readLine(strippingNewline: true) ?? ""
        do {
            _ = try AuthBlueprint.registration.validate(["username": .string(name), "email": .string(email), "password": .string(password)])
        } catch let error as HTTPError {
            FileHandle.standardError.write(Data("Error: \(error.details?.serialized ?? error.message)\n".utf8))
            throw ExitCode(2)
        }
        let hash = try PasswordHasher().hash(password)
        do {
            let user = try await SQLUserStore(database).create(
                User(username: name, email: email.lowercased(), passwordHash: hash, role: role, createdAt: Timestamp.string(Date())))
            print("Created user \(user.username) (id \(user.id ?? 0), role \(role.rawValue)).")
        } catch StoreError.conflict(let field) {
            FileHandle.standardError.write(Data("Error: that \(field) is already taken\n".utf8))
            throw ExitCode(1)
        }
    }
}
