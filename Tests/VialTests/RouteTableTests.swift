import Testing
import VialTesting
@testable import Vial

/// The route table alone, no HTTP: register integers, assert which one a path selects.
@Suite struct RouteTableTests {
    func table(_ rules: [(String, [HTTPMethod])]) throws -> RouteTable<Int> {
        var table = RouteTable<Int>()
        for (index, (rule, methods)) in rules.enumerated() {
            try table.insert(RulePattern(rule, converters: BuiltinConverters.all), methods: methods, value: index)
        }
        return table
    }

    func selected(_ table: RouteTable<Int>, _ path: String, _ method: HTTPMethod = .GET) -> (Int, [String: String])? {
        if case .found(let value, let parameters) = table.match(method: method, path: path[...]) { return (value, parameters) }
        return nil
    }

    @Test func staticSegmentsMatchExactly() throws {
        let table = try table([("/", [.GET]), ("/api/hello", [.GET]), ("/api/welcome", [.GET])])
        #expect(selected(table, "/")?.0 == 0)
        #expect(selected(table, "/api/hello")?.0 == 1)
        #expect(selected(table, "/api/welcome")?.0 == 2)
        #expect(selected(table, "/api") == nil)
        #expect(selected(table, "/api/hello/extra") == nil)
    }

    @Test func defaultPlaceholderCapturesOneSegment() throws {
        let table = try table([("/api/greet/<name>", [.GET])])
        #expect(selected(table, "/api/greet/Alice")?.1 == ["name": "Alice"])
        #expect(selected(table, "/api/greet/a/b") == nil)
        #expect(selected(table, "/api/greet/") == nil)
    }

    @Test func pathSegmentsArePercentDecoded() throws {
        let table = try table([("/api/greet/<name>", [.GET])])
        #expect(selected(table, "/api/greet/Jane%20Doe")?.1 == ["name": "Jane Doe"])
        #expect(selected(table, "/api/greet/a%2Fb")?.1 == ["name": "a/b"])
    }

    @Test func malformedPercentEscapeIsABadPath() throws {
        let table = try table([("/api/greet/<name>", [.GET])])
        guard case .badPath = table.match(method: .GET, path: "/api/greet/%zz") else {
            Issue.record("expected badPath")
            return
        }
    }

    @Test func intConverterRejectsNonDigits() throws {
        let table = try table([("/api/users/<int:user_id>", [.GET])])
        #expect(selected(table, "/api/users/42")?.1 == ["user_id": "42"])
        #expect(selected(table, "/api/users/abc") == nil)
        #expect(selected(table, "/api/users/-1") == nil)
        #expect(selected(table, "/api/users/1.5") == nil)
    }

    /// One URL per number: `/api/tasks/01` was an alias of task 1.
    @Test func intConverterAcceptsOnlyCanonicalNumbers() throws {
        let table = try table([("/api/tasks/<int:task_id>", [.GET]), ("/signed/<int(signed=True):n>", [.GET])])
        #expect(selected(table, "/api/tasks/0")?.1 == ["task_id": "0"])
        #expect(selected(table, "/api/tasks/10")?.1 == ["task_id": "10"])
        #expect(selected(table, "/api/tasks/01") == nil)
        #expect(selected(table, "/api/tasks/00") == nil)
        #expect(selected(table, "/signed/-5")?.1 == ["n": "-5"])
        #expect(selected(table, "/signed/-05") == nil)
        #expect(selected(table, "/signed/-0") == nil)
    }

    @Test func floatConverterNeedsAFraction() throws {
        let table = try table([("/price/<float:amount>", [.GET])])
        #expect(selected(table, "/price/12.50")?.1 == ["amount": "12.50"])
        #expect(selected(table, "/price/12") == nil)
    }

    @Test func uuidConverterTakesCanonicalUUIDs() throws {
        let table = try table([("/jobs/<uuid:job_id>", [.GET])])
        #expect(selected(table, "/jobs/123e4567-e89b-12d3-a456-426614174000") != nil)
        #expect(selected(table, "/jobs/not-a-uuid") == nil)
    }

    @Test func pathConverterSwallowsSlashes() throws {
        let table = try table([("/files/<path:subpath>", [.GET]), ("/files/<path:subpath>/edit", [.POST])])
        #expect(selected(table, "/files/a/b/c.txt")?.1 == ["subpath": "a/b/c.txt"])
        #expect(selected(table, "/files/a/b/edit", .POST)?.1 == ["subpath": "a/b"])
    }

    @Test func stringConverterHonoursLength() throws {
        let table = try table([("/lang/<string(length=2):code>", [.GET])])
        #expect(selected(table, "/lang/en") != nil)
        #expect(selected(table, "/lang/eng") == nil)
    }

    @Test func staticBeatsPlaceholderAndIntBeatsString() throws {
        let table = try table([
            ("/users/<name>", [.GET]), ("/users/<int:id>", [.GET]), ("/users/me", [.GET]),
        ])
        #expect(selected(table, "/users/me")?.0 == 2)
        #expect(selected(table, "/users/7")?.0 == 1)
        #expect(selected(table, "/users/bob")?.0 == 0)
    }

    @Test func lookupBacktracksWhenADeeperSegmentFails() throws {
        let table = try table([("/a/<int:id>/x", [.GET]), ("/a/<name>/y", [.GET])])
        #expect(selected(table, "/a/5/y")?.1 == ["name": "5"])
    }

    @Test func explicitRuleWinsOverTrailingSlashAlias() throws {
        let table = try table([("/a/", [.GET]), ("/a", [.GET])])
        #expect(selected(table, "/a")?.0 == 1)
        #expect(selected(table, "/a/")?.0 == 0)
    }

    @Test func conflictingRegistrationFails() throws {
        #expect(throws: RoutingError.self) {
            _ = try table([("/x/<int:id>", [.GET]), ("/x/<int:other>", [.GET, .POST])])
        }
        // Same rule, different methods, is fine.
        _ = try table([("/x/<int:id>", [.GET]), ("/x/<int:id>", [.DELETE])])
    }

    @Test func wrongMethodIsMethodNotAllowedWithAllow() throws {
        let table = try table([("/items", [.GET]), ("/items", [.POST])])
        guard case .methodNotAllowed(let allow) = table.match(method: .DELETE, path: "/items") else {
            Issue.record("expected 405")
            return
        }
        #expect(allow.map(\.rawValue) == ["GET", "HEAD", "OPTIONS", "POST"])
    }

    @Test func headFallsBackToGet() throws {
        let table = try table([("/items", [.GET])])
        #expect(selected(table, "/items", .HEAD)?.0 == 0)
    }

    @Test func optionsIsAnsweredAutomatically() throws {
        let table = try table([("/items", [.GET, .POST])])
        guard case .options(let allow) = table.match(method: .OPTIONS, path: "/items") else {
            Issue.record("expected automatic OPTIONS")
            return
        }
        #expect(allow.map(\.rawValue) == ["GET", "HEAD", "OPTIONS", "POST"])
    }

    @Test func lookupFindsTheRightRouteAmongAThousand() throws {
        var rules: [(String, [HTTPMethod])] = []
        for index in 0..<1000 { rules.append(("/r\(index)/<int:id>/detail", [.GET])) }
        let table = try table(rules)
        #expect(selected(table, "/r999/5/detail")?.0 == 999)
        #expect(selected(table, "/r0/5/detail")?.0 == 0)
    }

    @Test func customConverterIsUsed() throws {
        struct Hex: PathConverter {
            func matches(_ segment: String) -> Bool { !segment.isEmpty && segment.allSatisfy(\.isHexDigit) }
        }
        var converters = BuiltinConverters.all
        converters["hex"] = { _ in Hex() }
        var table = RouteTable<Int>()
        try table.insert(RulePattern("/c/<hex:code>", converters: converters), methods: [.GET], value: 1)
        #expect(selected(table, "/c/ff00aa")?.1 == ["code": "ff00aa"])
        #expect(selected(table, "/c/zz") == nil)
    }

    /// Issue 19: two plugins registering one converter name replaced each other without a word.
    @Test func aConverterNameRegisteredTwiceFailsTheBuildNamingBoth() async throws {
        struct Hex: PathConverter {
            func matches(_ segment: String) -> Bool { !segment.isEmpty && segment.allSatisfy(\.isHexDigit) }
        }
        struct Upper: PathConverter {
            func matches(_ segment: String) -> Bool { !segment.isEmpty && segment.allSatisfy(\.isUppercase) }
        }
        let clashing = App("clash")
        clashing.addConverter("hex") { _ in Hex() }
        clashing.addConverter("hex") { _ in Upper() }
        clashing.get("/c/<hex:code>") { req in try req.param("code", as: String.self) }
        do {
            _ = try clashing.build()
            Issue.record("the build accepted a converter registered twice")
        } catch let RoutingError.duplicateName(message) {
            #expect(message.contains("converter 'hex'"))
            // Both registrants, by file and line.
            #expect(message.components(separatedBy: "RouteTableTests.swift:").count == 3)
            #expect(message.contains("replacing: true"))
        }
        #expect(throws: RoutingError.self) { try clashing.routes() }
        // A built-in name counts as taken.
        let builtIn = App("builtin")
        builtIn.addConverter("int") { _ in Hex() }
        #expect(throws: RoutingError.self) { try builtIn.build() }
        // Meant: the second replaces the first.
        let replaced = App("replaced")
        replaced.addConverter("hex") { _ in Hex() }
        replaced.addConverter("hex", replacing: true) { _ in Upper() }
        replaced.get("/c/<hex:code>") { req in try req.param("code", as: String.self) }
        let client = try replaced.testClient()
        #expect(try await client.get("/c/ABC").text == "ABC")
        #expect(try await client.get("/c/ff").status == .notFound)
    }

    /// A long path under a `<path:…>` rule that does not answer the method: each candidate tail
    /// used to be joined and checked, quadratic in the path (78 KB held a loop for 87 s). Counted,
    /// not timed: the characters the converter is shown stay within a small multiple of the path.
    @Test func pathMatchingIsLinearInThePath() throws {
        final class Counting: PathConverter, @unchecked Sendable {
            var characters = 0
            var matchesSlashes: Bool { true }
            func matches(_ segment: String) -> Bool {
                characters += segment.utf8.count
                return !segment.isEmpty
            }
        }
        let counting = Counting()
        var converters = BuiltinConverters.all
        converters["counted"] = { _ in counting }
        var table = RouteTable<Int>()
        try table.insert(RulePattern("/docs/assets/<counted:filename>", converters: converters), methods: [.GET], value: 1)
        try table.insert(RulePattern("/files/<counted:name>/raw", converters: converters), methods: [.GET], value: 2)
        let tail = Array(repeating: "a", count: 20_000).joined(separator: "/")
        guard case .methodNotAllowed = table.match(method: .DELETE, path: "/docs/assets/\(tail)"[...]) else {
            Issue.record("expected 405")
            return
        }
        #expect(counting.characters <= 2 * tail.utf8.count)
        counting.characters = 0
        #expect(selected(table, "/files/\(tail)/raw")?.1 == ["name": tail])
        #expect(selected(table, "/files/\(tail)/cooked") == nil)
        #expect(counting.characters <= 2 * tail.utf8.count)
        // Still greedy, still able to leave segments for what follows.
        #expect(selected(table, "/docs/assets/css/site.css")?.1 == ["filename": "css/site.css"])
        #expect(selected(table, "/files/a/b/raw")?.1 == ["name": "a/b"])
    }

    /// Several `<path:…>` parts in one rule: every split of the path among them was tried, a power
    /// of the path per part (found by the fuzzer, Reliability/fuzz.sh: 967 bytes held a lookup for
    /// over 10 s). Counted, not timed: one lookup takes at most the step budget, linear in the path.
    @Test func severalPathPartsStayWithinTheStepBudget() throws {
        var table = RouteTable<Int>()
        try table.insert(RulePattern("/<path:a>/<path:b>/<path:c>/end", converters: BuiltinConverters.all), methods: [.GET], value: 1)
        let segments = 600
        let path = "/" + Array(repeating: "x", count: segments).joined(separator: "/") + "/nope"
        var steps = 0
        guard case .notFound = table.match(method: .GET, path: path[...], steps: &steps) else {
            Issue.record("expected not found")
            return
        }
        #expect(steps <= 64 * (segments + 2) + 1)  // before the budget: about 600³ ÷ 6 = 36 million, 63 s
        // Within the budget nothing changes: each part takes as little as it can (Werkzeug's
        // weighting), the last what is left before `end`.
        #expect(selected(table, "/a/b/c/d/end")?.1 == ["a": "a", "b": "b", "c": "c/d"])
        #expect(selected(table, "/a/b/end") == nil)
    }

    @Test func unknownConverterFailsAtParse() {
        #expect(throws: RoutingError.unknownConverter("nope", rule: "/x/<nope:y>")) {
            _ = try RulePattern("/x/<nope:y>", converters: BuiltinConverters.all)
        }
    }

    @Test func malformedRulesFail() {
        for rule in ["x", "/a/<int:id", "/a/b<>", "/a/<int:id>/<id>", "/a/<1bad>", "/a/b>"] {
            #expect(throws: RoutingError.self, "\(rule)") { _ = try RulePattern(rule, converters: BuiltinConverters.all) }
        }
    }
}

@Suite struct RulePatternTests {
    @Test func anyConverterTakesQuotedOrBareChoices() throws {
        var table = RouteTable<Int>()
        try table.insert(RulePattern("/sort/<any('asc', desc):order>", converters: BuiltinConverters.all), methods: [.GET], value: 1)
        guard case .found(_, let parameters) = table.match(method: .GET, path: "/sort/asc") else {
            Issue.record("expected a match")
            return
        }
        #expect(parameters == ["order": "asc"])
        guard case .notFound = table.match(method: .GET, path: "/sort/up") else {
            Issue.record("expected 404")
            return
        }
    }

    @Test func trimmedSpacesTrimsOnlySpacesAndTabs() {
        #expect(" \t a b \t".trimmedSpaces == "a b")
        #expect("   ".trimmedSpaces == "")
    }
}
