/// How the request's host takes part in routing, when a rule asks for it.
///
/// - `subdomain`: a rule or blueprint declared a `subdomain` (Flask's `subdomain_matching`).
///   Every rule then answers on one subdomain of `SERVER_NAME` — those that name none, on
///   `SERVER_NAME` itself — and a host outside `SERVER_NAME` matches no rule (Werkzeug's
///   "invalid subdomain", a 404).
/// - `host`: a rule declared a `host` (Flask's `host_matching`). Those rules answer on their host
///   only; the others on any host.
enum DomainMatching: Sendable, Equatable {
    /// Subdomains of this host name (`SERVER_NAME` lowercased, without its port).
    case subdomain(of: String)
    case host

    /// What the route table matches a rule's domain against: the subdomain (`""` for
    /// `SERVER_NAME` itself; nil for a host outside it), or the host name.
    func key(forHost name: String?) -> String? {
        guard let name else { return nil }
        switch self {
        case .host: return name
        case .subdomain(let server):
            if name == server { return "" }
            guard name.hasSuffix(server), name.utf8.count > server.utf8.count + 1 else { return nil }
            let prefix = name.dropLast(server.utf8.count)
            return prefix.hasSuffix(".") ? String(prefix.dropLast()) : nil
        }
    }

    /// The key for `request`: from a trusted proxy's `X-Forwarded-Host`, else the `Host` header.
    func key(for request: Request) -> String? {
        key(forHost: request.addressedHost?.name)
    }

    /// The host a URL to a rule on `domain` names: the subdomain joined to `serverName` (port
    /// and all), or the host itself.
    func host(for domain: String, serverName: String?) -> String? {
        switch self {
        case .host: return domain
        case .subdomain:
            guard let serverName else { return nil }
            return domain.isEmpty ? serverName : domain + "." + serverName
        }
    }
}
