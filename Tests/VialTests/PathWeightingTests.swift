import Testing
@testable import Vial

/// Werkzeug's rule weighting where `<path:>` placeholders compete (its `test_greedy`, `test_path`
/// and `test_complex_routing_rules`): literals first, then converters by weight (`any`, `uuid`,
/// `int`/`float`, `string`, `path`), and a `<path:>` part takes as little as it can, so a rule
/// with more to match after it wins — whatever the order the rules were registered in.
@Suite struct PathWeightingTests {
    func outcome(_ rules: [String], _ path: String) throws -> String { try RuleProbe.outcome(rules, path) }
    func inEveryOrder(_ rules: [String], _ path: String) throws -> Set<String> { try RuleProbe.inEveryOrder(rules, path) }

    @Test func twoPathPartsBeatOneForTwoSegments() throws {
        let rules = ["/foo", "/<path:bar>", "/<path:bar>/<path:blub>"]
        #expect(try inEveryOrder(rules, "/foo") == ["/foo"])
        #expect(try inEveryOrder(rules, "/blub") == ["/<path:bar> bar=blub"])
        #expect(try inEveryOrder(rules, "/he/he") == ["/<path:bar>/<path:blub> bar=he blub=he"])
    }

    @Test func aPathPartTakesAsLittleAsItCan() throws {
        #expect(try inEveryOrder(["/<path:a>/<path:b>"], "/x/y/z") == ["/<path:a>/<path:b> a=x b=y/z"])
    }

    @Test func aRuleWithMoreAfterThePathWins() throws {
        let rules = [
            "/Special", "/<int:year>", "/<path:name>", "/<path:name>/edit", "/<path:name>/silly/<path:name2>",
            "/<path:name>/silly/<path:name2>/edit", "/Files/<path:file>",
        ]
        #expect(try inEveryOrder(rules, "/Special") == ["/Special"])
        #expect(try inEveryOrder(rules, "/2007") == ["/<int:year> year=2007"])
        #expect(try inEveryOrder(rules, "/Some/Page") == ["/<path:name> name=Some/Page"])
        #expect(try inEveryOrder(rules, "/Some/Page/edit") == ["/<path:name>/edit name=Some/Page"])
        #expect(try inEveryOrder(rules, "/Foo/silly/bar") == ["/<path:name>/silly/<path:name2> name=Foo name2=bar"])
        #expect(
            try inEveryOrder(rules, "/Foo/silly/bar/edit") == ["/<path:name>/silly/<path:name2>/edit name=Foo name2=bar"])
        #expect(
            try inEveryOrder(rules, "/Files/downloads/werkzeug/0.2.zip")
                == ["/Files/<path:file> file=downloads/werkzeug/0.2.zip"])
    }

    @Test func theComplexRoutingRulesOfWerkzeugsSuite() throws {
        let rules = [
            "/", "/<int:blub>", "/<blub>", "/foo/", "/foobar/", "/foo/<path:testing>/", "/foo/<path:testing>/edit",
            "/users/", "/users/page/<int:page>", "/foox", "/<path:bar>/<path:blub>",
        ]
        #expect(try inEveryOrder(rules, "/42") == ["/<int:blub> blub=42"])
        #expect(try inEveryOrder(rules, "/blub") == ["/<blub> blub=blub"])
        #expect(try inEveryOrder(rules, "/foo/") == ["/foo/"])
        #expect(try inEveryOrder(rules, "/foo/1/2/3/") == ["/foo/<path:testing>/ testing=1/2/3"])
        #expect(try inEveryOrder(rules, "/foo/1/2/3/edit") == ["/foo/<path:testing>/edit testing=1/2/3"])
        #expect(try inEveryOrder(rules, "/users/page/2") == ["/users/page/<int:page> page=2"])
        #expect(try inEveryOrder(rules, "/foox") == ["/foox"])
        #expect(try inEveryOrder(rules, "/foox/bar") == ["/<path:bar>/<path:blub> bar=foox blub=bar"])
    }
}
