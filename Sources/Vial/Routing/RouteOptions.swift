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

    /// Options for one route; `nil` means "as the blueprint or app says".
    public init(strictSlashes: Bool? = nil, provideAutomaticOptions: Bool? = nil, mergeSlashes: Bool? = nil) {
        self.strictSlashes = strictSlashes
        self.provideAutomaticOptions = provideAutomaticOptions
        self.mergeSlashes = mergeSlashes
    }

    /// These options, with what is unset here taken from `outer`.
    func inheriting(_ outer: RouteOptions) -> RouteOptions {
        RouteOptions(
            strictSlashes: strictSlashes ?? outer.strictSlashes,
            provideAutomaticOptions: provideAutomaticOptions ?? outer.provideAutomaticOptions,
            mergeSlashes: mergeSlashes ?? outer.mergeSlashes)
    }
}
