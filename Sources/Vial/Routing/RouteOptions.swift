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

    /// Options for one route; `nil` means "as the blueprint or app says".
    public init(
        strictSlashes: Bool? = nil, provideAutomaticOptions: Bool? = nil, mergeSlashes: Bool? = nil,
        defaults: [String: any CustomStringConvertible & Sendable] = [:]
    ) {
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
            mergeSlashes: mergeSlashes ?? outer.mergeSlashes)
        merged.defaults = outer.defaults.merging(defaults) { _, own in own }
        return merged
    }
}
