/// Mistakes in route declarations and URL building, reported loudly at registration or build time.
public enum RoutingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A rule string that cannot be parsed.
    case invalidRule(String)
    /// A placeholder names a converter nobody registered.
    case unknownConverter(String, rule: String)
    /// Two routes would answer the same method on the same rule.
    case conflict(String)
    /// Two routes, or two blueprints, share a name.
    case duplicateName(String)
    /// `urlFor` was asked for an endpoint that does not exist; `didYouMean` is the closest
    /// one that does, when one is close (Flask's "Did you mean … instead?").
    case unknownEndpoint(String, didYouMean: String? = nil)
    /// `urlFor` is missing a parameter or was given a value the converter rejects.
    case urlBuild(String)
    /// A route's middleware needs other middleware (a JWT manager, a rate limiter, a cache) that
    /// is not installed outside it.
    case missingDependency(String)
    /// A documented `Model` type whose fields cannot be learned (see `Model`).
    case invalidModel(String)

    public var description: String {
        switch self {
        case .invalidRule(let message): return "Invalid rule: \(message)"
        case .unknownConverter(let name, let rule): return "Unknown converter '\(name)' in rule '\(rule)'"
        case .conflict(let message): return "Route conflict: \(message)"
        case .duplicateName(let message): return "Duplicate name: \(message)"
        case .unknownEndpoint(let endpoint, let closest):
            return "Could not build URL for unknown endpoint '\(endpoint)'" + (closest.map { ". Did you mean '\($0)'?" } ?? "")
        case .urlBuild(let message): return "Could not build URL: \(message)"
        case .missingDependency(let message): return "Missing middleware: \(message)"
        case .invalidModel(let message): return "Invalid model: \(message)"
        }
    }
}
