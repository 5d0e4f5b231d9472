/// One row of the route table — what the `routes` command, the clash checks,
/// generated docs and (later) OpenAPI all read. Routes are data.
public struct RouteInfo: Sendable, Codable, Equatable {
    /// `blueprint.name`, dotted for nested blueprints.
    public var endpoint: String
    /// The declared methods, sorted (automatic `HEAD`/`OPTIONS` not included).
    public var methods: [String]
    /// The full rule, prefixes applied.
    public var rule: String
    /// Middleware names in the order they run: app, blueprint(s), route.
    public var middleware: [String]
    /// The dotted blueprint chain, `nil` for app routes.
    public var blueprint: String?
    /// The route's one-line summary, if it has one.
    public var summary: String?

    /// The methods including the automatic ones: `HEAD` with `GET`, and `OPTIONS`.
    public var allMethods: [String] {
        RouteTable<Int>.allowList(methods).map(\.rawValue)
    }
}
