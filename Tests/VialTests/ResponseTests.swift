import Testing
@testable import Vial
import VialTesting

@Suite struct ResponseTests {
    struct Payload: Codable, Sendable {
        var zeta = 1
        var alpha = "a"
        var middle: [String: Int] = ["b": 2, "a": 1, "c": 3]
    }

    @Test func jsonKeyOrderIsStableAndSorted() throws {
        let first = try Response.json(Payload()).bodyText
        for _ in 0..<20 { #expect(try Response.json(Payload()).bodyText == first) }
        #expect(first == #"{"alpha":"a","middle":{"a":1,"b":2,"c":3},"zeta":1}"# + "\n")
        let literal: JSON = ["zeta": 1, "alpha": ["y": true, "x": nil]]
        #expect(Response.json(literal).bodyText == #"{"alpha":{"x":null,"y":true},"zeta":1}"# + "\n")
    }

    @Test func jsonEscapesStrings() {
        let value: JSON = ["s": "quote \" backslash \\ newline \n tab \t bell \u{07} é"]
        #expect(value.serialized == #"{"s":"quote \" backslash \\ newline \n tab \t bell \u0007 é"}"#)
        #expect(JSON.double(.nan).serialized == "null")
        #expect(JSON.double(1200.5).serialized == "1200.5")
    }

    @Test func jsonRoundTrips() throws {
        let value: JSON = ["a": [1, 2.5, "x", nil, true], "b": ["c": "d"]]
        #expect(try JSON(parsing: Array(value.serialized.utf8)) == value)
    }

    @Test func contentTypes() throws {
        #expect(Response.json(["a": 1]).headers.first(name: "content-type") == "application/json")
        #expect(Response.text("hi").headers.first(name: "content-type") == "text/plain; charset=utf-8")
        #expect(Response.noContent.status == .noContent)
        #expect(Response.noContent.body.readableBytes == 0)
    }

    @Test func successEnvelopes() throws {
        #expect(try Response.ok(["x": 1]).bodyText == #"{"data":{"x":1},"status":"success"}"# + "\n")
        let list = try Response.list([1, 2], meta: PageMeta(page: 1, perPage: 2, total: 5))
        #expect(
            list.bodyText
                == #"{"count":2,"data":[1,2],"meta":{"page":1,"pages":3,"per_page":2,"total":5},"status":"success"}"# + "\n")
        let created = try Response.created(["id": 4], location: "http://h/api/tasks/4")
        #expect(created.status == .created)
        #expect(created.headers.first(name: "location") == "http://h/api/tasks/4")
    }

    @Test func errorEnvelopeOmitsEmptyDetails() {
        let plain = Response.error(HTTPError.notFound("Task with ID 4 not found"))
        #expect(plain.bodyText == #"{"error":{"code":"not_found","message":"Task with ID 4 not found"},"status":"error"}"# + "\n")
        let detailed = Response.error(.validation(["title": ["Required."]]))
        #expect(detailed.status == .unprocessableEntity)
        #expect(detailed.bodyText.contains(#""details":{"title":["Required."]}"#))
    }

    @Test func defaultErrorCodesAreSnakeCase() {
        #expect(HTTPError.defaultCode(for: .unsupportedMediaType) == "unsupported_media_type")
        #expect(HTTPError.defaultCode(for: .methodNotAllowed) == "method_not_allowed")
        #expect(HTTPError.defaultCode(for: .tooManyRequests) == "too_many_requests")
    }

    @Test func handlersMayReturnTextJSONOrResponses() async throws {
        let app = App()
        app.get("/text") { _ in "plain" }
        app.get("/json") { _ in ["k": "v"] as JSON }
        app.get("/encodable") { _ in JSONResponse(["b", "a"], status: .accepted) }
        app.delete("/gone") { _ in .noContent }
        let client = try app.testClient()
        #expect(try await client.get("/text").header("Content-Type") == "text/plain; charset=utf-8")
        #expect(try await client.get("/json").text == #"{"k":"v"}"# + "\n")
        #expect(try await client.get("/encodable").status == .accepted)
        let gone = try await client.delete("/gone")
        #expect(gone.status == .noContent)
        #expect(gone.body.readableBytes == 0)
    }

    @Test func headAnswersWithoutABodyAndOptionsWithAllow() async throws {
        let app = App()
        app.route("/r", methods: [.GET, .PUT]) { _ in "body" }
        let client = try app.testClient()
        let head = try await client.head("/r")
        #expect(head.status == .ok)
        #expect(head.body.readableBytes == 0)
        let options = try await client.options("/r")
        #expect(options.status == .ok)
        #expect(options.header("Allow") == "GET, HEAD, OPTIONS, PUT")
    }
}
