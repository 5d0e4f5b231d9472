import Testing
@testable import Vial

/// Placeholders sharing a segment with text (`/v<int:major>.<int:minor>/`, `/files/<name>.json`),
/// matched as Werkzeug's rule regex matches them and built back by `urlFor`.
@Suite struct CompoundSegmentTests {
    func outcome(_ rules: [String], _ path: String) throws -> String { try RuleProbe.outcome(rules, path) }
    func inEveryOrder(_ rules: [String], _ path: String) throws -> Set<String> { try RuleProbe.inEveryOrder(rules, path) }

    @Test func versionNumbersShareASegmentWithText() throws {
        let rule = "/v<int:major>.<int:minor>/"
        #expect(try outcome([rule], "/v1.2/") == "\(rule) major=1 minor=2")
        #expect(try outcome([rule], "/v10.0/") == "\(rule) major=10 minor=0")
        #expect(try outcome([rule], "/v1.2") == "-> /v1.2/")
        #expect(try outcome([rule], "/v1x.2/") == "none")
        #expect(try outcome([rule], "/v1./") == "none")
        #expect(try outcome([rule], "/1.2/") == "none")
    }

    @Test func aPlaceholderBeforeAnExtension() throws {
        #expect(try outcome(["/files/<name>.json"], "/files/report.json") == "/files/<name>.json name=report")
        #expect(try outcome(["/files/<name>.json"], "/files/.json") == "none")
        #expect(try outcome(["/files/<name>.json"], "/files/report.csv") == "none")
    }

    @Test func plainPlaceholdersAreGreedyAsWerkzeugsRegex() throws {
        #expect(try outcome(["/<a>.<b>"], "/x.y.z") == "/<a>.<b> a=x.y b=z")
        #expect(try outcome(["/files/<name>.json"], "/files/a.b.json") == "/files/<name>.json name=a.b")
    }

    @Test func aSegmentWithTextBeatsAWholeSegmentPlaceholder() throws {
        let rules = ["/files/<name>", "/files/<name>.json", "/files/<int:id>"]
        #expect(try inEveryOrder(rules, "/files/x.json") == ["/files/<name>.json name=x"])
        #expect(try inEveryOrder(rules, "/files/x.csv") == ["/files/<name> name=x.csv"])
        #expect(try inEveryOrder(rules, "/files/7") == ["/files/<int:id> id=7"])
        // A literal segment still beats them all.
        #expect(try inEveryOrder(rules + ["/files/index.json"], "/files/index.json") == ["/files/index.json"])
    }

    @Test func moreTextInTheSegmentIsTheMoreSpecificRule() throws {
        let rules = ["/<name>.json", "/<name>.tar.gz", "/<name>.gz"]
        #expect(try inEveryOrder(rules, "/a.tar.gz") == ["/<name>.tar.gz name=a"])
        #expect(try inEveryOrder(rules, "/a.gz") == ["/<name>.gz name=a"])
    }

    @Test func aPathPlaceholderSpansSegmentsBeforeItsExtension() throws {
        let rule = "/docs/<path:page>.html"
        #expect(try outcome([rule], "/docs/guide/intro.html") == "\(rule) page=guide/intro")
        #expect(try outcome([rule], "/docs/a.b/c.html") == "\(rule) page=a.b/c")
        #expect(try outcome([rule], "/docs/guide/intro") == "none")
        #expect(try outcome(["/<path:p>.<ext>"], "/a/b.c/d") == "none")
    }

    @Test func theSegmentsPartsArePercentDecodedBeforeMatching() throws {
        #expect(try outcome(["/files/<name>.json"], "/files/my%20report.json") == "/files/<name>.json name=my report")
        #expect(try outcome(["/files/<name>%2Ejson"], "/files/x.json") == "/files/<name>%2Ejson name=x")
    }

    @Test func aHostileSegmentIsBoundedWork() throws {
        // Three placeholders over a segment of thousands of dots: a split search with no answer.
        let path = "/" + String(repeating: ".", count: 8_000) + "x"
        #expect(try outcome(["/<a>.<b>.<c>.json"], path) == "none")
    }

    @Test(arguments: [
        ("/files/<name", "unclosed '<'"),
        ("/files/name>.json", "unmatched '>'"),
        ("/<path:a>.<path:b>", "two placeholders that take slashes"),
        ("/<a>.<a>", "appears twice"),
    ])
    func malformedSegmentsFailTheBuildNamingTheRule(_ rule: String, _ message: String) {
        RuleProbe.expectFailure(rule, message)
    }

    @Test func urlForWritesTheSegmentBack() async throws {
        let app = App()
        app.get("/v<int:major>.<int:minor>/", name: "version") { req in "\(req.parameters["major"]!).\(req.parameters["minor"]!)" }
        app.get("/files/<name>.json", name: "file") { req in req.parameters["name"]! }
        #expect(try app.urlFor("version", ["major": 2, "minor": 10]) == "/v2.10/")
        #expect(try app.urlFor("file", ["name": "a b"]) == "/files/a%20b.json")
        let client = try app.testClient()
        #expect(try await client.get("/v2.10/").text == "2.10")
        #expect(try await client.get("/files/a%20b.json").text == "a b")
    }

    @Test func urlForRefusesValuesThatWouldNotReadBack() throws {
        let app = App()
        app.get("/<a>.<b>", name: "pair") { _ in "x" }
        #expect(try app.urlFor("pair", ["a": "x", "b": "y"]) == "/x.y")
        // "x" and "y.z" would be read back as "x.y" and "z".
        #expect(throws: RoutingError.self) { try app.urlFor("pair", ["a": "x", "b": "y.z"]) }
    }

    @Test func theDocumentNamesEveryPlaceholderOfTheSegment() throws {
        let pattern = try RulePattern("/v<int:major>.<int:minor>/<name>.json", converters: BuiltinConverters.all)
        #expect(pattern.parameterNames == ["major", "minor", "name"])
        #expect(pattern.parameterDocs.map(\.type) == ["integer", "integer", "string"])
        #expect(OpenAPIGenerator.openAPIPath(pattern.rule) == "/v{major}.{minor}/{name}.json")
    }

    @Test func theDefaultEndpointNameNamesThePlaceholders() throws {
        let app = App()
        app.get("/api/v<int:major>.<int:minor>/<name>.json") { _ in "x" }
        #expect(try app.routes().first?.endpoint == "get_api_v_major_minor_name_json")
    }
}
