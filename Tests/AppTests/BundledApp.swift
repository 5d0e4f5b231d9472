import Vial
import VialApp
import VialBlueprints
import VialMiddleware
import VialTesting

/// The bundled plugins assembled on a migrated in-memory database, with typed access to what
/// they provide (what a plugin's own tests reach through `Assembly`).
struct BundledServices {
    let assembly: Assembly

    init(_ config: AppConfig, clock: any WallClock = SystemClock()) throws {
        assembly = try Bundled.application.assembleInMemory(config: config, clock: clock)
    }

    /// Assembles with `variables` as the whole environment (so a bad value throws `ConfigError`).
    init(variables: [String: String], clock: any WallClock = SystemClock()) throws {
        try self.init(try AppConfig.load(from: variables), clock: clock)
    }

    var app: App { assembly.app }
    var database: AppDatabase { assembly.database }
    var cache: Cache { assembly.cache }
    var limiter: RateLimiter { assembly.limiter }
    var jwt: JWTManager { assembly[AuthPlugin.JWT.self]! }
    var users: any UserStore { assembly[AuthPlugin.Users.self]! }
    var tasks: any TaskStore { assembly[TasksPlugin.Tasks.self]! }
    var outbox: Outbox { assembly[TasksPlugin.Mail.self]! }
    var jobs: JobQueue { assembly[JobsPlugin.Queue.self]! }
    var jobsSettings: JobsSettings { assembly[JobsPlugin.Settings.self]! }
}

/// The bundled app as the tests build it: the testing configuration plus `variables`, no access
/// log, an in-memory database holding the development users (admin first, then user), and one
/// clock for everything — `ManualClock` stands still until a test moves it, so no time window
/// rolls over mid-test.
struct BundledApp {
    let app: App
    let services: BundledServices
    let users: [User]

    init(_ variables: [String: String] = [:], clock: ManualClock = ManualClock()) async throws {
        var config = try AppConfig.load(from: variables.merging(["APP_ENV": "testing"]) { mine, _ in mine })
        config.accessLog = false
        services = try BundledServices(config, clock: clock)
        users = try await DevelopmentSeed.users(into: services.users)
        app = services.app
    }

    /// An access token for the seeded user at `index`.
    func token(_ index: Int) -> String {
        services.jwt.issuer.accessToken(subject: String(users[index].id!), role: users[index].role.rawValue, fresh: true)
    }
}
