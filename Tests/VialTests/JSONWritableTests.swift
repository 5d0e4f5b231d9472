import Foundation
import Testing
@testable import Vial

/// Issue 21: a `JSONWritable` model writes its own object, wherever it sits in an answer, and a
/// model that keeps its `writeJSON` in line with its `encode(to:)` answers the very same bytes.
@Suite struct JSONWritableTests {
    func encoded(_ value: some Encodable) throws -> String {
        var bytes: [UInt8] = []
        try JSONBytesEncoder.encode(value, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Says which path wrote it: the fast path is taken only if the answer says "direct".
    struct Marked: JSONWritable {
        var id: Int
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: JSONCodingKeys.self)
            try container.encode("codable", forKey: JSONCodingKeys("via"))
            try container.encode(id, forKey: JSONCodingKeys("id"))
        }
        func writeJSON(_ object: inout JSONObjectWriter) throws {
            object.member("id", id)
            object.member("via", "direct")
        }
    }

    struct JSONCodingKeys: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ text: String) { stringValue = text }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct Envelope<Item: Encodable>: Encodable {
        var data: Item
        var count = 1
    }

    @Test func aWritableTakesItsOwnPathWhereverItIs() throws {
        #expect(try encoded(Marked(id: 1)) == #"{"id":1,"via":"direct"}"#)
        #expect(try encoded([Marked(id: 1), Marked(id: 2)]) == #"[{"id":1,"via":"direct"},{"id":2,"via":"direct"}]"#)
        #expect(try encoded(Envelope(data: [Marked(id: 3)])) == #"{"count":1,"data":[{"id":3,"via":"direct"}]}"#)
        #expect(try encoded(Envelope(data: Marked(id: 4) as Marked?)) == #"{"count":1,"data":{"id":4,"via":"direct"}}"#)
        #expect(try encoded(Envelope(data: nil as Marked?)) == #"{"count":1,"data":null}"#)
        #expect(try encoded(Envelope(data: [Marked]())) == #"{"count":1,"data":[]}"#)
    }

    /// A model whose members take every overload, nested Codable values included.
    struct Order: JSONWritable {
        enum State: String, Codable { case open, shipped }
        struct Address: Codable, Equatable { var city: String; var lines: [String] }
        var id: Int64
        var note: String?
        var total: Double
        var paid: Bool
        var state: State
        var address: Address
        var items: [Marked]
        var placed: Date
        var tags: [String: Int]
        var parent: Int?
        var quantity: Int

        enum CodingKeys: String, CodingKey { case id, note, total, paid, state, address, items, placed, tags, parent, quantity }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(note, forKey: .note)
            try container.encode(total, forKey: .total)
            try container.encode(paid, forKey: .paid)
            try container.encode(state, forKey: .state)
            try container.encode(address, forKey: .address)
            try container.encode(items, forKey: .items)
            try container.encode(placed, forKey: .placed)
            try container.encode(tags, forKey: .tags)
            try container.encode(parent, forKey: .parent)
            try container.encode(quantity, forKey: .quantity)
        }

        func writeJSON(_ object: inout JSONObjectWriter) throws {
            try object.member("address", address)
            object.member("id", id)
            try object.member("items", items)
            object.member("note", note)
            object.member("paid", paid)
            object.member("parent", parent)
            try object.member("placed", placed)
            object.member("quantity", quantity)
            try object.member("state", state)
            try object.member("tags", tags)
            object.member("total", total)
        }
    }

    @Test func aModelInLineWithItsEncodeWritesTheSameBytes() throws {
        let orders = [
            Order(
                id: 1, note: "é 🚀 \"quoted\" \\ \n \u{1}", total: 19.99, paid: true, state: .shipped,
                address: .init(city: "Zürich", lines: ["1 Main St", ""]), items: [Marked(id: 7)],
                placed: Date(timeIntervalSince1970: 1_800_000_000), tags: ["b": 2, "a": 1], parent: 3, quantity: -4),
            Order(
                id: Int64.max, note: nil, total: 0.1, paid: false, state: .open, address: .init(city: "", lines: []),
                items: [], placed: Date(timeIntervalSince1970: 0), tags: [:], parent: nil, quantity: Int.min),
        ]
        // The tree (JSONValueEncoder) goes through `encode(to:)` only, nested Marked included.
        let tree = try JSONValueEncoder().encode(orders).serialized.replacingOccurrences(of: "codable", with: "direct")
        #expect(try encoded(orders) == tree)
    }
}
