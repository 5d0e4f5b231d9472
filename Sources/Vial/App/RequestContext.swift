import Foundation

/// What a request needs from its app after routing: the URL map for `urlFor` and proxy trust.
final class RequestContext: Sendable {
    /// Each endpoint's rules, in the order `urlFor` tries them.
    let urlMap: [String: [BuildRule]]
    let trustedProxies: Set<String>
    let serverName: String?
    let trustedHosts: [String]
    /// The bounds of every WebSocket (a route may set its own).
    let webSocketSettings: WebSocketSettings
    /// WebSocket routes' endpoints: their external URLs are `ws://` or `wss://`.
    let webSocketEndpoints: Set<String>
    /// The methods each endpoint answers (its `Allow` list), for `urlFor(method:)`.
    let endpointMethods: [String: [HTTPMethod]]
    /// Asked in turn when a URL cannot be built (`App.urlBuildErrorHandler`).
    let urlBuildErrorHandlers: [URLBuildErrorHandler]
    /// `urlDefaults` functions, in the order Flask calls them.
    let urlDefaults: [ScopedURLDefaults]
    /// Set when rules match on the host: URLs to them name their host.
    let domainMatching: DomainMatching?
    /// `PREFERRED_URL_SCHEME`: the scheme of an external URL built outside a request.
    let preferredURLScheme: String

    init(
        urlMap: [String: [BuildRule]], trustedProxies: Set<String>, serverName: String?, trustedHosts: [String] = [],
        webSocketSettings: WebSocketSettings = WebSocketSettings(), webSocketEndpoints: Set<String> = [],
        endpointMethods: [String: [HTTPMethod]] = [:], urlBuildErrorHandlers: [URLBuildErrorHandler] = [],
        urlDefaults: [ScopedURLDefaults] = [], domainMatching: DomainMatching? = nil, preferredURLScheme: String = "http"
    ) {
        self.urlDefaults = urlDefaults
        self.domainMatching = domainMatching
        self.preferredURLScheme = preferredURLScheme
        self.urlBuildErrorHandlers = urlBuildErrorHandlers
        self.endpointMethods = endpointMethods
        self.webSocketSettings = webSocketSettings
        self.webSocketEndpoints = webSocketEndpoints
        self.urlMap = urlMap
        self.trustedProxies = trustedProxies
        self.serverName = serverName
        self.trustedHosts = trustedHosts
    }

    /// Whether `host` (a `Host` or `X-Forwarded-Host` value, port and all) names one of
    /// `trustedHosts`; a value that is not a strict host (`HostHeader`) never does.
    func isTrusted(host: String) -> Bool {
        guard let name = HostHeader(host)?.name else { return false }
        return trustedHosts.contains { trusted in
            trusted.hasPrefix(".") ? (name == trusted.dropFirst() || name.hasSuffix(trusted)) : name == trusted
        }
    }

    /// Builds the path of `endpoint` with the first of its rules (most arguments first, then
    /// most defaults, as Werkzeug orders them) that `parameters` fit; unused parameters become
    /// the query string (as Flask's `url_for`), a list as the same argument repeated. Also the
    /// domain (subdomain or host) of that rule, when it matches on the host.
    func target(for endpoint: String, _ parameters: [String: [String]]) throws -> (path: String, domain: String?) {
        guard let rules = urlMap[endpoint] else {
            throw RoutingError.unknownEndpoint(endpoint, didYouMean: EndpointNames.closest(to: endpoint, among: urlMap.keys))
        }
        var firstError: (any Error)?
        for rule in rules {
            do {
                try rule.checkSuitable(for: parameters, endpoint: endpoint)
                var path = try rule.path(with: parameters, endpoint: endpoint)
                let query = parameters.filter { !rule.arguments.contains($0.key) }.sorted { $0.key < $1.key }.flatMap { key, values in
                    values.map { PercentDecoding.encodeQueryComponent(key) + "=" + PercentDecoding.encodeQueryComponent($0) }
                }
                if !query.isEmpty { path += "?" + query.joined(separator: "&") }
                return (path, try rule.domain(with: parameters, endpoint: endpoint))
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        throw firstError ?? RoutingError.unknownEndpoint(endpoint)
    }

    /// The URL of `endpoint` (a full name), or what a `urlBuildErrorHandler` makes of the
    /// failure; `base` (`scheme://host`) is asked for only when `external`.
    func url(
        for endpoint: String, _ parameters: [String: any CustomStringConvertible & Sendable], external: Bool,
        anchor: String?, scheme: String?, method: HTTPMethod?, request: Request?, base: @autoclosure () throws -> String
    ) throws -> String {
        var parameters = parameters
        if !urlDefaults.isEmpty {
            var build = URLBuild(endpoint: endpoint, values: parameters, request: request, rules: urlMap[endpoint] ?? [])
            for function in urlDefaults where function.applies(to: endpoint) { function.hook(&build) }
            parameters = build.values
        }
        do {
            return try builtURL(
                for: endpoint, parameters, external: external, anchor: anchor, scheme: scheme, method: method,
                request: request, base: base())
        } catch let error as RoutingError {
            for handler in urlBuildErrorHandlers {
                if let url = try handler(error, endpoint, parameters) { return url }
            }
            throw error
        }
    }

    private func builtURL(
        for endpoint: String, _ parameters: [String: any CustomStringConvertible & Sendable], external: Bool,
        anchor: String?, scheme: String?, method: HTTPMethod?, request: Request?, base: @autoclosure () throws -> String
    ) throws -> String {
        if let method, let methods = endpointMethods[endpoint], !methods.contains(method) {
            throw RoutingError.urlBuild(
                "endpoint '\(endpoint)' does not answer \(method.rawValue) (it answers \(methods.map(\.rawValue).joined(separator: ", ")))")
        }
        if let scheme {
            guard external else { throw RoutingError.urlBuild("a scheme ('\(scheme)') needs external: true") }
            guard let first = scheme.first, first.isLetter, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else {
                throw RoutingError.urlBuild("'\(scheme)' is not a URL scheme")
            }
        }
        var (path, domain) = try target(for: endpoint, parameters.mapValues(Self.urlTexts))
        if let anchor { path += "#" + PercentDecoding.encodeFragment(anchor) }
        if let domain, let domainMatching {
            // A rule on another host than the request's is an absolute URL, as Werkzeug builds it.
            guard let host = domainMatching.host(for: domain, serverName: serverName), HostHeader(host) != nil else {
                throw RoutingError.urlBuild("'\(domain)' of endpoint '\(endpoint)' does not make a host name")
            }
            guard external || host.lowercased() != request?.addressedHost?.authority.lowercased() else { return path }
            var base = (scheme ?? request?.externalScheme ?? preferredURLScheme) + "://" + host
            if scheme == nil, webSocketEndpoints.contains(endpoint) { base = "ws" + base.dropFirst(4) }
            return base + path
        }
        guard external else { return path }
        var base = try base()
        if let scheme { base = scheme + base.drop { $0 != ":" } }
        // A WebSocket's URL: ws:// beside http://, wss:// beside https://.
        else if webSocketEndpoints.contains(endpoint) { base = "ws" + base.dropFirst(4) }
        return base + path
    }

    /// The text of a URL value: a float in plain decimal notation with a fraction (`0.00001`,
    /// `3.0`), which `<float:…>` reads back (its `description` would be `1e-05`); a list, each
    /// element; anything else, its `description`.
    static func urlTexts(_ value: any CustomStringConvertible & Sendable) -> [String] {
        func plain(_ text: String) -> String {
            // Shortest round-trip digits, written out without an exponent.
            var text = text.contains("e") ? Decimal(string: text).map { "\($0)" } ?? text : text
            if !text.contains("."), text.allSatisfy({ $0.isNumber || $0 == "-" }) { text += ".0" }
            return text
        }
        switch value {
        case let number as Double: return [number.isFinite ? plain(number.description) : number.description]
        case let number as Float: return [number.isFinite ? plain(number.description) : number.description]
        // Any array of such values ([String], [Int] …) casts to this one.
        case let list as [any CustomStringConvertible & Sendable]: return list.flatMap(urlTexts)
        default: return [value.description]
        }
    }
}

extension Request {
    /// Builds the URL of `endpoint` (`"tasks.get_task"`, or `".get_task"` for the current blueprint),
    /// as Flask's `url_for`: parameters the rule does not take become the query string (a list,
    /// the argument repeated: `["tag": ["a", "b"]]` → `?tag=a&tag=b`), floats are written so that
    /// `<float:…>` reads them back, `anchor` is the `#fragment`. Throws `RoutingError` for an
    /// unknown endpoint, a missing parameter, a value the converter rejects, a `method` the
    /// endpoint does not answer, or a `scheme` without `external`.
    ///
    /// With `external`, the URL is absolute: the scheme (`scheme`, or the request's) and host
    /// from the request, honouring `X-Forwarded-Proto`/`X-Forwarded-Host` only when the peer is
    /// a trusted proxy.
    public func urlFor(
        _ endpoint: String, _ parameters: [String: any CustomStringConvertible & Sendable] = [:],
        external: Bool = false, anchor: String? = nil, scheme: String? = nil, method: HTTPMethod? = nil
    ) throws -> String {
        guard let context else { throw RoutingError.unknownEndpoint(endpoint) }
        var name = endpoint
        if endpoint.hasPrefix(".") { name = (blueprint ?? "") + endpoint }
        if name.hasPrefix(".") { name.removeFirst() }
        return try context.url(
            for: name, parameters, external: external, anchor: anchor, scheme: scheme, method: method, request: self,
            base: externalBase)
    }

    /// `scheme://host` as the client sees this server. The host is never taken from a request
    /// on trust alone (`Host: evil.example` must not become a `Location`): `SERVER_NAME` when set,
    /// always; else a trusted proxy's `X-Forwarded-Host` (which `TRUSTED_HOSTS`, when set, has
    /// admitted before routing); else the `Host` header when `TRUSTED_HOSTS` admitted it or it
    /// names this server's own address (`localhost` or the address the connection reached); else
    /// the address the connection reached. Only strictly parsed hosts (`HostHeader`) are used.
    public var externalBase: String {
        let scheme = externalScheme
        let host = context?.serverName ?? forwardedHost?.authority ?? acceptableHostHeader ?? localAddress ?? "localhost"
        return "\(scheme)://\(host)"
    }

    /// `http` or `https` as the client sees this server (a trusted proxy's `X-Forwarded-Proto`).
    var externalScheme: String {
        forwardedValue("X-Forwarded-Proto").flatMap { ["http", "https"].contains($0) ? $0 : nil } ?? "http"
    }

    /// The host (with its port) the client addressed: a trusted proxy's `X-Forwarded-Host`, else
    /// the `Host` header, when strictly parsed.
    var addressedHost: HostHeader? {
        forwardedHost ?? headers.first(name: "host").flatMap(HostHeader.init)
    }

    /// The first value of a forwarding header, when the peer is a trusted proxy.
    func forwardedValue(_ name: String) -> String? {
        guard let remoteAddress, isTrustedProxy(remoteAddress), let value = headers.first(name: name) else { return nil }
        let first = value.split(separator: ",").first.map { $0.trimmedSpaces }
        return first?.isEmpty == false ? first : nil
    }

    /// A trusted proxy's `X-Forwarded-Host`, when it is a strict host.
    var forwardedHost: HostHeader? {
        forwardedValue("X-Forwarded-Host").flatMap { HostHeader($0) }
    }

    /// The `Host` header, when it can be believed (see `externalBase`).
    private var acceptableHostHeader: String? {
        guard let value = headers.first(name: "host"), let host = HostHeader(value) else { return nil }
        if let context, !context.trustedHosts.isEmpty { return host.authority }  // checked before routing
        let own = localAddress.flatMap { HostHeader($0)?.name }
        return host.name == "localhost" || host.name == own ? host.authority : nil
    }

    /// The client's address. When the peer is a trusted proxy, the rightmost `X-Forwarded-For`
    /// hop that is not itself a trusted proxy (hops to its left are whatever the client wrote, so
    /// a client cannot pick its own rate-limit key, as with Werkzeug's `ProxyFix`); else the peer.
    public var clientAddress: String? {
        guard let remoteAddress, isTrustedProxy(remoteAddress) else { return remoteAddress }
        // Every X-Forwarded-For line, in order, as one list of hops.
        let hops = headers["X-Forwarded-For"].flatMap { $0.split(separator: ",") }.map(\.trimmedSpaces).filter { !$0.isEmpty }
        return hops.last { !isTrustedProxy($0) } ?? hops.first ?? remoteAddress
    }

    /// The peer address of connections made through a Unix domain socket (`serve --unix`).
    public static let unixSocketPeer = "unix"

    /// A `TRUSTED_PROXIES` address, or a peer on the Unix socket (only what may open the
    /// socket file — the proxy — can connect there).
    func isTrustedProxy(_ address: String) -> Bool {
        address == Request.unixSocketPeer || context?.trustedProxies.contains(address) == true
    }
}

