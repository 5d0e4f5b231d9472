import Foundation
import Logging
import NIOConcurrencyHelpers
import Vial

/// Whose hits count together.
public enum RateLimitKey: Sendable {
    /// The client address (`X-Forwarded-For` believed only from `TRUSTED_PROXIES`).
    case remoteAddress
    /// The authenticated user, falling back to the address for anonymous requests.
    case user
    /// Your own function of the request.
    case custom(@Sendable (Request) -> String)

    func value(for request: Request) -> String {
        switch self {
        case .remoteAddress: return "ip:" + (request.clientAddress ?? "unknown")
        case .user: return request.identity.map { "user:" + $0 } ?? "ip:" + (request.clientAddress ?? "unknown")
        case .custom(let function): return "custom:" + function(request)
        }
    }
}

/// Flask-Limiter's `Limiter`: the storage, the strategy, the app-wide default limits and the
/// exemptions. Install it once with `install(on:)`; then `limit(_:)` on blueprints and routes.
///
/// ```swift
/// let limiter = try RateLimiter(defaults: "200 per day;50 per hour", exempt: ["health.check"])
/// limiter.install(on: app)
/// auth.post("/login", limit("5 per minute")) { … }
/// tasks.use(limit("120 per minute", key: .user))
/// ```
///
/// Every limited response carries `X-RateLimit-Limit`, `-Remaining` and `-Reset` (for the
/// tightest limit checked); a refusal is a 429 JSON error with `Retry-After`.
public final class RateLimiter: Middleware {
    public let storage: any RateLimitStorage
    public let strategy: RateLimitStrategy
    public let defaults: [RateLimitItem]
    public let defaultKey: RateLimitKey
    public let enabled: Bool
    /// When storage fails: true lets the request through (and logs), false answers 503.
    public let failOpen: Bool
    let exemptEndpoints: Set<String>
    let exemptBlueprints: Set<String>
    let clock: @Sendable () -> Double
    let logger: Logger

    public var name: String { "rate-limiter" }
    public var isListed: Bool { false }

    /// A limiter; `defaults` is a Flask-Limiter limit string (a bad one throws here).
    public init(
        storage: any RateLimitStorage = MemoryRateLimitStorage(), strategy: RateLimitStrategy = .fixedWindow,
        defaults: String? = nil, defaultKey: RateLimitKey = .remoteAddress, enabled: Bool = true, failOpen: Bool = true,
        exempt: Set<String> = [], exemptBlueprints: Set<String> = [],
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        logger: Logger = Logger(label: "vial.ratelimit")
    ) throws {
        self.storage = storage
        self.strategy = strategy
        self.defaults = try defaults.map(RateLimitItem.parse) ?? []
        self.defaultKey = defaultKey
        self.enabled = enabled
        self.failOpen = failOpen
        self.exemptEndpoints = exempt
        self.exemptBlueprints = exemptBlueprints
        self.clock = clock
        self.logger = logger
    }

    /// Adds the limiter to `app`: as middleware (so `limit(_:)` finds it and headers are
    /// added) and as a before-hook applying the default limits to routes without limits of their own.
    public func install(on app: App) {
        app.use(self)
        app.before { [self] (request: inout Request) -> Response? in
            try await self.applyDefaults(request)
            return nil
        }
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        guard enabled else { return try await next(request) }
        let tracker = RateLimitTracker()
        var request = request
        request.storage[RateLimiterKey.self] = self
        request.storage[RateLimitTrackerKey.self] = tracker
        var response = try await next(request)
        tracker.addHeaders(to: &response.headers)
        return response
    }

    func applyDefaults(_ request: Request) async throws {
        guard enabled, !defaults.isEmpty, let endpoint = request.endpoint,
            request.storage[RouteLimitedKey.self] != true, !exemptEndpoints.contains(endpoint),
            !(request.blueprint.map { blueprint in exemptBlueprints.contains { blueprint == $0 || blueprint.hasPrefix($0 + ".") } } ?? false)
        else { return }
        try await check(defaults, scope: endpoint, key: defaultKey, cost: 1, request: request)
    }

    /// Hits every limit in `items` for `request`; throws a 429 for the first one exceeded.
    func check(_ items: [RateLimitItem], scope: String, key: RateLimitKey, cost: Int, request: Request) async throws {
        let identity = key.value(for: request)
        let now = clock()
        for item in items {
            let result: RateLimitResult
            do {
                result = try await storage.hit(
                    key: "LIMITER/\(identity)/\(scope)/\(item.amount)/\(item.seconds)", limit: item, strategy: strategy,
                    cost: cost, now: now)
            } catch {
                logger.error("rate limit storage failed: \(String(reflecting: error))", metadata: ["request_id": .string(request.id)])
                if failOpen { continue }
                throw HTTPError(.serviceUnavailable, "Rate limiting is unavailable", code: "rate_limit_unavailable")
            }
            request.storage[RateLimitTrackerKey.self]?.record(result)
            if !result.allowed {
                var headers = RateLimitTracker.headers(for: result)
                headers.add(name: "Retry-After", value: String(Int(result.retryAfter.rounded(.up))))
                throw HTTPError(
                    .tooManyRequests, "Rate limit exceeded: \(item.description)", code: "rate_limit_exceeded", headers: headers)
            }
        }
    }
}

/// Limits for a route or a blueprint (`blueprint.use(limit(…))` limits each of its routes
/// separately; pass `shared:` to count several routes together). A bad limit string stops the
/// program at registration with the parse error; use `RateLimitItem.parse` for strings from configuration.
public func limit(
    _ text: String, key: RateLimitKey? = nil, shared: String? = nil, cost: Int = 1,
    exemptWhen: (@Sendable (Request) -> Bool)? = nil
) -> some Middleware {
    let items: [RateLimitItem]
    do {
        items = try RateLimitItem.parse(text)
    } catch {
        preconditionFailure("\(error)")
    }
    return MiddlewareFunction(
        name: "limit(\(text))", docs: MiddlewareDocs(responses: [429: .error("Rate limit exceeded (\(text)); see Retry-After")])
    ) { request, next in
        guard let limiter = request.storage[RateLimiterKey.self], limiter.enabled else { return try await next(request) }
        var request = request
        request.storage[RouteLimitedKey.self] = true
        if exemptWhen?(request) != true {
            try await limiter.check(
                items, scope: shared ?? request.endpoint ?? request.path.description, key: key ?? limiter.defaultKey,
                cost: cost, request: request)
        }
        return try await next(request)
    }
}

/// Exempts a route (or a blueprint's routes) from the app's default limits.
public func rateLimitExempt() -> some Middleware {
    MiddlewareFunction(name: "limit(exempt)") { request, next in
        var request = request
        request.storage[RouteLimitedKey.self] = true
        return try await next(request)
    }
}

enum RateLimiterKey: StorageKey { typealias Value = RateLimiter }
enum RateLimitTrackerKey: StorageKey { typealias Value = RateLimitTracker }
/// Set when a route has limits (or an exemption) of its own: the defaults then stay out.
enum RouteLimitedKey: StorageKey { typealias Value = Bool }

/// Collects the verdicts of one request; the tightest one becomes the response headers.
final class RateLimitTracker: Sendable {
    private let tightest = NIOLockedValueBox<RateLimitResult?>(nil)

    func record(_ result: RateLimitResult) {
        tightest.withLockedValue { current in
            if current == nil || result.remaining < current!.remaining { current = result }
        }
    }

    func addHeaders(to headers: inout HTTPHeaders) {
        guard let result = tightest.withLockedValue({ $0 }), !headers.contains(name: "X-RateLimit-Limit") else { return }
        for (name, value) in Self.headers(for: result) { headers.add(name: name, value: value) }
    }

    static func headers(for result: RateLimitResult) -> HTTPHeaders {
        [
            "X-RateLimit-Limit": String(result.limit),
            "X-RateLimit-Remaining": String(result.remaining),
            "X-RateLimit-Reset": String(Int(result.resetAt.rounded(.up))),
        ]
    }
}
