/// One row of the route table — what the `routes` command, the clash checks,
/// generated docs and (later) OpenAPI all read. Routes are data.
public struct RouteInfo: Sendable {
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
    /// The route's own documentation.
    public var docs: RouteDocs
    /// The rule's placeholders with their types.
    public var pathParameters: [PathParameterDoc]
    /// Security scheme names required by the route's middleware (empty: none).
    public var security: [String]
    /// Whether that security is optional.
    public var optionalSecurity: Bool
    /// Every documented answer: the route's own, plus what its middleware may answer.
    public var responses: [UInt: ResponseDoc]
    /// The route's options with the blueprints' and the app's filled in: every one is set.
    public var options: RouteOptions

    /// Whether the route is a WebSocket (`websocket(…)`): listed with method `WS`.
    public var isWebSocket: Bool { docs.webSocket != nil }

    /// The route's one-line summary, if it has one.
    public var summary: String? { docs.summary }

    /// The methods including the automatic ones: `HEAD` with `GET`, and `OPTIONS` unless the
    /// route's automatic `OPTIONS` is off.
    public var allMethods: [String] {
        if isWebSocket { return methods }
        return RouteTable<Int>.allowList(methods, automaticOptions: options.provideAutomaticOptions ?? true).map(\.rawValue)
    }
}
