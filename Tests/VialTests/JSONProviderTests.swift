import Foundation
import Testing
import VialTesting
@testable import Vial

/// Vial's JSON provider: UUIDs in RFC 9562's lower case wherever an `Encodable` is written, and
/// Flask's provider settings (indented output, `ensure_ascii`, the mimetype) as configuration.
@Suite struct JSONProviderTests {
    struct Ticket: Encodable, Sendable {
        var id: UUID
        var owners: [UUID]
        var parent: UUID?
        var opened: Date
        var price: Decimal
        var note: String?
        var tags: [String: Int]
        var nested: Nested
        struct Nested: Encodable, Sendable { var flag: Bool; var ratio: Double }
    }

    let uuid = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
    var ticket: Ticket {
        Ticket(
            id: uuid, owners: [uuid], parent: nil, opened: Date(timeIntervalSince1970: 1_800_000_000), price: Decimal(string: "19.99")!,
            note: nil, tags: ["b": 2, "a": 1], nested: .init(flag: true, ratio: 0.5))
    }

    @Test func uuidsAreWrittenInLowerCase() throws {
        let text = String(decoding: try JSONCoding.encode(ticket), as: UTF8.self)
        #expect(
            text == #"{"id":"e621e1f8-c36c-495a-93fc-0c247a3e6e5f","nested":{"flag":true,"ratio":0.5},"opened":"2027-01-15T08:00:00Z","# +
                #""owners":["e621e1f8-c36c-495a-93fc-0c247a3e6e5f"],"price":19.99,"tags":{"a":1,"b":2}}"#)
        #expect(try JSON(encoding: uuid) == "e621e1f8-c36c-495a-93fc-0c247a3e6e5f")
    }

    @Test func everyWayOfAnsweringWritesThemSo() async throws {
        let app = App()
        let id = uuid
        app.get("/response") { _ in try Response.json(["id": id]) }
        app.get("/event") { _ in .text(try ServerSentEvent.json(["id": id]).data) }
        app.get("/lines") { _ in Response.jsonLines([["id": id]]) }
        let client = try app.testClient()
        for path in ["/response", "/event", "/lines"] {
            let text = try await client.get(path).text
            #expect(text.contains("e621e1f8-c36c"), "\(path): \(text)")
            #expect(!text.contains("E621E1F8"), "\(path): \(text)")
        }
    }

    @Test func theEncoderHandlesEveryContainerShape() throws {
        final class Base: Encodable, @unchecked Sendable {
            var base = 1
        }
        final class Wrapped: Encodable {
            let inner: [[Int?]] = [[1, nil], []]
            let single = Single()
            let empty = Empty()
            struct Single: Encodable {
                func encode(to encoder: any Encoder) throws {
                    var container = encoder.singleValueContainer()
                    try container.encode(["x"])
                }
            }
            struct Empty: Encodable {}
        }
        #expect(try JSONValueEncoder().encode(Wrapped()).serialized == #"{"empty":{},"inner":[[1,null],[]],"single":["x"]}"#)
        #expect(try JSONValueEncoder().encode(Base()).serialized == #"{"base":1}"#)
        #expect(try JSONValueEncoder().encode(UInt64.max) == .double(Double(UInt64.max)))
    }

    func app(_ settings: JSONSettings) -> App {
        var config = AppConfig()
        config.json = settings
        let app = App(config: config)
        app.get("/") { _ in ["name": "Zoë 🚀", "list": [1, 2], "empty": [] as JSON] as JSON }
        app.get("/text") { _ in "plain" }
        return app
    }

    @Test func indentedOutputAsFlasksNonCompactProvider() async throws {
        let text = try await app(JSONSettings(compact: false)).testClient().get("/").text
        #expect(text == "{\n  \"empty\": [],\n  \"list\": [\n    1,\n    2\n  ],\n  \"name\": \"Zoë 🚀\"\n}\n")
    }

    @Test func ensureASCIIEscapesEveryNonASCIICharacter() async throws {
        let text = try await app(JSONSettings(ensureASCII: true)).testClient().get("/").text
        #expect(text == #"{"empty":[],"list":[1,2],"name":"Zo\u00eb \ud83d\ude80"}"# + "\n")
    }

    @Test func theMimetypeIsConfigurableAndOtherAnswersAreLeftAlone() async throws {
        let client = try app(JSONSettings(mimetype: "application/vnd.api+json")).testClient()
        #expect(try await client.get("/").header("Content-Type") == "application/vnd.api+json")
        let text = try await client.get("/text")
        #expect(text.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(text.text == "plain")
    }

    @Test func theSettingsAreReadFromFlasksVariables() throws {
        let config = try AppConfig.load(from: [
            "JSONIFY_PRETTYPRINT_REGULAR": "true", "JSON_AS_ASCII": "true", "JSONIFY_MIMETYPE": "application/problem+json",
        ])
        #expect(config.json == JSONSettings(compact: false, ensureASCII: true, mimetype: "application/problem+json"))
        #expect(try AppConfig.load(from: [:]).json.isDefault)
        #expect(throws: ConfigError.self) { try AppConfig.load(from: ["JSON_SORT_KEYS": "false"]) }
        #expect(throws: ConfigError.self) { try AppConfig.load(from: ["JSONIFY_MIMETYPE": "json"]) }
    }

    @Test func integersAndObjectsAreWrittenInFull() {
        let values: [Int] = [0, 7, -7, 10, 1_000_000, Int.max, Int.min]
        #expect(JSON.array(values.map(JSON.int)).serialized == "[" + values.map(String.init).joined(separator: ",") + "]")
        let object: JSON = ["b": 2, "a": ["z": true, "y": nil], "c": "x"]
        #expect(object.serialized == #"{"a":{"y":null,"z":true},"b":2,"c":"x"}"#)
    }
}

