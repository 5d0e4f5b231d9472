import Foundation
import Testing
@testable import Vial

@Suite struct JSONParsingTests {
    func parse(_ text: String) throws -> JSON { try JSON(parsing: Array(text.utf8)) }

    @Test func parsesEveryKindOfValue() throws {
        #expect(try parse(#" {"a": [1, -2.5, 3e2, true, false, null], "b": {"c": "d"}} "#)
            == ["a": [1, -2.5, 300.0, true, false, nil], "b": ["c": "d"]])
        #expect(try parse("0") == 0)
        #expect(try parse("-0.0") == .double(-0.0))
        #expect(try parse("9223372036854775807") == .int(Int.max))
        #expect(try parse("92233720368547758070") == .double(9.223372036854775807e19))
    }

    @Test func decodesStringEscapes() throws {
        #expect(try parse(#""quote \" slash \/ backslash \\ \b\f\n\r\t""#) == "quote \" slash / backslash \\ \u{08}\u{0C}\n\r\t")
        #expect(try parse(#""\u00e9\u4e2d\ud83d\ude00""#) == "é中😀")
        #expect(try parse("\"plain é\"") == "plain é")
    }

    @Test func refusesMalformedInput() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "{a: 1}", "01", "1.", "-", "tru", "\"open", "\"\\x\"", "\"\\ud800\"",
            "[1] 2", "\"tab\there\"", "NaN", "1e999", "Infinity", "-Infinity",
            // Issue 19: a name given twice, at any depth (the last one used to win silently).
            #"{"a": 1, "a": 2}"#, #"{"x": [{"b": 1, "b": 1}]}"#]
        {
            #expect(throws: JSONParseError.self, "\(text)") { try parse(text) }
        }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        _ = try parse(fine)
    }

    @Test func agreesWithFoundationOnARoundTrip() throws {
        let value: JSON = ["name": "Laptop ✓", "price": 1200.5, "tags": ["a", "b"], "n": nil, "ok": true]
        let encoded = try JSONCoding.encoder.encode(value)
        #expect(try JSON(parsing: encoded) == value)
        #expect(try JSON(parsing: Array(value.serialized.utf8)) == value)
    }
}
