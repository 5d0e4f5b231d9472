import Logging
import Synchronization

/// The built, immutable app: the one front door both the server and the test client call.
public struct AppResponder: Sendable {
    struct CompiledRoute: Sendable {
        var endpoint: String
        var blueprint: String?
        /// Set when the rule has defaults, or earlier rules of its endpoint do (rare).
        var defaults: RouteDefaults?
        /// Set when the route takes its body as a stream (`streamedBody(maxSize:)`): the limit.
        var streamedBodyLimit: Int?
        var responder: Handler
    }


    /// The body limit of the route `method uri` would reach, when that route streams its body;
    /// nil when it collects its body (or no route matches).
    func streamedBodyLimit(method: HTTPMethod, uri: String, host: String? = nil) -> Int? {
        let path = uri.firstIndex(of: "?").map { uri[..<$0] } ?? uri[...]
        let domain = domainMatching?.key(forHost: host.flatMap(HostHeader.init)?.name)
        guard case .found(let index, _) = table.match(method: method, path: path, domain: domain) else { return nil }
        return routes[index].streamedBodyLimit
    }

    struct Fallback: Sendable {
        var prefix: String
        var responder: Handler
    }

    /// Why no route ran, for the fallback responder.
    enum RoutingOutcome: Sendable {
        case notFound
        case methodNotAllowed([HTTPMethod])
        case options([HTTPMethod])
        /// A strict-slashes rule named without its slash: the path to redirect to.
        case redirect(String)
        case badPath
        case untrustedHost
    }

    enum RoutingOutcomeKey: StorageKey { typealias Value = RoutingOutcome }

    let table: RouteTable<Int>
    let routes: [CompiledRoute]
    /// Longest prefix first; the app's own (`""`) last.
    let fallbacks: [Fallback]
    let context: RequestContext
    /// Set when a rule matches on the host (a subdomain or a host); nil for most apps.
    let domainMatching: DomainMatching?
    let logger: Logger
    /// Nil when the access log is off.
    let accessLog: AccessLog?
    /// Whether any route streams its request body (the server asks `streamedBodyLimit` only then).
    let hasStreamedBodies: Bool
    /// What `respondPropagatingErrors` rethrows (`PROPAGATE_EXCEPTIONS`, `TRAP_HTTP_EXCEPTIONS`).
    let propagation: ErrorPropagation
    /// App-wide response compression (`App.compressResponses`), applied to every answer last.
    var compression: Compress? = nil
    /// JSON settings other than the defaults (`AppConfig.json`), applied to JSON answers; nil
    /// when every setting is the default, so the usual path does nothing.
    var jsonSettings: JSONSettings? = nil

    /// Whether the test client should call `respondPropagatingErrors` (Flask's
    /// `PROPAGATE_EXCEPTIONS`, on in the `testing` environment, or `TRAP_HTTP_EXCEPTIONS`).
    public var propagatesErrors: Bool { propagation.unhandled || propagation.httpErrors }

    /// `respond(to:)` for a test client: an error `PROPAGATE_EXCEPTIONS` (or
    /// `TRAP_HTTP_EXCEPTIONS`) names is thrown here, as it was raised, instead of answered, so a
    /// failing test shows the real error. Hooks and teardown still run.
    public func respondPropagatingErrors(to request: Request) async throws -> Response {
        var request = request
        let scope = RequestScope()
        request.scope = scope
        let response = await respond(to: request)
        if let error = scope.propagated { throw error }
        return response
    }

    /// Routes `request`, runs its responder, and never throws: an error that escapes
    /// every handler becomes a logged 500. Adds `X-Request-ID` and writes the access log.
    public func respond(to request: Request) async -> Response {
        let start = accessLog == nil ? nil : ContinuousClock.now
        var request = request
        request.id = RequestID.accept(request.headers.first(name: "x-request-id")) ?? RequestID.generate()
        request.context = context
        let responder: Handler
        if !context.trustedHosts.isEmpty, !Self.hostsAreTrusted(request, context) {
            request.storage[RoutingOutcomeKey.self] = .untrustedHost
            responder = fallbacks[fallbacks.count - 1].responder
        } else {
        switch table.match(method: request.method, path: request.path, domain: domainMatching?.key(for: request)) {
        case .found(let index, let parameters):
            if let defaults = routes[index].defaults {
                let values = defaults.merged(into: parameters)
                if let path = defaults.redirect(for: values, endpoint: routes[index].endpoint) {
                    request.storage[RoutingOutcomeKey.self] = .redirect(path)
                    responder = fallback(for: request.path)
                    break
                }
                request.parameters = values
            } else {
                request.parameters = parameters
            }
            request.endpoint = routes[index].endpoint
            request.blueprint = routes[index].blueprint
            responder = routes[index].responder
        case .notFound:
            request.storage[RoutingOutcomeKey.self] = .notFound
            responder = fallback(for: request.path)
        case .methodNotAllowed(let allow):
            request.storage[RoutingOutcomeKey.self] = .methodNotAllowed(allow)
            responder = fallback(for: request.path)
        case .options(let allow):
            request.storage[RoutingOutcomeKey.self] = .options(allow)
            responder = fallback(for: request.path)
        case .redirect(let path):
            request.storage[RoutingOutcomeKey.self] = .redirect(path)
            responder = fallback(for: request.path)
        case .badPath:
            request.storage[RoutingOutcomeKey.self] = .badPath
            responder = fallback(for: request.path)
        }
        }
        var response: Response
        do {
            response = try await responder(request)
        } catch {
            if propagation.unhandled { request.scope?.propagate(error) }
            response = ErrorRenderer.internalError(error, request: request, logger: logger)
        }
        response.headers.replaceOrAdd(name: "X-Request-ID", value: request.id)
        jsonSettings?.apply(to: &response)
        compression?.apply(to: &response, for: request)
        if response.isStreamed {
            // A streamed answer is logged when it ends, with the bytes it sent.
            streamed(&response, request, start: start)
        } else if let start, let accessLog {
            accessLog.record(request, response, micros: AccessLog.micros(since: start))
        }
        return response
    }

    /// Logs a streamed response when its stream ends (access log: bytes sent, whole duration),
    /// and logs an error its producer throws (the client only sees the body cut short).
    private func streamed(_ response: inout Response, _ request: Request, start: ContinuousClock.Instant?) {
        if var upgrade = response.webSocket {
            // A socket is logged when it is gone: 101, the payload bytes it sent, its lifetime.
            upgrade.logger = logger
            if let start, let accessLog {
                upgrade.whenFinished { sent in
                    accessLog.record(request, status: 101, bytes: sent, micros: AccessLog.micros(since: start))
                }
            }
            response.webSocket = upgrade
            return
        }
        guard var stream = response.stream else { return }
        let logger = self.logger
        let produce = stream.produce
        stream.produce = { writer in
            do {
                try await produce(writer)
            } catch let error where !(error is ResponseStreamClosed || error is CancellationError) {
                logger.error("Streamed response failed: \(error)", metadata: ["request_id": .string(request.id)])
                throw error
            }
        }
        if let start, let accessLog {
            let status = Int(response.status.code)
            stream.whenFinished { sent in
                accessLog.record(request, status: status, bytes: sent, micros: AccessLog.micros(since: start))
            }
        }
        response.stream = stream
    }

    /// `TRUSTED_HOSTS` admits the `Host` header and, from a trusted proxy, `X-Forwarded-Host`
    /// (the host the client asked the proxy for) alike.
    private static func hostsAreTrusted(_ request: Request, _ context: RequestContext) -> Bool {
        guard context.isTrusted(host: request.headers.first(name: "host") ?? "") else { return false }
        guard let forwarded = request.forwardedValue("X-Forwarded-Host") else { return true }
        return context.isTrusted(host: forwarded)
    }

    private func fallback(for path: Substring) -> Handler {
        for fallback in fallbacks {
            let prefix = fallback.prefix
            if prefix.isEmpty || path == prefix || (path.hasPrefix(prefix) && path.dropFirst(prefix.count).first == "/") {
                return fallback.responder
            }
        }
        return fallbacks[fallbacks.count - 1].responder
    }

    /// The handler behind 404, 405, automatic `OPTIONS` and malformed paths; composed
    /// with app middleware and the owning blueprint's error handlers like any route.
    static let routingOutcomeHandler: Handler = { request in
        switch request.storage[RoutingOutcomeKey.self] ?? .notFound {
        case .notFound:
            throw HTTPError(.notFound, "The requested URL was not found on the server.")
        case .methodNotAllowed(let allow):
            throw HTTPError.methodNotAllowed(allow: allow)
        case .options(let allow):
            return Response(status: .ok, headers: ["Allow": allow.map(\.rawValue).joined(separator: ", ")])
        case .redirect(let path):
            // Werkzeug's slash redirect: 308 keeps the method and body; the query string goes along.
            let query = request.queryString.isEmpty ? "" : "?" + request.queryString
            return Response(status: .permanentRedirect, headers: ["Location": path + query])
        case .badPath:
            throw HTTPError(.badRequest, "Malformed percent-encoding in the URL path", code: "bad_path")
        case .untrustedHost:
            throw HTTPError(.badRequest, "Host not trusted", code: "untrusted_host")
        }
    }
}

/// `X-Request-ID`: echo a sane client value, else make one.
enum RequestID {
    /// The client's id if it is 1–200 visible ASCII characters (no header injection, no log spam).
    static func accept(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 200,
            value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return value
    }

    /// 32 hex digits: a random per-process prefix and a counter. Unique without a
    /// syscall per request (`getrandom` on every request showed up in the benchmark),
    /// written in one allocation.
    static func generate() -> String {
        let sequence = counter.add(1, ordering: .relaxed).newValue
        let high = prefix
        return String(unsafeUninitializedCapacity: 32) { buffer in
            for index in 0..<16 {
                buffer[index] = digits[Int((high >> UInt64(60 - 4 * index)) & 0xF)]
                buffer[16 + index] = digits[Int((sequence >> UInt64(60 - 4 * index)) & 0xF)]
            }
            return 32
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let prefix = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(UInt64.random(in: 0...UInt64(UInt32.max)))
}
