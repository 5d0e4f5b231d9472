import Testing
@testable import Vial

/// `application/x-www-form-urlencoded` parsing, as Werkzeug's `url_decode` does it.
@Suite struct MultiDictTests {
    func pairs(_ text: String) -> [String] {
        MultiDict(urlEncoded: Substring(text)).pairs.map { "\($0.key)=\($0.value)" }
    }

    @Test func pairsKeepTheirOrderAndRepeats() {
        #expect(pairs("a=1&b=two&a=3") == ["a=1", "b=two", "a=3"])
        #expect(MultiDict(urlEncoded: "a=1&b=two&a=3").all("a") == ["1", "3"])
    }

    @Test func emptyPartsGoAndAMissingValueIsEmpty() {
        #expect(pairs("&&a=1&&") == ["a=1"])
        #expect(pairs("flag&b=") == ["flag=", "b="])
        #expect(pairs("=v") == ["=v"])
        #expect(pairs("") == [])
        #expect(pairs("a=b=c") == ["a=b=c"])  // only the first `=` splits
    }

    @Test func escapesAndPlusesAreDecodedAndMalformedPairsDropped() {
        #expect(pairs("q=a+b%20c&x%3Dy=%26") == ["q=a b c", "x=y=&"])
        #expect(pairs("bad=%zz&ok=1") == ["ok=1"])
        #expect(pairs("caf%C3%A9=%E2%9C%93") == ["café=✓"])
    }

    /// Raw non-ASCII text stays whole, and `=` followed by a combining mark still splits (one
    /// `Character` together, two code points, as Python sees them).
    @Test func rawUnicodeIsSplitAtCodePoints() {
        #expect(pairs("naïve=日本&é=🙂") == ["naïve=日本", "é=🙂"])
        let parsed = MultiDict(urlEncoded: "a=\u{301}x&b=1")
        #expect(parsed["a"] == "\u{301}x")
        #expect(parsed["b"] == "1")
    }
}

/// `req.args` is parsed once, from the query string the request arrived with or was given.
@Suite struct RequestArgsTests {
    @Test func argsFollowTheQueryString() {
        var request = Request(method: .GET, uri: "/items?page=2&tag=a&tag=b")
        #expect(request.args["page"] == "2")
        #expect(request.args.all("tag") == ["a", "b"])
        request.queryString = "page=3"
        #expect(request.args["page"] == "3" && request.args["tag"] == nil)
        #expect(Request(method: .GET, uri: "/items").args.pairs.isEmpty)
    }
}
