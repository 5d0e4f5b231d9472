import Testing
@testable import Vial

/// What a table of GET rules answers, as the routing tests compare it: the rule and its
/// parameters (`/<a>.<b> a=x b=y`), `-> /path` for a redirect, `none` otherwise.
enum RuleProbe {
    static func outcome(_ rules: [String], _ path: String) throws -> String {
        var table = RouteTable<String>()
        for rule in rules {
            try table.insert(RulePattern(rule, converters: BuiltinConverters.all), methods: [.GET], value: rule)
        }
        switch table.match(method: .GET, path: path[...]) {
        case .found(let rule, let parameters):
            return rule + parameters.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        case .redirect(let path): return "-> \(path)"
        default: return "none"
        }
    }

    /// The outcomes with `rules` in both orders: the weighting, not the registration order, decides.
    static func inEveryOrder(_ rules: [String], _ path: String) throws -> Set<String> {
        Set([try outcome(rules, path), try outcome(rules.reversed(), path)])
    }

    /// Expects `rule` not to parse, with a message holding `message` and the rule itself.
    static func expectFailure(_ rule: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try RulePattern(rule, converters: BuiltinConverters.all)
            Issue.record("\(rule) should fail", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains(message), "\(error)", sourceLocation: sourceLocation)
            #expect("\(error)".contains(rule), "\(error)", sourceLocation: sourceLocation)
        }
    }
}
