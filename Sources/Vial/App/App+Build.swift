/// A route with everything resolved: full rule, endpoint, and the layers around it.
struct FlatRoute: Sendable {
    var info: RouteInfo
    var pattern: RulePattern
    var definition: RouteDefinition
    /// App layer first, then each enclosing blueprint, outermost to innermost.
    var layers: [Layer]
}

/// A `urlDefaults` function and the blueprint (full name) whose endpoints it serves; nil for the app's.
struct ScopedURLDefaults: Sendable {
    var blueprint: String?
    var hook: URLDefaultsHook

    func applies(to endpoint: String) -> Bool {
        guard let blueprint else { return true }
        return endpoint.hasPrefix(blueprint) && endpoint.dropFirst(blueprint.count).first == "."
    }
}

/// A URL prefix owned by a blueprint: its error handlers also answer 404/405 under it.
struct FlatPrefix: Sendable {
    var prefix: String
    var layers: [Layer]
}

extension App {
    /// The route table as rows, in registration order (`flask routes --sort match`).
    public func routes() throws -> [RouteInfo] {
        try flatten().routes.map(\.info)
    }

    /// Builds the immutable responder the server and the test client share.
    /// Throws `RoutingError` for bad rules, clashing routes, duplicate endpoint or blueprint names,
    /// and middleware whose dependency is not installed (`jwtRequired()` without a `JWTManager`).
    public func build() throws -> AppResponder {
        let responder = try compile()
        remember(responder.context)
        markBuilt()
        return responder
    }

    /// The responder for the routes as they stand, without marking the app built (what
    /// `urlFor` outside a request needs before the app is served).
    func compile() throws -> AppResponder {
        let (routes, prefixes, urlDefaults) = try flatten()
        var table = RouteTable<Int>()
        for (index, route) in routes.enumerated() {
            try table.insert(
                route.pattern, methods: route.definition.methods, value: index,
                strictSlashes: route.info.options.strictSlashes ?? true,
                automaticOptions: route.info.options.provideAutomaticOptions ?? true,
                mergeSlashes: route.info.options.mergeSlashes ?? true)
        }
        let appLayers = [root.snapshot.layer]
        let buildRules = routes.map { BuildRule(pattern: $0.pattern, defaults: $0.info.options.defaults) }
        let rulesOfEndpoint = Dictionary(grouping: routes.indices, by: { routes[$0].info.endpoint })
        let compiled = try routes.enumerated().map { index, route in
            AppResponder.CompiledRoute(
                endpoint: route.info.endpoint, blueprint: route.info.blueprint,
                defaults: Self.routeDefaults(
                    of: index, siblings: rulesOfEndpoint[route.info.endpoint] ?? [], buildRules: buildRules),
                streamedBodyLimit: (route.layers.flatMap(\.middleware) + route.definition.middleware)
                    .compactMap { ($0 as? StreamedBody)?.maxSize }.last,
                responder: try compose(
                    route.definition.handler, layers: route.layers, routeMiddleware: route.definition.middleware,
                    errorLayers: route.layers, route: (route.info.endpoint, route.info.blueprint, route.info.rule),
                    docs: route.definition.docs, logger: logger, propagation: config.errorPropagation))
        }
        let fallbacks = try prefixes.sorted { $0.prefix.count > $1.prefix.count }.map { prefix in
            AppResponder.Fallback(
                prefix: prefix.prefix,
                responder: try compose(
                    AppResponder.routingOutcomeHandler, layers: appLayers, routeMiddleware: [],
                    errorLayers: prefix.layers, logger: logger, propagation: config.errorPropagation))
        }
        var domainMatching: DomainMatching?
        if routes.contains(where: { $0.info.options.subdomain != nil }), let server = config.serverName.flatMap(HostHeader.init) {
            domainMatching = .subdomain(of: server.name)
        } else if routes.contains(where: { $0.info.options.host != nil }) {
            domainMatching = .host
        }
        let urlMap = Dictionary(zip(routes, buildRules).map { ($0.info.endpoint, [$1]) }, uniquingKeysWith: +)
            .mapValues(BuildRule.buildOrder)
        let context = RequestContext(
            urlMap: urlMap, trustedProxies: config.trustedProxies, serverName: config.serverName,
            trustedHosts: config.trustedHosts, webSocketSettings: config.webSocket,
            webSocketEndpoints: Set(routes.filter(\.info.isWebSocket).map(\.info.endpoint)),
            // What each endpoint answers: the `Allow` list its 405s and OPTIONS give.
            endpointMethods: Dictionary(
                routes.map { route in
                    (route.info.endpoint, RouteTrie.allowList(
                        route.definition.methods.map(\.rawValue),
                        automaticOptions: route.info.options.provideAutomaticOptions ?? true).map(\.rawValue))
                }, uniquingKeysWith: +
            ).mapValues { RouteTrie.allowList($0, automaticOptions: false) },
            urlBuildErrorHandlers: snapshot.urlBuildErrorHandlers, urlDefaults: urlDefaults,
            domainMatching: domainMatching, preferredURLScheme: config.preferredURLScheme)
        let state = snapshot
        return AppResponder(
            table: table, routes: compiled, fallbacks: fallbacks, context: context, domainMatching: domainMatching,
            logger: logger,
            accessLog: config.accessLog ? AccessLog(logger: logger, redacting: state.redactedQueryParameters) : nil,
            hasStreamedBodies: compiled.contains { $0.streamedBodyLimit != nil },
            propagation: config.errorPropagation,
            compression: state.compression.map(Compress.init(settings:)),
            jsonSettings: config.json.isDefault ? nil : config.json)
    }

    func flatten() throws -> (routes: [FlatRoute], prefixes: [FlatPrefix], urlDefaults: [ScopedURLDefaults]) {
        let state = snapshot
        if let clash = state.converterClashes.first { throw RoutingError.duplicateName(clash) }
        let rootState = root.snapshot
        var routes: [FlatRoute] = []
        var prefixes = [FlatPrefix(prefix: "", layers: [rootState.layer])]
        // The app's URL defaults functions, then each blueprint's, outermost first (Flask's order).
        var urlDefaults = rootState.layer.urlDefaults.map { ScopedURLDefaults(blueprint: nil, hook: $0) }
        var endpoints: [String: String] = [:]
        var blueprintNames = Set<String>()

        // What a route leaves unset: its blueprints' options, innermost first, then the app's,
        // then Werkzeug's defaults (strict slashes) and `PROVIDE_AUTOMATIC_OPTIONS`.
        let appOptions = rootState.options.inheriting(
            RouteOptions(strictSlashes: true, provideAutomaticOptions: config.provideAutomaticOptions, mergeSlashes: true))

        func add(
            _ definition: RouteDefinition, prefix: String, endpoint: String, blueprint: String?, layers: [Layer],
            options: RouteOptions
        ) throws {
            let rules = definition.rules.map { joinRule(prefix, $0) }
            if let existing = endpoints[endpoint] {
                throw RoutingError.duplicateName("endpoint '\(endpoint)' is used by both '\(existing)' and '\(rules[0])'")
            }
            endpoints[endpoint] = rules[0]
            for rule in rules {
                try add(definition, rule: rule, endpoint: endpoint, blueprint: blueprint, layers: layers, options: options)
            }
        }

        func add(
            _ definition: RouteDefinition, rule: String, endpoint: String, blueprint: String?, layers: [Layer],
            options: RouteOptions
        ) throws {
            if let problem = definition.docs.schemas.lazy.compactMap(\.learningError).first {
                throw RoutingError.invalidModel("\(problem) (documented by '\(rule)')")
            }
            if let status = definition.docs.responses.first(where: { if case .returned = $0.value.body { true } else { false } })?.key {
                throw RoutingError.invalidModel(
                    "'\(rule)' documents its \(status) answer as what its handler returns, "
                        + "but the handler's return type does not document a \(status) (return a DocumentedResponse such as Created<T>)")
            }
            var options = definition.options.inheriting(options)
            if options.subdomain != nil, options.host != nil {
                throw RoutingError.invalidRule("'\(rule)' has both a host and a subdomain; it may match on one of them")
            }
            let pattern = try RulePattern(rule, domain: options.subdomain ?? options.host, converters: state.converters)
            // A default for a name the rule captures would hide the URL's value: the URL's stands.
            for name in pattern.parameterNames { options.defaults[name] = nil }
            let chain = layers.flatMap(\.middleware) + definition.middleware
            let middlewareDocs = chain.compactMap(\.docs)
            var responses = definition.docs.responses
            // A route that takes a body can always refuse it: say so without listing it by hand.
            for (status, answer) in Self.bodyRefusals(definition.docs) where responses[status] == nil { responses[status] = answer }
            // Several limits (a blueprint's and the route's): the 429 names the one that binds first.
            let limits = middlewareDocs.flatMap(\.rateLimits)
            if limits.count > 1, responses[429] == nil { responses[429] = RateLimitDoc.answer(limits) }
            for docs in middlewareDocs {
                for (status, response) in docs.responses where responses[status] == nil { responses[status] = response }
            }
            let info = RouteInfo(
                endpoint: endpoint,
                methods: definition.docs.webSocket != nil ? ["WS"] : definition.methods.map(\.rawValue).sorted(), rule: rule,
                middleware: chain.filter(\.isListed).map(\.name), blueprint: blueprint, docs: definition.docs,
                pathParameters: pattern.parameterDocs,
                security: Array(Set(middlewareDocs.flatMap(\.security))).sorted(),
                optionalSecurity: Self.securityIsOptional(middlewareDocs),
                responses: responses, options: options)
            routes.append(FlatRoute(info: info, pattern: pattern, definition: definition, layers: layers))
        }

        func visit(
            _ registration: Blueprint.Registration, parentPrefix: String, parentNames: [String], layers: [Layer],
            options parentOptions: RouteOptions
        ) throws {
            let blueprint = registration.blueprint.snapshot
            let names = parentNames + [registration.name ?? blueprint.name]
            let fullName = names.joined(separator: ".")
            guard names.count <= 32 else { throw RoutingError.invalidRule("blueprints nested too deep at '\(fullName)'") }
            guard blueprintNames.insert(fullName).inserted else {
                throw RoutingError.duplicateName(
                    "blueprint '\(fullName)' is registered twice; pass a different name: to mount it again")
            }
            let prefix = joinPrefix(parentPrefix, registration.urlPrefix ?? blueprint.urlPrefix ?? "")
            let chain = layers + [blueprint.layer]
            var options = RouteOptions(defaults: registration.urlDefaults).inheriting(blueprint.options).inheriting(parentOptions)
            // Flask joins a nested blueprint's subdomain to its parent's: `a` inside `b` is `a.b`.
            let subdomains = [registration.subdomain ?? blueprint.options.subdomain, parentOptions.subdomain].compactMap { $0 }
            options.subdomain = subdomains.isEmpty ? nil : subdomains.joined(separator: ".")
            if !prefix.isEmpty { prefixes.append(FlatPrefix(prefix: prefix, layers: chain)) }
            urlDefaults += blueprint.layer.urlDefaults.map { ScopedURLDefaults(blueprint: fullName, hook: $0) }
            for definition in blueprint.routes {
                try add(
                    definition, prefix: prefix, endpoint: "\(fullName).\(definition.name)",
                    blueprint: fullName, layers: chain, options: options)
            }
            for child in blueprint.children {
                try visit(child, parentPrefix: prefix, parentNames: names, layers: chain, options: options)
            }
        }

        for definition in rootState.routes {
            try add(
                definition, prefix: "", endpoint: definition.name, blueprint: nil, layers: [rootState.layer],
                options: appOptions)
        }
        for registration in state.registrations {
            try visit(registration, parentPrefix: "", parentNames: [], layers: [rootState.layer], options: appOptions)
        }
        try Self.bindDomains(&routes, serverName: config.serverName, converters: state.converters)
        return (routes, prefixes, urlDefaults)
    }

    /// Once a route answers on a subdomain, every route does (Werkzeug's default subdomain, `""`:
    /// `SERVER_NAME` itself), and `SERVER_NAME` must say what the subdomains are of.
    static func bindDomains(_ routes: inout [FlatRoute], serverName: String?, converters: [String: ConverterFactory]) throws {
        let subdomains = routes.filter { $0.info.options.subdomain != nil }
        guard let first = subdomains.first else { return }
        if let hosted = routes.first(where: { $0.info.options.host != nil }) {
            throw RoutingError.invalidRule(
                "'\(hosted.info.rule)' matches on a host and '\(first.info.rule)' on a subdomain; an app matches on one of them")
        }
        guard serverName.flatMap(HostHeader.init) != nil else {
            throw RoutingError.invalidRule(
                "'\(first.info.rule)' answers on subdomain '\(first.info.options.subdomain!)', which needs SERVER_NAME (AppConfig.serverName)")
        }
        for index in routes.indices where routes[index].pattern.domain == nil {
            routes[index].pattern = try RulePattern(routes[index].info.rule, domain: "", converters: converters)
        }
    }
}

extension App {
    /// What route `index` needs of defaults when it answers: nil for a rule without defaults
    /// and without earlier rules of its endpoint (`siblings`, its endpoint's routes in order)
    /// that have some — most routes.
    static func routeDefaults(of index: Int, siblings: [Int], buildRules: [BuildRule]) -> RouteDefaults? {
        let earlier = siblings.filter { $0 < index && !buildRules[$0].defaults.isEmpty }
        guard !buildRules[index].defaults.isEmpty || !earlier.isEmpty else { return nil }
        return RouteDefaults(
            values: buildRules[index].defaults, names: buildRules[index].arguments, redirects: earlier.map { buildRules[$0] })
    }

    /// The answers every route taking a body may give it: a JSON body 400 (malformed), 415 (not
    /// JSON) and its schema's validation status; a form 400 (malformed) and 415 (not multipart).
    static func bodyRefusals(_ docs: RouteDocs) -> [UInt: ResponseDoc] {
        if let schema = docs.request {
            // The validation status may be 400 too (the bundled auth's): the one answer covers both.
            var refusals: [UInt: ResponseDoc] = [UInt(schema.status.code): .error("Validation failed (details per field)")]
            if refusals[400] == nil { refusals[400] = .error("Malformed JSON body") }
            refusals[415] = .error("The body is not application/json")
            return refusals
        }
        if !docs.form.isEmpty {
            return [400: .error("Malformed multipart body"), 415: .error("The body is not multipart/form-data")]
        }
        return [:]
    }

    /// Optional only when every middleware that asks for credentials accepts requests without them.
    static func securityIsOptional(_ docs: [MiddlewareDocs]) -> Bool {
        let secured = docs.filter { !$0.security.isEmpty }
        return !secured.isEmpty && secured.allSatisfy(\.optionalSecurity)
    }
}

/// Flask's prefix join: `"/api/" + "/tasks"` → `"/api/tasks"`; an empty rule is the prefix itself.
func joinRule(_ prefix: String, _ rule: String) -> String {
    guard !prefix.isEmpty else { return rule }
    guard !rule.isEmpty else { return prefix }
    return String(prefix.trimmingSuffix("/")) + "/" + rule.drop(while: { $0 == "/" })
}

/// Joins a parent's prefix with a child's, without doubled or trailing slashes.
func joinPrefix(_ parent: String, _ child: String) -> String {
    let trimmedChild = child.trimmingSuffix("/").drop(while: { $0 == "/" })
    if trimmedChild.isEmpty { return String(parent.trimmingSuffix("/")) }
    return String(parent.trimmingSuffix("/")) + "/" + trimmedChild
}

extension String {
    func trimmingSuffix(_ character: Character) -> Substring {
        var text = self[...]
        while text.last == character { text = text.dropLast() }
        return text
    }
}
