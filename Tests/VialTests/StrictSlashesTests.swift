import Testing
import VialTesting
@testable import Vial

/// Werkzeug's `strict_slashes`: a rule ending in `/` is a folder (its name without the slash
/// redirects to it), a rule without one is a file (a slash after it is not found), and
/// `strictSlashes: false` per route, blueprint or app lets both spellings answer.
@Suite struct StrictSlashesTests {
    func table(_ rules: [(String, [HTTPMethod], strict: Bool)]) throws -> RouteTable<Int> {
        var table = RouteTable<Int>()
        for (index, rule) in rules.enumerated() {
            try table.insert(
                RulePattern(rule.0, converters: BuiltinConverters.all), methods: rule.1, value: index,
                strictSlashes: rule.strict)
        }
        return table
    }

    func outcome(_ table: RouteTable<Int>, _ path: String, _ method: HTTPMethod = .GET) -> String {
        switch table.match(method: method, path: path[...]) {
        case .found(let value, let parameters):
            return "\(value)" + parameters.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        case .redirect(let path): return "-> \(path)"
        case .options: return "options"
        case .methodNotAllowed: return "405"
        case .notFound: return "404"
        case .badPath: return "400"
        }
    }

    @Test func ruleEndingInSlashRedirectsThePathWithoutIt() throws {
        let table = try table([("/items/", [.GET], strict: true)])
        #expect(outcome(table, "/items/") == "0")
        #expect(outcome(table, "/items") == "-> /items/")
        // HEAD and the automatic OPTIONS redirect too; a method the rule does not answer is not redirected.
        #expect(outcome(table, "/items", .HEAD) == "-> /items/")
        #expect(outcome(table, "/items", .OPTIONS) == "-> /items/")
        #expect(outcome(table, "/items", .DELETE) == "404")
    }

    @Test func leafRuleDoesNotAnswerWithASlash() throws {
        let table = try table([("/items", [.GET], strict: true)])
        #expect(outcome(table, "/items") == "0")
        #expect(outcome(table, "/items/") == "404")
    }

    @Test func withoutStrictSlashesBothSpellingsAnswer() throws {
        let table = try table([("/folder/", [.GET], strict: false), ("/file", [.GET], strict: false)])
        #expect(outcome(table, "/folder/") == "0")
        #expect(outcome(table, "/folder") == "0")
        #expect(outcome(table, "/file") == "1")
        #expect(outcome(table, "/file/") == "1")
    }

    @Test func theRedirectKeepsThePathsEncoding() throws {
        let table = try table([("/files/<name>/", [.GET], strict: true)])
        #expect(outcome(table, "/files/a%20b") == "-> /files/a%20b/")
    }

    @Test func pathConverterNeverCapturesTheRulesOwnSlash() throws {
        let table = try table([("/files/<path:p>/", [.GET], strict: true)])
        #expect(outcome(table, "/files/a/b/") == "0 p=a/b")
        #expect(outcome(table, "/files/a/b") == "-> /files/a/b/")
    }

    @Test func aRuleAnsweringThePathBeatsAnotherRulesRedirect() throws {
        // Werkzeug redirects here (the literal `items` is tried first and raises); Vial lets a
        // rule that answers the path as written win (docs/decisions/007-flask-fidelity.md).
        let table = try table([("/items/", [.GET], strict: true), ("/<name>", [.GET], strict: true)])
        #expect(outcome(table, "/items") == "1 name=items")
    }

    @Test func aRedirectBeatsA405OnThePathWithoutTheSlash() throws {
        // Werkzeug: `/items` answers GET; `/items/` answers POST, so POST /items is sent there.
        let table = try table([("/items", [.GET], strict: true), ("/items/", [.POST], strict: true)])
        #expect(outcome(table, "/items", .POST) == "-> /items/")
        guard case .methodNotAllowed(let allow) = table.match(method: .DELETE, path: "/items") else {
            Issue.record("expected 405")
            return
        }
        // The redirect's POST is not an answer of `/items` itself.
        #expect(allow.map(\.rawValue) == ["GET", "HEAD", "OPTIONS"])
    }

    @Test func theAppAnswers308WithTheQueryString() async throws {
        let app = App()
        app.get("/items/") { _ in "list" }
        app.get("/item") { _ in "one" }
        let client = try app.testClient()
        let redirect = try await client.get("/items?page=2&sort=asc")
        #expect(redirect.status == .permanentRedirect)
        #expect(redirect.header("Location") == "/items/?page=2&sort=asc")
        #expect(try await client.get("/items/").text == "list")
        #expect(try await client.get("/item/").status == .notFound)
    }

    @Test func strictSlashesIsSetPerRouteBlueprintOrApp() async throws {
        let app = App()
        app.get("/strict/") { _ in "strict" }
        app.get("/loose/", options: RouteOptions(strictSlashes: false)) { _ in "loose" }
        let lenient = Blueprint("lenient", urlPrefix: "/bp", options: RouteOptions(strictSlashes: false))
        lenient.get("/") { _ in "bp index" }
        lenient.get("/leaf") { _ in "bp leaf" }
        lenient.get("/kept/", options: RouteOptions(strictSlashes: true)) { _ in "kept" }
        let nested = Blueprint("nested", urlPrefix: "/inner")
        nested.get("/") { _ in "inner" }
        lenient.register(nested)
        app.register(lenient)
        let client = try app.testClient()
        #expect(try await client.get("/strict").status == .permanentRedirect)
        #expect(try await client.get("/loose").text == "loose")
        #expect(try await client.get("/bp").text == "bp index")
        #expect(try await client.get("/bp/leaf/").text == "bp leaf")
        #expect(try await client.get("/bp/kept").status == .permanentRedirect)
        #expect(try await client.get("/bp/inner").text == "inner")  // a nested blueprint inherits

        let loose = App()
        loose.routeOptions.strictSlashes = false
        loose.get("/all/") { _ in "all" }
        #expect(try await loose.testClient().get("/all").text == "all")
        #expect(try loose.routes().first?.options.strictSlashes == false)
    }
}

/// Werkzeug's `merge_slashes`: a path with runs of slashes that nothing answers as written is
/// redirected (308) to the path with them merged, when a rule answers that.
@Suite struct MergeSlashesTests {
    @Test func doubledSlashesRedirectToTheMergedPath() async throws {
        let app = App()
        app.get("/a/b") { _ in "ab" }
        app.get("/folder/") { _ in "folder" }
        let client = try app.testClient()
        let redirect = try await client.get("//a///b?x=1")
        #expect(redirect.status == .permanentRedirect)
        #expect(redirect.header("Location") == "/a/b?x=1")
        // Merged and the rule's own slash added in one redirect.
        #expect(try await client.get("//folder").header("Location") == "/folder/")
        // Nothing answers the merged path either: 404.
        #expect(try await client.get("//nowhere//x").status == .notFound)
    }

    @Test func aRuleThatAnswersThePathAsWrittenIsNotRedirected() async throws {
        let app = App()
        app.get("/files/<path:p>") { request in .text(request.parameters["p"] ?? "") }
        app.get("/x/y") { _ in "xy" }
        let client = try app.testClient()
        // `<path:>` takes the empty segments as they are: the rule answers.
        #expect(try await client.get("/files/a//b").text == "a//b")
        #expect(try await client.get("/x//y").header("Location") == "/x/y")
    }

    @Test func mergeSlashesCanBeSwitchedOffPerRouteOrAppWide() async throws {
        let app = App()
        app.get("/kept", options: RouteOptions(mergeSlashes: false)) { _ in "kept" }
        app.get("/merged") { _ in "merged" }
        let client = try app.testClient()
        #expect(try await client.get("//kept").status == .notFound)
        #expect(try await client.get("//merged").status == .permanentRedirect)
        let strict = App()
        strict.routeOptions.mergeSlashes = false
        strict.get("/a") { _ in "a" }
        #expect(try await strict.testClient().get("//a").status == .notFound)
    }
}
