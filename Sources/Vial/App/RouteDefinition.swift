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
        if piece.hasPrefix("<"), piece.hasSuffix(">"), !piece.dropFirst().contains("<") {
            return String(piece.dropFirst().dropLast().split(separator: ":").last ?? piece)
        }
        guard piece.contains("<") else { return String(piece.map { $0.isLetter || $0.isNumber ? $0 : "_" }) }
        // Text and placeholders in one segment: `v<int:major>.<int:minor>` → `v_major_minor`.
        let parts = (try? RulePattern.splitSegment(piece, rule: rule)) ?? [piece]
        let text = parts.map { part in
            part.hasPrefix("<")
                ? String(part.dropFirst().dropLast().split(separator: ":").last ?? part)
                : String(part.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        }.joined(separator: "_")
        return text.split(separator: "_").joined(separator: "_")
    }
    let method = verb ?? methods.first?.rawValue.lowercased() ?? "route"
    return ([method] + (words.isEmpty ? ["index"] : words)).joined(separator: "_")
}
