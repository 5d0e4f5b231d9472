/// A route as declared, before prefixes and blueprint names are applied.
struct RouteDefinition: Sendable {
    /// The rules answering for this one endpoint (Flask's stacked `@app.route`s): usually one.
    var rules: [String]
    var rule: String { rules[0] }
    var methods: [HTTPMethod]
    var name: String
    var options: RouteOptions
    var middleware: [any Middleware]
    var handler: Handler
    /// Documentation for listings and generated API docs.
    var docs: RouteDocs
}

/// The default endpoint name when none is given: `get_api_greet_name` for `GET /api/greet/<name>`.
/// `verb` replaces the method word (`ws` for WebSocket routes: `ws_rooms_room_id`).
func defaultEndpointName(methods: [HTTPMethod], rule: String, verb: String? = nil) -> String {
    let words = RulePattern.splitRule(rule.dropFirst()).compactMap { piece -> String? in
        if piece.isEmpty { return nil }
        if piece.hasPrefix("<") { return String(piece.dropFirst().dropLast().split(separator: ":").last ?? piece) }
        return String(piece.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
    let method = verb ?? methods.first?.rawValue.lowercased() ?? "route"
    return ([method] + (words.isEmpty ? ["index"] : words)).joined(separator: "_")
}
