import Foundation
import Hummingbird
import HummingbirdAuth
import JWTKit
import Logging
import PostgresNIO

typealias AppRequestContext = BasicAuthRequestContext<User>

/// `HummingbirdPostgresTasks PORT`: `GET /api/tasks/` on 127.0.0.1:PORT, reading the PostgreSQL
/// database named by `DATABASE_URL` (`postgresql://user[:password]@host[:port]/database`), which
/// Vial made and seeded, and verifying HS256 access tokens signed with `JWT_SECRET_KEY`.
@main
struct HummingbirdPostgresTasks {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8080
        guard let secret = environment["JWT_SECRET_KEY"], !secret.isEmpty else { fatalError("JWT_SECRET_KEY is required") }
        guard let url = environment["DATABASE_URL"].flatMap(URL.init(string:)), url.scheme?.hasPrefix("postgres") == true,
            let host = url.host, let user = url.user
        else { fatalError("DATABASE_URL must be postgresql://user@host:port/database") }

        var logger = Logger(label: "HummingbirdPostgresTasks")
        logger.logLevel = .notice
        let client = PostgresClient(
            configuration: .init(
                host: host, port: url.port ?? 5432, username: user, password: url.password,
                database: String(url.path.dropFirst()), tls: .disable),
            backgroundLogger: logger)

        let jwtKeys = JWTKeyCollection()
        await jwtKeys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)

        let router = Router(context: AppRequestContext.self)
        router.get("/health") { _, _ -> HTTPResponse.Status in .ok }
        let api = router.group("api/tasks")
            .add(middleware: JWTAuthenticator(jwtKeys: jwtKeys, users: UserRepository(client: client)))
            .add(middleware: IsAuthenticatedMiddleware())
        TaskController(repository: TaskRepository(client: client)).addRoutes(to: api)

        var app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "HummingbirdPostgresTasks"),
            logger: logger)
        app.addServices(client)
        try await app.runService()
    }
}
