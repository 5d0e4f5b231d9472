// Route lookup alone: the same lookups against a table of 10 routes and one of 1,000,
// alternated, best of several rounds each. Prints one JSON line per table size.
import Foundation
import Vial

func makeTable(_ count: Int) throws -> RouteTable<Int> {
    var table = RouteTable<Int>()
    for index in 0..<count {
        // A realistic mix: static collections, int ids, nested actions.
        let rule: String
        switch index % 3 {
        case 0: rule = "/api/r\(index)/"
        case 1: rule = "/api/r\(index)/<int:id>"
        default: rule = "/api/r\(index)/<int:id>/status"
        }
        try table.insert(RulePattern(rule, converters: BuiltinConverters.all), methods: [.GET, .PUT], value: index)
    }
    return table
}

/// Paths that exist in both tables (indices below 10), so both do the same work per lookup.
let paths: [Substring] = ["/api/r0/", "/api/r1/42", "/api/r2/7/status", "/api/r4/9", "/api/r8/1/status", "/api/r9/"]

func measure(_ table: RouteTable<Int>, iterations: Int) -> Double {
    var found = 0
    let start = ContinuousClock.now
    for iteration in 0..<iterations {
        if case .found(let value, _) = table.match(method: .GET, path: paths[iteration % paths.count]) { found &+= value }
    }
    let elapsed = ContinuousClock.now - start
    precondition(found > 0)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return seconds / Double(iterations) * 1e9
}

let small = try makeTable(10)
let large = try makeTable(1000)
let iterations = 300_000
var smallTimes: [Double] = []
var largeTimes: [Double] = []
_ = measure(small, iterations: 10_000)
_ = measure(large, iterations: 10_000)
for _ in 0..<7 {
    smallTimes.append(measure(small, iterations: iterations))
    largeTimes.append(measure(large, iterations: iterations))
}
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
let smallNs = median(smallTimes)
let largeNs = median(largeTimes)
print(#"{"routes":10,"ns_per_lookup":\#(String(format: "%.1f", smallNs))}"#)
print(#"{"routes":1000,"ns_per_lookup":\#(String(format: "%.1f", largeNs))}"#)
print(#"{"speed_ratio_1000_vs_10":\#(String(format: "%.3f", smallNs / largeNs))}"#)
