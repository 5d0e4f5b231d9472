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
    /// Which answers the default limits count (all when nil): Flask-Limiter's `default_limits_deduct_when`.
    public let defaultsDeductWhen: RateLimitDeduction?
    let exemptEndpoints: Set<String>
    let exemptBlueprints: Set<String>
    let clock: any WallClock
    let logger: Logger

    public var name: String { "rate-limiter" }
    public var isListed: Bool { false }

    /// A limiter; `defaults` is a Flask-Limiter limit string (a bad one throws here).
    public init(
        storage: any RateLimitStorage = MemoryRateLimitStorage(), strategy: RateLimitStrategy = .fixedWindow,
        defaults: String? = nil, defaultKey: RateLimitKey = .remoteAddress, enabled: Bool = true, failOpen: Bool = true,
        defaultsDeductWhen: RateLimitDeduction? = nil, exempt: Set<String> = [], exemptBlueprints: Set<String> = [],
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "vial.ratelimit")
    ) throws {
        self.storage = storage
        self.strategy = strategy
        self.defaults = try defaults.map(RateLimitItem.parse) ?? []
        self.defaultKey = defaultKey
        self.enabled = enabled
        self.failOpen = failOpen
        self.defaultsDeductWhen = defaultsDeductWhen
        self.exemptEndpoints = exempt
        self.exemptBlueprints = exemptBlueprints
        self.clock = clock
        self.logger = logger
    }

    /// Adds the limiter to `app` (`app.use(limiter)`): outermost of the route middleware after it,
    /// so the default limits count every request to a route without limits of its own — those a
    /// token check then refuses included, as Flask-Limiter's `before_request` does.
    public func install(on app: App) {
        app.use(self)
    }

    /// At `build()`: whether the route gets the default limits (no `limit(…)` or
    /// `rateLimitExempt()` of its own, not an exempt endpoint or blueprint), decided once.
    public func resolve(in route: MiddlewareResolution) throws -> any Middleware {
        guard enabled else { return self }
        let ownLimits = route.inner.contains { $0 is RouteLimit || $0 is RateLimitExemption }
        let exempt =
            route.endpoint.map(exemptEndpoints.contains) ?? true
            || (route.blueprint.map { blueprint in exemptBlueprints.contains { blueprint == $0 || blueprint.hasPrefix($0 + ".") } } ?? false)
        guard !ownLimits, !exempt, !defaults.isEmpty, let endpoint = route.endpoint else { return self }
        return DefaultLimits(limiter: self, scope: endpoint)
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        guard enabled else { return try await next(request) }
        return try await tracked(request) { try await next($0) }
    }

    /// Runs `body` with a tracker on the request; its tightest verdict becomes the response headers.
    func tracked(_ request: Request, _ body: (Request) async throws -> Response) async throws -> Response {
        let tracker = RateLimitTracker()
        var request = request
        request.storage[RateLimitTrackerKey.self] = tracker
        do {
            var response = try await body(request)
            tracker.addHeaders(to: &response.headers)
            return response
        } catch var error as HTTPError {
            // A refusal further in (a 401 from a token check) still says how much is left.
            tracker.addHeaders(to: &error.headers)
            throw error
        }
    }

    /// Hits every limit in `items` for `request` (each hit taken joins `charges`, when kept);
    /// throws a 429 for the first one exceeded.
    func check(
        _ items: [RateLimitItem], scope: String, key: RateLimitKey, cost: Int, request: Request,
        charges: inout [RateLimitCharge]?
    ) async throws {
        let identity = key.value(for: request)
        let now = clock.now
        for item in items {
            let result: RateLimitResult
            let storageKey = "LIMITER/\(identity)/\(scope)/\(item.amount)/\(item.seconds)"
            do {
                result = try await storage.hit(key: storageKey, limit: item, strategy: strategy, cost: cost, now: now)
            } catch {
                logger.error("rate limit storage failed: \(String(reflecting: error))", metadata: ["request_id": .string(request.id)])
                if failOpen { continue }
                throw HTTPError(.serviceUnavailable, "Rate limiting is unavailable", code: "rate_limit_unavailable")
            }
            request.storage[RateLimitTrackerKey.self]?.record(result)
            if result.allowed { charges?.append(RateLimitCharge(key: storageKey, item: item, cost: cost, at: now)) }
            if !result.allowed {
                var headers = RateLimitTracker.headers(for: result)
                headers.add(name: "Retry-After", value: String(Int(result.retryAfter.rounded(.up))))
                throw HTTPError(
                    .tooManyRequests, "Rate limit exceeded: \(item.description)", code: "rate_limit_exceeded", headers: headers)
            }
        }
    }

    /// Checks `items`, runs `next`, and — with `deduction` — gives the hits back when the
    /// answer (or the error thrown, a 429 from these very limits included) is not one it counts.
    func limited(
        _ items: [RateLimitItem], scope: String, key: RateLimitKey, cost: Int, deduction: RateLimitDeduction?,
        request: Request, next: Handler
    ) async throws -> Response {
        guard let deduction else {
            var untracked: [RateLimitCharge]? = nil  // nothing to give back: no array to fill
            try await check(items, scope: scope, key: key, cost: cost, request: request, charges: &untracked)
            return try await next(request)
        }
        var charges: [RateLimitCharge]? = []
        let response: Response
        do {
            try await check(items, scope: scope, key: key, cost: cost, request: request, charges: &charges)
            response = try await next(request)
        } catch {
            if !deduction.counts(error: error) { await refund(charges ?? [], request: request) }
            throw error
        }
        if !deduction.counts(response) { await refund(charges ?? [], request: request) }
        return response
    }

    /// Gives hits back; a storage that cannot keeps them (the safe side), and says so in the log.
    func refund(_ charges: [RateLimitCharge], request: Request) async {
        for charge in charges {
            do {
                try await storage.refund(key: charge.key, limit: charge.item, strategy: strategy, cost: charge.cost, hitAt: charge.at)
            } catch {
                logger.error("rate limit refund failed: \(String(reflecting: error))", metadata: ["request_id": .string(request.id)])
            }
        }
    }
}

/// The default limits, for one route without limits of its own (`RateLimiter.resolve(in:)`).
struct DefaultLimits: Middleware {
    let limiter: RateLimiter
    let scope: String

    var name: String { limiter.name }
    var isListed: Bool { false }

    func handle(_ request: Request, next: Handler) async throws -> Response {
        try await limiter.tracked(request) { request in
            try await limiter.limited(
                limiter.defaults, scope: scope, key: limiter.defaultKey, cost: 1, deduction: limiter.defaultsDeductWhen,
                request: request, next: next)
        }
    }
}

/// `limit(…)` on a route or blueprint. At `build()` it captures the `RateLimiter` installed
/// outside it; with none installed the build fails naming the route.
public struct RouteLimit: Middleware {
    let text: String
    let items: [RateLimitItem]
    let key: RateLimitKey?
    let shared: String?
    let cost: Int
    let exemptWhen: (@Sendable (Request) -> Bool)?
    let deductWhen: RateLimitDeduction?
    let limiter: RateLimiter?
    let scope: String?

    /// `limit(5 per minute)`, or `limit(5 per minute; counts successful answers)` with `deductWhen`.
    public var name: String { "limit(\(counted))" }
    public var docs: MiddlewareDocs? {
        MiddlewareDocs(
            responses: [429: .error("Rate limit exceeded (\(counted)); see Retry-After")],
            rateLimits: items.map { item in
                RateLimitDoc(
                    text: deductWhen.map { "\(item.description), counting \($0)" } ?? item.description,
                    perSecond: Double(item.amount) / Double(item.seconds))
            })
    }

    /// The limit's text, with what it counts when not every answer.
    var counted: String { deductWhen.map { "\(text); counts \($0)" } ?? text }

    public func resolve(in route: MiddlewareResolution) throws -> any Middleware {
        guard let limiter = route.outer(RateLimiter.self) else {
            throw route.missing("\(name)", fix: "install a RateLimiter with limiter.install(on: app)")
        }
        return RouteLimit(
            text: text, items: items, key: key, shared: shared, cost: cost, exemptWhen: exemptWhen, deductWhen: deductWhen,
            limiter: limiter, scope: shared ?? route.endpoint ?? route.rule)
    }

    public func handle(_ request: Request, next: Handler) async throws -> Response {
        guard let limiter, limiter.enabled, exemptWhen?(request) != true else { return try await next(request) }
        return try await limiter.limited(
            items, scope: scope ?? request.endpoint ?? request.path.description, key: key ?? limiter.defaultKey, cost: cost,
            deduction: deductWhen, request: request, next: next)
    }
}

/// Limits for a route or a blueprint (`blueprint.use(limit(…))` limits each of its routes
/// separately; pass `shared:` to count several routes together; `deductWhen:` counts only some
/// answers, `.successful` or `.except(422)`). A bad limit string stops the program at
/// registration with the parse error; use `RateLimitItem.parse` for strings from configuration.
public func limit(
    _ text: String, key: RateLimitKey? = nil, shared: String? = nil, cost: Int = 1,
    exemptWhen: (@Sendable (Request) -> Bool)? = nil, deductWhen: RateLimitDeduction? = nil
) -> RouteLimit {
    let items: [RateLimitItem]
    do {
        items = try RateLimitItem.parse(text)
    } catch {
        preconditionFailure("\(error)")
    }
    return RouteLimit(
        text: text, items: items, key: key, shared: shared, cost: cost, exemptWhen: exemptWhen, deductWhen: deductWhen,
        limiter: nil, scope: nil)
}

/// `rateLimitExempt()`: the route keeps out of the app's default limits.
public struct RateLimitExemption: Middleware {
    public var name: String { "limit(exempt)" }
    public func handle(_ request: Request, next: Handler) async throws -> Response { try await next(request) }
}

/// Exempts a route (or a blueprint's routes) from the app's default limits.
public func rateLimitExempt() -> RateLimitExemption { RateLimitExemption() }

enum RateLimitTrackerKey: StorageKey { typealias Value = RateLimitTracker }

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
