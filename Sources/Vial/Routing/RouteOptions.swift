/// How one route matches beyond its rule and methods — the options Flask's `route()` passes on
/// to Werkzeug's `Rule`. Each option left `nil` takes the enclosing blueprint's setting, then
/// the app's.
///
/// ```swift
/// app.get("/feeds/", options: RouteOptions(strictSlashes: false)) { _ in … }   // /feeds answers too
/// ```
public struct RouteOptions: Sendable {
    /// Whether the trailing slash is part of the URL (Werkzeug's `strict_slashes`, on by default):
    /// a rule `/items/` answers `/items` with a 308 to `/items/`, and a rule `/items` does not
    /// answer `/items/`. `false` lets both spellings reach the route directly.
    public var strictSlashes: Bool?

    /// Whether `OPTIONS` is answered for the route when it does not define its own (Flask's
    /// `provide_automatic_options`, on by default).
    public var provideAutomaticOptions: Bool?

    /// Whether a path with runs of slashes that nothing answers as written (`//items///5`) is
    /// redirected (308) to the route's merged path (`/items/5`) — Werkzeug's `merge_slashes`, on
    /// by default.
    public var mergeSlashes: Bool?

    /// Values the handler sees among `request.parameters` for names its rule does not capture
    /// (Werkzeug's `defaults`, a blueprint's `url_defaults`): `/users/` with `["page": 1]` answers
    /// as page 1. A rule that captures a name keeps the URL's value. A URL that another rule of
    /// the same endpoint, registered before, answers with these defaults is redirected there
    /// (`/users/page/1` → `/users/`), and `urlFor` leaves them out. A blueprint's defaults apply
    /// to its routes; a route's own win.
    public var defaults: [String: String]

    /// The subdomain of `SERVER_NAME` the route answers on (Flask's `subdomain`): `api`, or a
    /// placeholder such as `<tenant>` that the handler reads among its parameters. Once any route
    /// has one, every route answers on a subdomain — those without one on `SERVER_NAME` itself —
    /// and `SERVER_NAME` must be set. A blueprint's subdomain is joined to its parent's (`a.b`).
    public var subdomain: String?

    /// The host the route answers on (Flask's `host` under `host_matching`): `api.example.com` or
    /// `<tenant>.example.com`, matched against the `Host` name without its port. Routes without
    /// one answer on any host. A route cannot have both a host and a subdomain.
    public var host: String?

    /// Options for one route; `nil` means "as the blueprint or app says".
    public init(
        strictSlashes: Bool? = nil, provideAutomaticOptions: Bool? = nil, mergeSlashes: Bool? = nil,
        defaults: [String: any CustomStringConvertible & Sendable] = [:], subdomain: String? = nil, host: String? = nil
    ) {
        self.subdomain = subdomain
        self.host = host
        self.strictSlashes = strictSlashes
        self.provideAutomaticOptions = provideAutomaticOptions
        self.mergeSlashes = mergeSlashes
        self.defaults = defaults.compactMapValues { RequestContext.urlTexts($0).first }
    }

    /// Options that only set `defaults`: `app.get("/users/", options: .defaults(["page": 1]))`.
    public static func defaults(_ values: [String: any CustomStringConvertible & Sendable]) -> RouteOptions {
        RouteOptions(defaults: values)
    }

    /// These options, with what is unset here taken from `outer` (defaults merged, these winning).
    func inheriting(_ outer: RouteOptions) -> RouteOptions {
        var merged = RouteOptions(
            strictSlashes: strictSlashes ?? outer.strictSlashes,
            provideAutomaticOptions: provideAutomaticOptions ?? outer.provideAutomaticOptions,
            mergeSlashes: mergeSlashes ?? outer.mergeSlashes, subdomain: subdomain ?? outer.subdomain,
            host: host ?? outer.host)
        merged.defaults = outer.defaults.merging(defaults) { _, own in own }
        return merged
    }
}
