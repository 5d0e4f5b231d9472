/// Renders the route table as `flask routes` does, plus a column Flask cannot show:
/// the middleware each route runs through. Domain (a route's subdomain or host) and Defaults
/// columns appear when a route has one.
///
/// ```
/// Endpoint          Methods  Rule                     Middleware
/// ----------------  -------  -----------------------  ----------
/// health            GET      /health
/// tasks.get_task    GET      /api/tasks/<int:task_id>  jwt
/// ```
public enum RouteListing {
    /// How to order the rows (`--sort`).
    public enum Sort: String, Sendable, CaseIterable {
        /// By endpoint name (the default), then rule.
        case endpoint
        /// By the methods column, then rule.
        case methods
        /// By rule text.
        case rule
        /// In the order the router tries them (registration order).
        case match
    }

    /// The table text; `allMethods` adds the automatic `HEAD` and `OPTIONS`.
    public static func render(_ routes: [RouteInfo], sort: Sort = .endpoint, allMethods: Bool = false) -> String {
        if routes.isEmpty { return "No routes were registered.\n" }
        // Columns most apps do not need appear only when a route has something in them.
        let showDefaults = routes.contains { !$0.options.defaults.isEmpty }
        let showDomain = routes.contains { $0.options.subdomain != nil || $0.options.host != nil }
        let rows = sorted(routes, by: sort).map { route -> [String] in
            var row = [route.endpoint, (allMethods ? route.allMethods : route.methods).joined(separator: ", ")]
            if showDomain { row.append(route.options.subdomain ?? route.options.host ?? "") }
            row.append(route.rule)
            if showDefaults { row.append(defaultsText(route)) }
            return row + [route.middleware.joined(separator: ", ")]
        }
        let headers =
            ["Endpoint", "Methods"] + (showDomain ? ["Domain"] : []) + ["Rule"] + (showDefaults ? ["Defaults"] : []) + ["Middleware"]
        let widths = headers.indices.map { column in
            max(headers[column].count, rows.map { $0[column].count }.max() ?? 0)
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { index, cell in
                cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            let text = padded.joined(separator: "  ")
            return String(text.reversed().drop(while: { $0 == " " }).reversed())
        }
        var lines = [line(headers), line(widths.map { String(repeating: "-", count: $0) })]
        lines += rows.map(line)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The rows as JSON (`--json`), for scripts and docs generators.
    public static func json(_ routes: [RouteInfo], sort: Sort = .endpoint, allMethods: Bool = false) -> String {
        let items: [JSON] = sorted(routes, by: sort).map { route in
            var object: [String: JSON] = [
                "endpoint": .string(route.endpoint),
                "methods": .array((allMethods ? route.allMethods : route.methods).map(JSON.string)),
                "rule": .string(route.rule),
                "middleware": .array(route.middleware.map(JSON.string)),
            ]
            if let blueprint = route.blueprint { object["blueprint"] = .string(blueprint) }
            if let subdomain = route.options.subdomain { object["subdomain"] = .string(subdomain) }
            if let host = route.options.host { object["host"] = .string(host) }
            if !route.options.defaults.isEmpty { object["defaults"] = .object(route.options.defaults.mapValues(JSON.string)) }
            if let summary = route.summary { object["summary"] = .string(summary) }
            return .object(object)
        }
        return JSON.array(items).serialized + "\n"
    }

    /// `lang=de, page=1`.
    static func defaultsText(_ route: RouteInfo) -> String {
        route.options.defaults.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }

    static func sorted(_ routes: [RouteInfo], by sort: Sort) -> [RouteInfo] {
        switch sort {
        case .match: return routes
        case .endpoint: return routes.sorted { ($0.endpoint, $0.rule) < ($1.endpoint, $1.rule) }
        case .rule: return routes.sorted { ($0.rule, $0.endpoint) < ($1.rule, $1.endpoint) }
        case .methods:
            return routes.sorted {
                ($0.methods.joined(separator: ","), $0.rule) < ($1.methods.joined(separator: ","), $1.rule)
            }
        }
    }
}

import Foundation
