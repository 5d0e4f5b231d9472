import Vial
import VialBlueprints
@testable import VialApp

/// The bundled app as the tests build it: the testing configuration plus `variables`, no access
/// log, an in-memory database holding the development users (admin first, then user), and one
/// clock for everything — `ManualClock` stands still until a test moves it, so no time window
/// rolls over mid-test.
struct BundledApp {
    let app: App
    let services: Services
    let users: [User]

    init(_ variables: [String: String] = [:], clock: ManualClock = ManualClock()) async throws {
        var config = try AppConfig.load(from: variables.merging(["APP_ENV": "testing"]) { mine, _ in mine })
        config.accessLog = false
        services = try Services.inMemory(settings: try AppSettings.load(config), clock: clock.wholeSeconds)
        users = try await DevelopmentSeed.users(into: services.users)
        app = makeApp(config: config, services: services)
    }

    /// An access token for the seeded user at `index`.
    func token(_ index: Int) -> String {
        services.jwt.issuer.accessToken(subject: String(users[index].id!), role: users[index].role.rawValue, fresh: true)
    }
}
