import Testing
import VialTesting
@testable import Vial

/// Converter arguments read as Werkzeug's `parse_converter_args` reads them (Python literals),
/// and bound to the built-in converters' parameters as Python binds a call.
@Suite struct ConverterArgumentTests {
    func parse(_ text: String) throws -> ConverterArguments {
        try ConverterArgumentParser.parse(text[...], rule: "/r")
    }

    @Test func quotedStringsMayHoldCommasAndEquals() throws {
        let arguments = try parse(#"'a,b', "c=d", u'e', x='1, 2'"#)
        #expect(arguments.positional == ["a,b", "c=d", "e"])
        #expect(arguments.named == ["x": "1, 2"])
    }

    @Test func numbersBooleansAndBareWordsAreLiterals() throws {
        let arguments = try parse("4, 2.5, True, None, word_1, min=-3, signed = False,")
        #expect(arguments.positional == ["4", "2.5", "True", "None", "word_1"])
        #expect(arguments.named == ["min": "-3", "signed": "False"])
    }

    @Test(arguments: ["'open", "a b", "x=", "=1", "a,,b", "k=1, 2", "k=1, k=2", "a;b"])
    func malformedListsFailNamingTheRule(_ text: String) {
        #expect(throws: RoutingError.self) { try parse(text) }
        do {
            _ = try RulePattern("/items/<any(\(text)):kind>", converters: BuiltinConverters.all)
            Issue.record("'\(text)' should not parse")
        } catch {
            #expect("\(error)".contains("/items/<any("), "\(error)")
        }
    }

    @Test func builtInsTakeArgumentsPositionallyOrByName() throws {
        func accepts(_ rule: String, _ path: String) throws -> Bool {
            var table = RouteTable<Int>()
            try table.insert(RulePattern(rule, converters: BuiltinConverters.all), methods: [.GET], value: 0)
            if case .found = table.match(method: .GET, path: path[...]) { return true }
            return false
        }
        #expect(try accepts("/<string(2):code>", "/ab"))  // minlength
        #expect(try !accepts("/<string(2):code>", "/a"))
        #expect(try !accepts("/<string(1, 3):code>", "/abcd"))  // maxlength
        #expect(try accepts("/<string(length=2):code>", "/ab"))
        #expect(try !accepts("/<int(min=1, max=9):n>", "/10"))
        #expect(try accepts("/<int(signed=True):n>", "/-4"))
        #expect(try accepts("/<int(4):n>", "/0042"))  // fixed_digits, zero padded
        #expect(try !accepts("/<int(4):n>", "/42"))
        #expect(try accepts("/<float(min=0.5, max=2.0):x>", "/1.5"))
        #expect(try !accepts("/<float(min=0.5, max=2.0):x>", "/2.5"))
        #expect(try accepts(#"/<any('a,b', "c"):kind>"#, "/a,b"))
    }

    @Test(arguments: [
        ("/<int(digits=4):n>", "int() has no argument 'digits'"),
        ("/<int(1, 2, 3, True, 5):n>", "int() takes at most 4 arguments"),
        ("/<string(2, minlength=3):s>", "string() got argument 'minlength' twice"),
        ("/<int(signed=yes):n>", "must be True or False"),
        ("/<uuid(4):id>", "uuid() takes at most 0 arguments"),
    ])
    func wrongArgumentsFailTheBuildNamingTheRule(_ rule: String, _ message: String) {
        RuleProbe.expectFailure(rule, message)
    }

    @Test func fixedDigitsWritesPaddedURLs() async throws {
        let app = App()
        app.get("/archive/<int(fixed_digits=4):year>", name: "archive") { _ in "x" }
        #expect(try app.urlFor("archive", ["year": 42]) == "/archive/0042")
        #expect(try await app.testClient().get("/archive/0042").status == .ok)
    }
}
